#!/usr/bin/env python3
"""kpx as a daemon (issue 5 and 6): real traffic in network namespaces while kpx keeps running.

usage: KPX_BIN=build/bin/kpx [KPX_MODE=nftables|iptables|ipvs] test_agent.py [--group G] [-k PATTERN]...
Exit: 0 passed, 1 failed, 77 skipped (no root / netns / tools, a kernel feature the mode needs,
a mode that tests/e2e/capabilities.py declares not implemented, or what the group needs is
missing; the reason is printed).

Cases (IPv4; the per-semantic IPv4+IPv6 traffic matrix is test_services.py's job), in groups
(one ctest test each, per mode):
  agent (default):
  - a manifest edited while kpx runs: traffic follows (FileSource on inotify, incremental syncs);
  - healthz, livez, metrics (kube-proxy's names, /proxyMode) and a health-check node port
    answering 200/503 with the local endpoint count;
  - `kill -9` then a restart: an established TCP connection through a ClusterIP survives;
  - UDP conntrack cleanup: a UDP flow pinned to an endpoint that goes away moves to another;
  - a kube-proxy KubeProxyConfiguration file (--config, its `mode` included) is accepted and its
    addresses used;
  - SIGTERM stops kpx with exit 0 and leaves the rules in place;
  prometheus (needs promtool and prometheus): kpx's /metrics passes `promtool check metrics`, and
    a real Prometheus scrapes kpx and answers queries;
  apiserver (needs the openssl CLI): `--kubeconfig` against the fake API server
    (tests/fake-apiserver) in the node namespace: kpx programs what it serves and follows adds,
    endpoint changes and deletes.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request
from collections import Counter

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "fake-apiserver"))
import capabilities  # noqa: E402
import harness  # noqa: E402
import nsclient  # noqa: E402
from fakeapi import FakeApiServer  # noqa: E402
from manifests import NAMESPACE, NODE_NAME, OTHER_NODE, Endpoint, Manifests, Port  # noqa: E402
from nsclient import OK  # noqa: E402

KPX = MODE = TOPO = None  # set by main()
ALL = ("pod1", "pod2", "pod3")
HEALTHZ = 10256
METRICS = 10249


def http_get(url: str, timeout: float = 2.0):
    """(status, body) of a GET from the calling namespace."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError as e:
        return None, str(e)


