#!/usr/bin/env python3
"""Runs the real kpx binary: `kpx plan` on examples/ and on a manifest with a broken Service.

usage: plan_test.py KPX EXAMPLES_DIR
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

KPX, EXAMPLES = sys.argv[1], sys.argv[2]
NODE = ["--node-name", "kpx-demo-node", "--cluster-cidr", "10.244.0.0/16"]


def kpx(*args):
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

    def test_unimplemented_commands_say_so(self):
        # None of these reaches the kernel: this test runs in the root network namespace, so it
        # only uses backends that are not implemented (they fail before any netlink write) and
        # never `kpx run` with a working source and backend (that would program this namespace).
        for args in (["run", "--source", EXAMPLES, "--once", "--mode", "iptables"],
                     ["run", "--source", EXAMPLES, "--mode", "ipvs"],
                     ["plan", "--source", EXAMPLES, "--mode", "ipvs"]):
            r = kpx(*args)
            self.assertNotEqual(r.returncode, 0, args)
            self.assertIn("not implemented yet", r.stderr, args)

    def test_a_broken_kubeconfig_is_a_clear_error(self):
        # The source fails before the agent starts: nothing is written to any kernel table.
        r = kpx("run", "--kubeconfig", "/dev/null", "--once")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("kubeconfig /dev/null", r.stderr)

if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
