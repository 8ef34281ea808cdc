#!/usr/bin/env python3
"""Runs the real kpx binary: `kpx plan` on examples/ and on a manifest with a broken Service,
the command line itself, and (class RunInScratchNetns) the commands that touch a kernel.

usage: plan_test.py KPX EXAMPLES_DIR [TestClass[.test_name]...]

Every class but RunInScratchNetns runs kpx in the calling network namespace, so they only use
`kpx plan`, `--help` and `version`, which touch no kernel. RunInScratchNetns runs `kpx run`,
`dump` and `cleanup`, and only inside a network namespace it creates (kpxt-cli-<pid>) and
deletes; it needs root, and the kernel features of the modes kpx implements
(tests/e2e/capabilities.py). Without them its cases are skipped, and a run with any skipped case
exits 77 (ctest: Skipped), never 0. ctest runs the two halves as cli_plan and cli_run.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "e2e"))
import capabilities  # noqa: E402

KPX, EXAMPLES = sys.argv[1], sys.argv[2]
os.environ["KPX_BIN"] = os.path.abspath(KPX)  # capabilities reads kpx's declared backends
NODE = ["--node-name", "kpx-demo-node", "--cluster-cidr", "10.244.0.0/16"]
SKIP = 77
NETNS_PREFIX = "kpxt-cli-"


def kpx(*args):
    """kpx in the calling namespace: only for commands that touch no kernel (plan, help...)."""
    assert args[0] not in ("run", "dump", "cleanup"), f"kpx {args[0]} only in RunInScratchNetns"
    return subprocess.run([KPX, *args], capture_output=True, text=True, timeout=60)


class PlanExamples(unittest.TestCase):
    def test_table(self):
        r = kpx("plan", "--source", EXAMPLES, *NODE)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout
        self.assertIn("default/web:http", out)
        self.assertIn("10.96.0.10:80(cluster)", out)
        self.assertIn("*:30080(nodeport)", out)
        self.assertIn("Cluster: 10.244.0.11:8080,10.244.0.12:8080,10.244.0.13:8080", out)
        self.assertIn("kube-system/dns:dns ", out)
        self.assertIn("kube-system/dns:dns-tcp", out)
        self.assertIn("ClientIP 600s", out)
        self.assertNotIn("default/db", out)  # headless: no rules
        self.assertIn("4 service ports", out)

    def test_json(self):
        r = kpx("plan", "--source", EXAMPLES, "--format", "json", *NODE)
        self.assertEqual(r.returncode, 0, r.stderr)
        plan = json.loads(r.stdout)
        ports = {p["name"] + "/" + p["protocol"]: p for p in plan["servicePorts"]}
        self.assertEqual(sorted(ports), ["default/sticky/TCP", "default/web:http/TCP",
                                         "kube-system/dns:dns-tcp/TCP", "kube-system/dns:dns/UDP"])
        web = ports["default/web:http/TCP"]
        self.assertEqual(web["nodePort"], 30080)
        self.assertEqual([e["ip"] for e in web["external"]["endpoints"]],
                         ["10.244.0.11", "10.244.0.12", "10.244.0.13"])
        self.assertTrue(all(e["local"] for e in web["internal"]["endpoints"]))
        dns = ports["kube-system/dns:dns/UDP"]
        self.assertEqual([(e["ip"], e["port"]) for e in dns["internal"]["endpoints"]],
                         [("10.244.0.11", 5353), ("10.244.0.12", 5353)])
        sticky = ports["default/sticky/TCP"]
        self.assertEqual(sticky["sessionAffinity"], {"type": "ClientIP", "timeoutSeconds": 600})
        # the terminating endpoint is not used while ready ones exist
        self.assertEqual([e["ip"] for e in sticky["internal"]["endpoints"]],
                         ["10.244.0.11", "10.244.0.12"])
        self.assertEqual(plan["global"]["localTrafficCIDRs"], ["10.244.0.0/16"])
        self.assertEqual(plan["skipped"], [])


class PlanBrokenInput(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="kpx-plan-test-")
        for name in os.listdir(EXAMPLES):
            if name.endswith((".yaml", ".yml", ".json")):
                shutil.copy(os.path.join(EXAMPLES, name), self.dir)

    def tearDown(self):
        shutil.rmtree(self.dir)

    def write(self, name, text):
        with open(os.path.join(self.dir, name), "w") as f:
            f.write(text)

    def test_broken_service_is_named_and_the_rest_is_planned(self):
        self.write("broken.yaml", """