def wait_for(what: str, check, timeout: float = 10.0, interval: float = 0.1):
    """Polls check() until it returns a truthy value; fails with the last value."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last: {last!r}")


class Daemon:
    """`kpx run ...` in the node namespace, in the background."""

    def __init__(self, args, log_path):
        self.log_path = log_path
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen(["ip", "netns", "exec", TOPO.node, KPX, "run", *args],
                                     stdout=self.log, stderr=subprocess.STDOUT)

    def output(self) -> str:
        with open(self.log_path, "rb") as fh:
            return fh.read().decode(errors="replace")

    def healthz(self, port=HEALTHZ, path="/healthz"):
        return nsclient.run_in_netns(TOPO.node, http_get, f"http://127.0.0.1:{port}{path}")

    def wait_healthy(self, port=HEALTHZ):
        def ok():
            if self.proc.poll() is not None:
                raise AssertionError(f"kpx exited with {self.proc.returncode}:\n{self.output()}")
            status, body = self.healthz(port)
            return status == 200 and '"lastUpdated"' in body and "0001-01-01" not in body
        wait_for("kpx healthy", ok, timeout=15)

    def stop(self, sig=signal.SIGTERM, timeout=10.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


class AgentBase(unittest.TestCase):
    """Setup, teardown and helpers of every group; no cases of its own."""

    def setUp(self):
        self.f = TOPO.fam(4)
        self.dir = tempfile.mkdtemp(prefix="kpxe-agent-")
        self.daemons = []

    def tearDown(self):
        for d in self.daemons:
            d.stop(signal.SIGKILL)
        r = TOPO.run_kpx(KPX, ["cleanup", "--mode", MODE])
        TOPO.conntrack_flush()
        shutil.rmtree(self.dir, ignore_errors=True)
        self.assertEqual(r.returncode, 0, f"kpx cleanup --mode {MODE}: {r.stdout}{r.stderr}")

    # ------------------------------------------------------------------ helpers
    def manifests(self, services):
        """services: {name: (cluster-ip index, [Endpoint...], extra service kwargs)}"""
        m = Manifests(os.path.join(self.dir, "cluster"), self.f)
        for name, (index, eps, kw) in services.items():
            kw = dict(kw)
            ports = kw.pop("ports", [Port("http", "TCP", 80, 8080), Port("dns", "UDP", 53, 5353)])
            m.service(name, ports, cluster_ip=self.f.cluster_ip(index), **kw)
            m.endpoints(name, eps)
        return m

    def write_atomically(self, m):
        """As kubectl and editors do: write a temporary file, rename it over the old one."""
        tmp = m.write("cluster.json.tmp")
        os.rename(tmp, os.path.join(m.directory, "cluster.json"))

    def daemon(self, *args, source=True):
        base = ["--mode", MODE, "--node-name", NODE_NAME, "--cluster-cidr",
                harness.cluster_cidr_flag(), "--min-sync-period", "100ms"]
        if source:
            base = ["--source", os.path.join(self.dir, "cluster")] + base
        d = Daemon(base + list(args), os.path.join(self.dir, f"kpx-{len(self.daemons)}.log"))
        self.daemons.append(d)
        return d

    def pods_answering(self, who, addr, port, proto="tcp", n=15):
        outs = TOPO.requests(who, proto, addr, port, n)
        return Counter(o.pod if o.kind == OK else f"!{o.kind}" for o in outs)

    def wait_pods(self, who, addr, port, pods, proto="tcp", timeout=10.0):
        return wait_for(f"{who} -> {addr}:{port}/{proto} answered by exactly {pods}",
                        lambda: (lambda c: c if set(c) == set(pods) else None)(
                            self.pods_answering(who, addr, port, proto)), timeout=timeout)

    def metrics(self, port=METRICS, path="/metrics"):
        """(status, body) of kpx's metrics server, from inside the node namespace."""
        return nsclient.run_in_netns(TOPO.node, http_get, f"http://127.0.0.1:{port}{path}")

    def start_lb_service(self):
        """A LoadBalancer with eTP Local and a health-check node port; kpx running and healthy."""
        lb = dict(type="LoadBalancer", external_policy="Local", health_check_node_port=32100,
                  ports=[Port("http", "TCP", 80, 8080, node_port=30100)])
        m = self.manifests({"lb": (42, [Endpoint("pod1"), Endpoint("pod2")], lb)})
        m.write()
        d = self.daemon()
        d.wait_healthy()
        return d, lb


