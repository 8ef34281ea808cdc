#!/usr/bin/env python3
"""End-to-end service traffic through kpx (docs/semantics.md, tests/README.md): real TCP/UDP packets in network namespaces.

usage: KPX_BIN=build/bin/kpx [KPX_MODE=nftables|iptables|ipvs] test_services.py [--group G] [-k PATTERN]...
       test_services.py build/bin/kpx [--group G] [-k PATTERN]...
Groups (one ctest test each): services (default; every case but SCTP), sctp (needs SCTP sockets).
Exit: 0 passed, 1 failed, 77 skipped (reason printed: no root/netns/tools, a kernel feature the
mode or the group needs, or a mode that tests/e2e/capabilities.py declares not implemented).
One harness for every backend: the mode is only a parameter.

Each case writes its own manifests (Services, EndpointSlices, the Node), runs
`kpx run --once` inside the node namespace, sends traffic from the node, a pod or the client,
asserts who answered and which source address the pod saw, then runs `kpx cleanup` and flushes
conntrack (a stale DNAT would otherwise outlive the rules). IPv4 and IPv6 run the same cases.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import unittest
from collections import Counter

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import capabilities  # noqa: E402
import harness  # noqa: E402
from manifests import NAMESPACE, NODE_NAME, OTHER_NODE, Endpoint, Manifests, standard_ports
from nsclient import OK

KPX = MODE = TOPO = None  # set by main()
ALL = ("pod1", "pod2", "pod3")
N_SPREAD = 30    # P(one of 3 pods never picked) = 3 * (2/3)^30 ~ 2e-5: spread checks do not flake
N_SAME = 20      # requests that must all land on one pod (affinity, policies)
LOCAL = Endpoint  # readability: Endpoint("pod1") is on this node


def remote(pod: str) -> Endpoint:
    return Endpoint(pod, node=OTHER_NODE)


def terminating(pod: str, serving: bool = True) -> Endpoint:
    return Endpoint(pod, ready=False, serving=serving, terminating=True)


class CaseBase:
    """What every case needs: its manifests directory, sync, cleanup and the assertions."""
    FAMILY = 4

    def setUp(self):
        self.f = TOPO.fam(self.FAMILY)
        self.dir = tempfile.mkdtemp(prefix="kpxe-case-")
        self.m = Manifests(self.dir, self.f)

    def tearDown(self):
        r = TOPO.run_kpx(KPX, ["cleanup", "--mode", MODE])
        TOPO.conntrack_flush()
        shutil.rmtree(self.dir, ignore_errors=True)
        self.assertEqual(r.returncode, 0, f"kpx cleanup --mode {MODE}: {r.stdout}{r.stderr}")

    # ------------------------------------------------------------------ helpers
    def sync(self):
        self.m.write()
        r = TOPO.run_kpx(KPX, ["run", "--source", self.dir, "--mode", MODE, "--once",
                               "--node-name", NODE_NAME, "--cluster-cidr",
                               harness.cluster_cidr_flag()])
        self.assertEqual(r.returncode, 0, f"kpx run --once failed:\n{r.stdout}{r.stderr}")

    @staticmethod
    def targets(node_port=None):
        """(proto, port) of standard_ports(): the service ports, or the NodePorts."""
        if node_port:
            return (("tcp", node_port), ("udp", node_port + 1))
        return (("tcp", 80), ("udp", 53))

    def service(self, name, endpoints, index, **kw):
        """A tcp 80 + udp 53 service with ClusterIP index `index` and one EndpointSlice."""
        ports = standard_ports(kw.pop("node_port", None))
        self.m.service(name, ports, cluster_ip=self.f.cluster_ip(index), **kw)
        if endpoints is not None:
            self.m.endpoints(name, endpoints)

    def assert_spread(self, who, addr, pods=ALL, node_port=None, src=None, peer=None):
        """Every request answered, by every pod in `pods` and no other; peer: expected source."""
        for proto, port in self.targets(node_port):
            with self.subTest(who=who, proto=proto, addr=addr, port=port):
                outs = TOPO.requests(who, proto, addr, port, N_SPREAD, src=src)
                dist = Counter(o.pod if o.kind == OK else f"!{o.kind}" for o in outs)
                self.assertEqual(set(dist), set(pods), f"{who} -> {addr}:{port}/{proto}: {dist}")
                if peer is not None:
                    seen = Counter(o.peer for o in outs)
                    self.assertEqual(set(seen), {peer}, f"source seen by the pods: {seen}")

    def assert_all_on(self, who, addr, pod=None, node_port=None, src=None):
        """N_SAME requests all answered by one pod (`pod`, or whichever the first one hit)."""
        for proto, port in self.targets(node_port):
            with self.subTest(who=who, proto=proto):
                dist = TOPO.distribution(who, addr, port, N_SAME, proto, src=src)
                self.assertEqual(len(dist), 1, f"{who} -> {addr}:{port}/{proto}: {dist}")
                if pod:
                    self.assertEqual(set(dist), {pod}, dist)

    def assert_dropped(self, who, addr, node_port=None, src=None):
        for proto, port in self.targets(node_port):
            with self.subTest(who=who, proto=proto, expect="DROP"):
                TOPO.expect_drop(who, proto, addr, port, src=src)

    def assert_rejected(self, who, addr, node_port=None):
        for proto, port in self.targets(node_port):
            with self.subTest(who=who, proto=proto, expect="REJECT"):
                TOPO.expect_reject(who, proto, addr, port)


class ServiceCases(CaseBase):
    """The cases of group `services`; mixed into one TestCase per IP family below."""

    # ------------------------------------------------------------------ ClusterIP
    def test_cluster_ip_from_node(self):
        self.service("cip-node", [LOCAL(p) for p in ALL], 10)
        self.sync()
        self.assert_spread("node", self.f.cluster_ip(10))

    def test_cluster_ip_from_pod_is_not_masqueraded(self):
        self.service("cip-pod", [LOCAL(p) for p in ALL], 11)
        self.sync()
        for proto, port in self.targets():
            with self.subTest(proto=proto):
                outs = TOPO.requests("pod3", proto, self.f.cluster_ip(11), port, N_SPREAD)
                self.assertEqual({o.pod for o in outs}, set(ALL), outs)
                for o in outs:  # pod -> ClusterIP keeps the pod's source; hairpin is masqueraded
                    want = self.f.gateway if o.pod == "pod3" else TOPO.pod_ip("pod3", self.FAMILY)
                    self.assertEqual(o.peer, want, o)

    def test_hairpin_pod_reaches_itself(self):
        # One endpoint, so every request must come back to the sender: the bridge port's hairpin
        # mode plus kpx's hairpin masquerade. Each must be quick: a dropped first SYN would be
        # retransmitted and show only as +1 s (notes/feasibility.md, pitfall 3).
        self.service("hairpin", [LOCAL("pod1")], 12)
        self.sync()
        for proto, port in self.targets():
            with self.subTest(proto=proto):
                for o in TOPO.requests("pod1", proto, self.f.cluster_ip(12), port, 10):
                    self.assertEqual((o.kind, o.pod, o.peer), (OK, "pod1", self.f.gateway), o)
                    self.assertLess(o.elapsed, 0.5, o)

    # ------------------------------------------------------------------ external traffic
    def test_node_port_from_client_is_masqueraded(self):
        self.service("np", [LOCAL(p) for p in ALL], 13, type="NodePort", node_port=30013)
        self.sync()
        # eTP Cluster: SNAT to the node (its bridge address), so replies return through it.
        self.assert_spread("client", self.f.node, node_port=30013, peer=self.f.gateway)
        self.assert_spread("node", self.f.cluster_ip(13))

    def test_external_ip_from_client(self):
        self.service("extip", [LOCAL(p) for p in ALL], 14, external_ips=[self.f.external_ip(14)])
        self.sync()
        self.assert_spread("client", self.f.external_ip(14), peer=self.f.gateway)

    def test_load_balancer_source_ranges(self):
        lb = self.f.external_ip(15)
        self.service("lb", [LOCAL(p) for p in ALL], 15, type="LoadBalancer", node_port=30015,
                     lb_ips=[lb], source_ranges=[self.f.single(self.f.client)])
        self.sync()
        self.assert_spread("client", lb, src=self.f.client)
        self.assert_dropped("client", lb, src=self.f.client_alt)
        self.assert_dropped("pod1", lb)  # ranges apply to every source, pods included
        # The NodePort of the same service is not behind the ranges.
        self.assert_spread("client", self.f.node, node_port=30015, src=self.f.client_alt)

    def test_session_affinity_client_ip(self):
        self.service("sticky", [LOCAL(p) for p in ALL], 16, type="NodePort", node_port=30016,
                     affinity_seconds=60)
        self.sync()
        self.assert_all_on("node", self.f.cluster_ip(16))
        self.assert_all_on("pod2", self.f.cluster_ip(16))
        self.assert_all_on("client", self.f.node, node_port=30016)

    # ------------------------------------------------------------------ traffic policies
    def test_external_traffic_policy_local(self):
        # pod3 is a real pod that the manifests place on another node: a wrong pick would answer.
        self.service("etp-local", [LOCAL("pod1"), LOCAL("pod2"), remote("pod3")], 17,
                     type="NodePort", node_port=30017, external_policy="Local")
        self.sync()
        self.assert_spread("client", self.f.node, pods=("pod1", "pod2"), node_port=30017,
                           peer=self.f.client)  # the client's address is preserved
        self.assert_spread("node", self.f.cluster_ip(17))  # internal traffic: every endpoint

    def test_external_traffic_policy_local_without_local_endpoints(self):
        self.service("etp-none", [remote("pod2"), remote("pod3")], 18, type="NodePort",
                     node_port=30018, external_policy="Local")
        self.sync()
        self.assert_dropped("client", self.f.node, node_port=30018)  # dropped, not rejected
        self.assert_spread("node", self.f.cluster_ip(18), pods=("pod2", "pod3"))
        # A pod (inside the cluster CIDR) reaching the NodePort is short-circuited to the
        # internal endpoints.
        self.assert_spread("pod1", self.f.node, pods=("pod2", "pod3"), node_port=30018)

    def test_internal_traffic_policy_local(self):
        self.service("itp-local", [LOCAL("pod1"), remote("pod2"), remote("pod3")], 19,
                     internal_policy="Local")
        self.sync()
        self.assert_all_on("node", self.f.cluster_ip(19), pod="pod1")
        self.assert_all_on("pod3", self.f.cluster_ip(19), pod="pod1")

    def test_internal_traffic_policy_local_without_local_endpoints(self):
        self.service("itp-none", [remote("pod2"), remote("pod3")], 20, internal_policy="Local")
        self.sync()
        self.assert_dropped("pod1", self.f.cluster_ip(20))

    # ------------------------------------------------------------------ endpoints
    def test_no_endpoints_rejects(self):
        self.service("empty", None, 21, type="NodePort", node_port=30021)
        self.sync()
        self.assert_rejected("node", self.f.cluster_ip(21))
        self.assert_rejected("pod1", self.f.cluster_ip(21))
        self.assert_rejected("client", self.f.node, node_port=30021)

    def test_terminating_fallback(self):
        # Only serving+terminating endpoints: they are used (not pod3, which is not serving).
        self.service("draining", [terminating("pod1"), terminating("pod2"),
                                  terminating("pod3", serving=False)], 22)
        # A ready endpoint exists: the terminating one is not used.
        self.service("mixed", [LOCAL("pod1"), terminating("pod2")], 23)
        self.sync()
        self.assert_spread("node", self.f.cluster_ip(22), pods=("pod1", "pod2"))
        self.assert_all_on("node", self.f.cluster_ip(23), pod="pod1")

    # ------------------------------------------------------------------ kpx's own view
    def test_dump_lists_service_ports(self):
        self.service("dumped", [LOCAL(p) for p in ALL], 25, type="NodePort", node_port=30025)
        self.sync()
        r = TOPO.run_kpx(KPX, ["dump", "--mode", MODE, "--format", "json"])
        self.assertEqual(r.returncode, 0, r.stderr)
        strings = list(_strings(json.loads(r.stdout)))
        wanted = [f"{NAMESPACE}/dumped:tcp", f"{NAMESPACE}/dumped:udp", self.f.cluster_ip(25),
                  *self.f.pods]
        missing = [w for w in wanted if not any(w in s for s in strings)]
        self.assertEqual(missing, [], f"not in `kpx dump --format json`: {r.stdout[:800]}")

    def test_cleanup_removes_everything(self):
        self.service("gone", [LOCAL(p) for p in ALL], 26)
        self.sync()
        self.assertEqual(TOPO.tcp_request("pod1", self.f.cluster_ip(26), 80).kind, OK)
        r = TOPO.run_kpx(KPX, ["cleanup", "--mode", MODE])
        self.assertEqual(r.returncode, 0, r.stderr)
        TOPO.conntrack_flush()
        self.assertNotEqual(TOPO.tcp_request("pod1", self.f.cluster_ip(26), 80, timeout=1).kind, OK)
        dump = TOPO.run_kpx(KPX, ["dump", "--mode", MODE, "--format", "json"])
        self.assertNotIn(f"{NAMESPACE}/gone", dump.stdout)
        if MODE == "nftables":  # nft is required up front for this mode (harness.mode_tools)
            tables = TOPO.exec("node", "nft", "list", "tables").stdout
            self.assertNotIn(" kpx", tables)


class SctpCases(CaseBase):
    """Group `sctp`: needs SCTP sockets in the kernel (capabilities.sctp), checked up front."""

    def test_sctp_cluster_ip(self):
        self.assertTrue(TOPO.sctp, "the pods serve no SCTP although the kernel has it")
        self.m.service("sctp", standard_ports(sctp=True), cluster_ip=self.f.cluster_ip(24))
        self.m.endpoints("sctp", [LOCAL(p) for p in ALL])
        self.sync()
        dist = TOPO.distribution("node", self.f.cluster_ip(24), 80, N_SPREAD, "sctp")
        self.assertEqual(set(dist), set(ALL), dist)


def _strings(doc):
    if isinstance(doc, str):
        yield doc
    elif isinstance(doc, dict):
        for k, v in doc.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(doc, list):
        for v in doc:
            yield from _strings(v)
    elif doc is not None:
        yield str(doc)


class IPv4Services(ServiceCases, unittest.TestCase):
    FAMILY = 4


class IPv6Services(ServiceCases, unittest.TestCase):
    FAMILY = 6


class IPv4Sctp(SctpCases, unittest.TestCase):
    FAMILY = 4


class IPv6Sctp(SctpCases, unittest.TestCase):
    FAMILY = 6


GROUPS = {
    "services": harness.Group((IPv4Services, IPv6Services)),
    "sctp": harness.Group((IPv4Sctp, IPv6Sctp), capabilities.sctp),
}


def main() -> int:
    global KPX, MODE, TOPO
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("kpx", nargs="?", help="the kpx binary (default: $KPX_BIN)")
    ap.add_argument("--group", default="services", help=f"one of {', '.join(GROUPS)}")
    ap.add_argument("-k", dest="patterns", action="append", help="run only tests matching")
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