apiVersion: v1
kind: Service
metadata: {name: broken, namespace: shop}
spec:
  clusterIP: 10.96.0.99
  ports:
  - {name: http, port: 70000, protocol: TCP}
""")
        r = kpx("plan", "--source", self.dir, *NODE)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("shop/broken", r.stderr)
        self.assertIn("70000", r.stderr)
        self.assertIn("spec.ports[0].port", r.stderr)
        self.assertIn("default/web:http", r.stdout)
        self.assertIn("4 service ports", r.stdout)
        self.assertNotIn("shop/broken", r.stdout.split("\n\n")[0])

    def test_yaml_syntax_error_names_the_file(self):
        self.write("zz-garbage.yaml", "kind: Service\nmetadata: {name: [unclosed\n")
        r = kpx("plan", "--source", self.dir, *NODE)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("zz-garbage.yaml", r.stderr)
        self.assertIn("4 service ports", r.stdout)

    def test_json_lists_skipped_objects(self):
        self.write("bad-ip.yaml", """
apiVersion: v1
kind: Service
metadata: {name: badip, namespace: default}
spec:
  clusterIP: 10.96.0.300
  ports: [{port: 80}]
""")
        r = kpx("plan", "--source", self.dir, "--format", "json", *NODE)
        self.assertEqual(r.returncode, 0, r.stderr)
        plan = json.loads(r.stdout)
        self.assertEqual(len(plan["skipped"]), 1)
        self.assertIn("default/badip", plan["skipped"][0])
        self.assertIn("10.96.0.300", plan["skipped"][0])


class PlanNftables(unittest.TestCase):
    def test_ruleset_in_nft_syntax(self):
        r = kpx("plan", "--source", EXAMPLES, "--mode", "nftables", *NODE)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout
        self.assertIn("table ip kpx {", out)
        self.assertIn("10.96.0.10 . tcp . 80 : goto service-GB7ZZQEM-default/web/tcp/http "
                      "comment \"default/web:http\"", out)
        self.assertIn("tcp . 30080", out)
        self.assertIn("ip daddr 10.96.0.10 ip saddr != 10.244.0.0/16 jump mark-for-masquerade", out)
        self.assertIn("meta l4proto tcp dnat ip to 10.244.0.11:8080", out)
        self.assertIn("update @affinity { ip saddr . ", out)
        self.assertIn("timeout 600s }", out)
        self.assertNotIn("db", out.replace("dbg", ""))


class Cli(unittest.TestCase):
    def test_missing_source_is_a_clear_error(self):
        r = kpx("plan", "--source", "/nonexistent/kpx")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("/nonexistent/kpx", r.stderr)

    def test_bad_flag_values(self):
        r = kpx("plan", "--source", EXAMPLES, "--cluster-cidr", "10.0.0.0/33")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--cluster-cidr", r.stderr)
        r = kpx("plan", "--source", EXAMPLES, "--format", "xml")
        self.assertNotEqual(r.returncode, 0)

    def test_config_file_and_flags_over_it(self):
        with tempfile.TemporaryDirectory() as tmp:
            config = os.path.join(tmp, "kube-proxy.yaml")
            with open(config, "w") as f:
                f.write("apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n"
                        "hostnameOverride: kpx-demo-node\nclusterCIDR: 10.244.0.0/16\n"
                        "mode: nftables\nnftables:\n  masqueradeAll: true\nnoSuchField: 1\n")
            r = kpx("plan", "--source", EXAMPLES, "--config", config, "--format", "json")
            self.assertEqual(r.returncode, 0, r.stderr)
            plan = json.loads(r.stdout)
            self.assertEqual(plan["nodeName"], "kpx-demo-node")
            self.assertTrue(plan["global"]["masqueradeAll"])
            self.assertIn("noSuchField: unknown field", r.stderr)
            r = kpx("plan", "--source", EXAMPLES, "--config", config, "--format", "json",
                    "--node-name", "other", "--masquerade-all=false")
            self.assertEqual(r.returncode, 0, r.stderr)
            plan = json.loads(r.stdout)
            self.assertEqual(plan["nodeName"], "other")
            self.assertFalse(plan["global"]["masqueradeAll"])
            with open(config, "a") as f:
                f.write("iptables:\n  syncPeriod: soon\n")
            r = kpx("plan", "--source", EXAMPLES, "--config", config)
            self.assertEqual(r.returncode, 2)
            self.assertIn("iptables.syncPeriod: time: invalid duration", r.stderr)

    def test_help_and_version(self):
        r = kpx("--help")
        self.assertEqual(r.returncode, 0)
        for cmd in ("plan", "run", "dump", "cleanup", "version"):
            self.assertIn(cmd, r.stdout)
        r = kpx("version")
        self.assertEqual(r.returncode, 0)
        self.assertTrue(r.stdout.startswith("kpx "))

    def test_plan_per_mode(self):
        # plan touches no kernel, so every mode is asked here, and the answer follows what
        # capabilities.py declares: a rendered plan, or a clear "not implemented yet".
        for mode in capabilities.ALL_MODES:
            with self.subTest(mode=mode):
                r = kpx("plan", "--source", EXAMPLES, "--mode", mode, *NODE)
                if capabilities.mode_implemented(mode):
                    self.assertEqual(r.returncode, 0, r.stderr)
                    self.assertIn("10.96.0.10", r.stdout)
                else:
                    self.assertNotEqual(r.returncode, 0, r.stdout)
                    self.assertIn("not implemented yet", r.stderr)
                    self.assertEqual(r.stdout, "")

    def test_unknown_mode_is_a_usage_error(self):
        r = kpx("plan", "--source", EXAMPLES, "--mode", "userspace")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("--mode", r.stderr)


def _netns_pids(ns):
    out = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout
    return [int(p) for p in out.split() if p.isdigit()]


def _delete_netns(ns):
    for pid in _netns_pids(ns):  # e.g. a kpx that hung: only processes in OUR namespace
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def _reap_stale_netns():
    """Deletes kpxt-cli-<pid> namespaces whose owner is gone (a killed earlier run)."""
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        m = re.match(rf"^{NETNS_PREFIX}(\d+)\b", line)
        if not m or int(m.group(1)) == os.getpid():
            continue
        try:
            os.kill(int(m.group(1)), 0)
        except ProcessLookupError:
            _delete_netns(f"{NETNS_PREFIX}{m.group(1)}")
        except PermissionError:
            pass


class RunInScratchNetns(unittest.TestCase):
    """`kpx run`, `dump` and `cleanup`, each inside a scratch network namespace (never the
    namespace the test runs in). Needs root, ip(8), and the kernel features of every mode kpx
    implements; without them every case here is skipped (and the run exits 77)."""
    netns = None

    @classmethod
    def setUpClass(cls):
        reason = capabilities.first_reason(
            capabilities.root, lambda: capabilities.tools(["ip"]),
            *(capabilities.MODE_KERNEL[m] for m in sorted(capabilities.IMPLEMENTED_MODES)))
        if reason:
            raise unittest.SkipTest(reason)
        _reap_stale_netns()
        cls.netns = f"{NETNS_PREFIX}{os.getpid()}"
        subprocess.run(["ip", "netns", "add", cls.netns], check=True, capture_output=True)
        try:
            subprocess.run(["ip", "-n", cls.netns, "link", "set", "lo", "up"], check=True,
                           capture_output=True)
        except BaseException:
            _delete_netns(cls.netns)
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.netns:
            _delete_netns(cls.netns)
            cls.netns = None

    def kpx_in_netns(self, *args):
        return subprocess.run(["ip", "netns", "exec", self.netns, KPX, *args],
                              capture_output=True, text=True, timeout=60)

    def test_implemented_modes_run_dump_and_clean_up(self):
        for mode in sorted(capabilities.IMPLEMENTED_MODES):
            with self.subTest(mode=mode):
                r = self.kpx_in_netns("run", "--source", EXAMPLES, "--once", "--mode", mode, *NODE)
                self.assertEqual(r.returncode, 0, r.stderr)
                r = self.kpx_in_netns("dump", "--mode", mode, "--format", "json")
                self.assertEqual(r.returncode, 0, r.stderr)
                names = {p["name"] for p in json.loads(r.stdout)["servicePorts"]}
                self.assertIn("default/web:http", names, r.stdout)
                self.assertNotIn("default/db", " ".join(names))  # headless: no rules
                r = self.kpx_in_netns("cleanup", "--mode", mode)
                self.assertEqual(r.returncode, 0, r.stderr)
                r = self.kpx_in_netns("dump", "--mode", mode, "--format", "json")
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(json.loads(r.stdout)["servicePorts"], [], r.stdout)

    def test_dump_check_names_the_drift(self):
        for mode in sorted(capabilities.IMPLEMENTED_MODES):
            with self.subTest(mode=mode):
                r = self.kpx_in_netns("run", "--source", EXAMPLES, "--once", "--mode", mode, *NODE)
                self.assertEqual(r.returncode, 0, r.stderr)
                r = self.kpx_in_netns("dump", "--mode", mode, "--check", "--source", EXAMPLES, *NODE)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                self.assertIn("no drift", r.stdout)
                # The same manifests without the web service: the kernel holds a port too many.
                d = tempfile.mkdtemp(prefix="kpx-check-")
                try:
                    for name in os.listdir(EXAMPLES):
                        if name.endswith((".yaml", ".yml", ".json")):
                            shutil.copy(os.path.join(EXAMPLES, name), d)
                    path = os.path.join(d, "services.yaml")
                    with open(path) as f:
                        docs = f.read().split("\n---")
                    kept = [doc for doc in docs if "name: web\n" not in doc]
                    self.assertEqual(len(kept), len(docs) - 1, "the example has one web service")
                    with open(path, "w") as f:
                        f.write("\n---".join(kept))
                    r = self.kpx_in_netns("dump", "--mode", mode, "--check", "--source", d, *NODE)
                    self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
                    self.assertIn("drift: default/web:http/TCP (IPv4): in the kernel but not wanted",
                                  r.stdout)
                finally:
                    shutil.rmtree(d)
                self.assertEqual(self.kpx_in_netns("cleanup", "--mode", mode).returncode, 0)

    def test_unimplemented_modes_say_so(self):
        # A mode declared not implemented must fail clearly, before any kernel write.
        for mode in sorted(set(capabilities.ALL_MODES) - capabilities.IMPLEMENTED_MODES):
            for args in (["run", "--source", EXAMPLES, "--once", "--mode", mode, *NODE],
                         ["dump", "--mode", mode],
                         ["cleanup", "--mode", mode]):
                with self.subTest(args=args):
                    r = self.kpx_in_netns(*args)
                    self.assertNotEqual(r.returncode, 0, args)
                    self.assertIn("not implemented yet", r.stderr, args)

    def test_a_broken_kubeconfig_is_a_clear_error(self):
        # The source fails before the agent starts.
        r = self.kpx_in_netns("run", "--kubeconfig", "/dev/null", "--once")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("kubeconfig /dev/null", r.stderr)


def main() -> int:
    # Test names (Class or Class.test) after the two fixed arguments select what runs.
    result = unittest.main(argv=[sys.argv[0], *sys.argv[3:]], verbosity=2, exit=False).result
    if not result.wasSuccessful():
        return 1
    if result.testsRun == 0:
        print("FAIL: no test ran")
        return 1
    if result.skipped:
        # A partial run is not a pass: ctest must show the skipped cases as Skipped.
        print(f"SKIP: {len(result.skipped)} of {result.testsRun} test(s) skipped: "
              + "; ".join(f"{t.id()}: {why}" for t, why in result.skipped))
        return SKIP
    return 0


if __name__ == "__main__":
    sys.exit(main())