class AgentCases(AgentBase):
    """Group `agent`: needs nothing beyond the mode (root, netns, ip, conntrack)."""

    def test_edit_manifest_traffic_follows(self):
        m = self.manifests({"web": (40, [Endpoint("pod1"), Endpoint("pod2")], {})})
        m.write()
        d = self.daemon()
        d.wait_healthy()
        vip = self.f.cluster_ip(40)
        self.wait_pods("client", vip, 80, {"pod1", "pod2"})
        # Endpoints change: pod3 only.
        m = self.manifests({"web": (40, [Endpoint("pod3")], {})})
        self.write_atomically(m)
        self.wait_pods("client", vip, 80, {"pod3"})
        # A second service appears, the first one loses its endpoints (reject, not blackhole).
        m = self.manifests({"web": (40, [], {}), "api": (41, [Endpoint("pod1")], {})})
        self.write_atomically(m)
        self.wait_pods("pod2", self.f.cluster_ip(41), 80, {"pod1"})
        wait_for("web rejected", lambda: self.pods_answering("client", vip, 80, n=3)
                 == Counter({"!refused": 3}))
        # Later syncs were incremental (the first one is full).
        self.assertIn("incremental", d.output())
        self.assertEqual(d.stop(), 0, d.output())

    def test_health_metrics_and_health_check_node_port(self):
        d, lb = self.start_lb_service()
        status, body = d.healthz(path="/livez")
        self.assertEqual(status, 200, body)
        self.assertTrue(json.loads(body)["lastUpdated"])
        # The health-check node port, from the client: 2 local endpoints.
        url = f"http://{self.f.node}:32100/"
        status, body = wait_for("health-check port 200", lambda: (
            lambda r: r if r[0] == 200 else None)(nsclient.run_in_netns(TOPO.client, http_get, url)))
        self.assertEqual(json.loads(body)["localEndpoints"], 2, body)
        self.assertEqual(json.loads(body)["service"], {"namespace": NAMESPACE, "name": "lb"})
        # Only a remote endpoint left: 503 with 0.
        m = self.manifests({"lb": (42, [Endpoint("pod3", node=OTHER_NODE)], lb)})
        self.write_atomically(m)
        status, body = wait_for("health-check port 503", lambda: (
            lambda r: r if r[0] == 503 else None)(nsclient.run_in_netns(TOPO.client, http_get, url)))
        self.assertEqual(json.loads(body)["localEndpoints"], 0, body)
        # Metrics: kube-proxy's names, on 127.0.0.1 only, and the mode kpx runs in.
        status, text = self.metrics()
        self.assertEqual(status, 200, text)
        for name in ("kubeproxy_sync_proxy_rules_duration_seconds_bucket",
                     "kubeproxy_sync_proxy_rules_last_timestamp_seconds",
                     "kubeproxy_network_programming_duration_seconds_count",
                     "kubeproxy_sync_proxy_rules_endpoint_changes_total",
                     "kubeproxy_sync_proxy_rules_service_changes_total"):
            self.assertIn(name, text)
        self.assertEqual(self.metrics(path="/proxyMode"), (200, MODE))
        status, _ = nsclient.run_in_netns(TOPO.client, http_get, f"http://{self.f.node}:{METRICS}/metrics", 0.5)
        self.assertNotEqual(status, 200, "metrics must not be served beyond loopback by default")
        self.assertEqual(d.stop(), 0, d.output())

    def test_kill_9_and_restart_keeps_an_established_connection(self):
        m = self.manifests({"echo": (43, [Endpoint("pod1")],
                                     dict(ports=[Port("echo", "TCP", 90, 9090)]))})
        m.write()
        # A long-lived echo server in pod1, and a client holding one connection from pod2.
        echo = subprocess.Popen(
            ["ip", "netns", "exec", TOPO.ns("pod1"), sys.executable, "-c", ECHO_SERVER],
            stdout=subprocess.PIPE, text=True)
        self.assertEqual(echo.stdout.readline().strip(), "ready")
        d = self.daemon()
        d.wait_healthy()
        client = subprocess.Popen(
            ["ip", "netns", "exec", TOPO.ns("pod2"), sys.executable, "-c", ECHO_CLIENT,
             self.f.cluster_ip(43), "90"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            client.stdin.write("one\n")
            client.stdin.flush()
            self.assertEqual(client.stdout.readline().strip(), "one")
            d.stop(signal.SIGKILL)
            # The rules stay while kpx is down; a new kpx adopts them without rewriting.
            client.stdin.write("two\n")
            client.stdin.flush()
            self.assertEqual(client.stdout.readline().strip(), "two")
            d2 = self.daemon()
            d2.wait_healthy()
            client.stdin.write("three\n")
            client.stdin.flush()
            self.assertEqual(client.stdout.readline().strip(), "three")
            self.assertIn("adopted", d2.output())
            self.assertEqual(d2.stop(), 0, d2.output())
        finally:
            client.kill()
            echo.kill()

    def test_udp_conntrack_cleanup_when_an_endpoint_goes(self):
        m = self.manifests({"dns": (44, [Endpoint("pod1")], {})})
        m.write()
        d = self.daemon()
        d.wait_healthy()
        vip = self.f.cluster_ip(44)
        # One UDP "flow": the same source port every time, so conntrack keeps its DNAT.
        first = nsclient.run_in_netns(TOPO.client, udp_from_port, vip, 53, 40053)
        self.assertEqual(first, "pod1")
        m = self.manifests({"dns": (44, [Endpoint("pod2")], {})})
        self.write_atomically(m)
        # Without the cleanup the flow would stay pinned to pod1 (still alive) until it expires.
        wait_for("the UDP flow moves to pod2", lambda: nsclient.run_in_netns(
            TOPO.client, udp_from_port, vip, 53, 40053) == "pod2", timeout=10)
        self.assertIn("conntrack: deleted", d.output())
        self.assertEqual(d.stop(), 0, d.output())

    def test_kube_proxy_config_file(self):
        m = self.manifests({"web": (45, [Endpoint("pod1")], {})})
        m.write()
        config = os.path.join(self.dir, "config.conf")
        with open(config, "w") as fh:  # as kubeadm's kube-proxy ConfigMap holds it
            fh.write(KUBE_PROXY_CONFIG.format(healthz=HEALTHZ + 100, metrics=METRICS + 100,
                                              cidr=self.f.cluster_cidr, mode=MODE))
        d = Daemon(["--source", m.directory, "--config", config, "--node-name", NODE_NAME],
                   os.path.join(self.dir, "kpx-config.log"))
        self.daemons.append(d)
        d.wait_healthy(port=HEALTHZ + 100)
        status, text = self.metrics(port=METRICS + 100)
        self.assertEqual(status, 200, text)
        # No --mode on the command line: the file's `mode` is the one kpx runs.
        self.assertEqual(self.metrics(port=METRICS + 100, path="/proxyMode"), (200, MODE))
        self.wait_pods("client", self.f.cluster_ip(45), 80, {"pod1"})
        self.assertIn("unknown", d.output().lower(), "an unknown field warns")
        # The conntrack section reached the node's network namespace (those sysctls are per
        # namespace); nf_conntrack_max is the host's, and kpx outside it leaves it alone.
        for name, want in (("nf_conntrack_tcp_timeout_established", "25200"),
                           ("nf_conntrack_udp_timeout", "45")):
            got = subprocess.run(["ip", "netns", "exec", TOPO.node, "cat",
                                  f"/proc/sys/net/netfilter/{name}"],
                                 capture_output=True, text=True).stdout.strip()
            self.assertEqual(got, want, f"{name}\n{d.output()}")
        self.assertIn("nf_conntrack_max and the hash table are left alone", d.output())
        self.assertEqual(d.stop(), 0, d.output())
        # SIGTERM left the rules: traffic still flows with kpx stopped.
        self.wait_pods("client", self.f.cluster_ip(45), 80, {"pod1"}, timeout=2)


class PrometheusCases(AgentBase):
    """Group `prometheus`: needs promtool and prometheus (Debian package prometheus)."""

    def test_metrics_pass_promtool_and_a_real_prometheus_scrape(self):
        d, _ = self.start_lb_service()
        status, text = self.metrics()
        self.assertEqual(status, 200, text)
        r = subprocess.run(["promtool", "check", "metrics"], input=text, text=True,
                           capture_output=True)
        # promtool's linter objects to two upstream gauge names ending in _total; nothing else.
        problems = [line for line in (r.stdout + r.stderr).splitlines()
                    if line.strip() and "no_local_endpoints_total" not in line
                    and "iptables_total" not in line and "counter metrics should" not in line]
        self.assertEqual(problems, [], r.stdout + r.stderr)
        self.assertIn(r.returncode, (0, 3), r.stdout + r.stderr)  # 3: lint findings only
        # A real Prometheus (Debian's package) in the node namespace scrapes kpx and answers
        # queries on kubeproxy_ series (tests/http/prometheus_scrape.py).
        scrape = os.path.join(os.path.dirname(HERE), "http", "prometheus_scrape.py")
        r = TOPO.exec("node", sys.executable, scrape, "--url",
                      f"http://127.0.0.1:{METRICS}/metrics", check=False, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(d.stop(), 0, d.output())


class ApiServerCases(AgentBase):
    """Group `apiserver`: needs the openssl CLI (the fake API server's certificates)."""

    def test_kubeconfig_against_the_fake_api_server(self):
        m = self.manifests({"web": (46, [Endpoint("pod1"), Endpoint("pod2")], {})})
        seed = m.write()
        with FakeApiServer(netns=TOPO.node, seeds=[seed]) as api:
            d = self.daemon("--kubeconfig", api.kubeconfig_path, source=False)
            d.wait_healthy()
            vip = self.f.cluster_ip(46)
            self.wait_pods("client", vip, 80, {"pod1", "pod2"})
            # An endpoint change, a new service, then a delete: each followed.
            slice_ = next(o for o in m.objects if o["kind"] == "EndpointSlice")
            slice_["endpoints"] = [e for e in slice_["endpoints"]
                                   if e["targetRef"]["name"] == "pod2"]
            api.upsert(slice_)
            self.wait_pods("client", vip, 80, {"pod2"})
            m2 = self.manifests({"api": (47, [Endpoint("pod3")], {})})
            for o in m2.objects:
                if o["kind"] != "Node":
                    api.upsert(o)
            self.wait_pods("client", self.f.cluster_ip(47), 80, {"pod3"})
            # A deleted Service has no rules at all: no pod answers its old ClusterIP.
            api.delete("services", NAMESPACE, "web")
            wait_for("web gone", lambda: all(k.startswith("!") for k in
                                             self.pods_answering("client", vip, 80, n=2)))
            self.wait_pods("client", self.f.cluster_ip(47), 80, {"pod3"}, timeout=2)
            self.assertEqual(d.stop(), 0, d.output())


ECHO_SERVER = r"""
import socket, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 9090)); s.listen(8); print("ready", flush=True)
def serve(c):
    with c:
        while True:
            data = c.recv(1024)
            if not data: return
            c.sendall(data)
while True:
    c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
"""

ECHO_CLIENT = r"""
import socket, sys
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
for line in sys.stdin:
    c.sendall(line.encode()); print(c.recv(1024).decode().strip(), flush=True)
"""

KUBE_PROXY_CONFIG = """apiVersion: kubeproxy.config.k8s.io/v1alpha1
bindAddress: 0.0.0.0
clientConnection:
  acceptContentTypes: ""
  burst: 0
  contentType: ""
  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
  qps: 0
clusterCIDR: {cidr}
configSyncPeriod: 0s
conntrack:
  maxPerCore: null
  min: null
  tcpCloseWaitTimeout: null
  tcpEstablishedTimeout: 7h0m0s
  udpTimeout: 45s
detectLocalMode: ""
enableProfiling: false
healthzBindAddress: 127.0.0.1:{healthz}
hostnameOverride: ""
iptables:
  masqueradeAll: false
  masqueradeBit: null
  minSyncPeriod: 0s
  syncPeriod: 0s
kind: KubeProxyConfiguration
metricsBindAddress: 127.0.0.1:{metrics}
mode: {mode}
nftables:
  minSyncPeriod: 200ms
  syncPeriod: 30s
nodePortAddresses: null
oomScoreAdj: null
someFutureField: true
winkernel:
  enableDSR: false
"""


def udp_from_port(addr: str, port: int, sport: int) -> str:
    """One UDP request from a fixed source port; the answering pod's name, or the error."""
    import socket
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", sport))
    s.settimeout(1.0)
    try:
        s.connect((addr, port))
        s.send(b"q\n")
        return s.recv(2048).decode().split()[0]
    except OSError as e:
        return f"!{e}"
    finally:
        s.close()


GROUPS = {
    "agent": harness.Group((AgentCases,)),
    "prometheus": harness.Group((PrometheusCases,),
                                lambda: capabilities.tools(["promtool", "prometheus"])),
    "apiserver": harness.Group((ApiServerCases,), lambda: capabilities.tools(["openssl"])),
}


def main() -> int:
    global KPX, MODE, TOPO
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("kpx", nargs="?")
    ap.add_argument("--group", default="agent", help=f"one of {', '.join(GROUPS)}")
    ap.add_argument("-k", dest="patterns", action="append")
    args = ap.parse_args()
    harness.exit_on_sigterm()
    KPX = harness.kpx_binary([sys.argv[0]] + ([args.kpx] if args.kpx else []))
    MODE = os.environ.get("KPX_MODE", "nftables")
    group = harness.pick_group(GROUPS, args.group)
    # Everything this run needs, decided before any namespace exists: never by kpx's output.
    harness.require(lambda: capabilities.mode_unavailable(MODE), group.needs)
    with harness.start_topology(["conntrack"] + harness.mode_tools(MODE)) as topo:
        TOPO = topo
        print(f"kpx {KPX} --mode {MODE}, group {args.group}; "
              f"topology {topo.prefix} up in {topo.setup_seconds:.2f}s")
        return harness.run_suite(harness.load(group.cases, args.patterns))


if __name__ == "__main__":
    sys.exit(harness.guarded(main))
