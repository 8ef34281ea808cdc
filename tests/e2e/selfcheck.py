#!/usr/bin/env python3
"""Proves the e2e harness without kpx: a hand-written nftables ruleset stands in for the dataplane.

usage: selfcheck.py      (root; exits 77 = SKIP when the machine cannot host the topology or
                          the kernel has no nf_tables: capabilities.py)

The ruleset follows kube-proxy's nftables layout (as notes/feasibility/topology.sh's gen_nft):
a verdict map on `daddr . l4proto . dport`, `fib daddr type local` for NodePorts, `numgen random`
to pick an endpoint, `dnat`, and `masquerade` of marked packets; REJECT and DROP in filter hooks.
It is loaded into `ip` and `ip6` tables of the node namespace with the nft binary. If these checks
pass, a failure of test_services.py is kpx's, not the harness's.
"""
import sys
import time
import unittest
from collections import Counter

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import capabilities  # noqa: E402
import harness  # noqa: E402
from topology import NPODS, TCP_PORT, UDP_PORT, V4, V6, FamilyAddrs

SPREAD, HAIRPIN, REJECT, DROP, RESTRICTED = 10, 11, 12, 13, 20  # address indexes
NODE_PORT = 30080
MARK = "0x4000"
N = 30  # P(a pod never picked in 30 tries) = 3 * (2/3)^30 ~ 2e-5: no flakes


def ruleset(f: FamilyAddrs) -> str:
    fam = ip = "ip" if f.family == 4 else "ip6"  # table family and payload keyword coincide
    addr_t = "ipv4_addr" if f.family == 4 else "ipv6_addr"
    br = (lambda a: a) if f.family == 4 else (lambda a: f"[{a}]")
    spread = ", ".join(f"{i} : goto ep{i + 1}-{{p}}" for i in range(NPODS))
    chains = []
    for i, pod_ip in enumerate(f.pods, 1):
        for proto, port in (("tcp", TCP_PORT), ("udp", UDP_PORT)):
            chains.append(f"chain ep{i}-{proto} {{ {ip} saddr {pod_ip} jump mark-for-masquerade; "
                          f"meta l4proto {proto} dnat to {br(pod_ip)}:{port}; }}")
    services = []
    for proto, port in (("tcp", 80), ("udp", 53)):
        services += [f"{f.cluster_ip(SPREAD)} . {proto} . {port} : goto svc-{proto}",
                     f"{f.cluster_ip(HAIRPIN)} . {proto} . {port} : goto ep1-{proto}",
                     f"{f.external_ip(RESTRICTED)} . {proto} . {port} : goto ext-{proto}"]
    return f"""
table {fam} selfcheck
delete table {fam} selfcheck
table {fam} selfcheck {{
  map service-ips {{
    type {addr_t} . inet_proto . inet_service : verdict
    elements = {{ {", ".join(services)} }}
  }}
  map service-nodeports {{
    type inet_proto . inet_service : verdict
    elements = {{ tcp . {NODE_PORT} : goto ext-tcp, udp . {NODE_PORT + 1} : goto ext-udp }}
  }}
  chain nat-prerouting {{ type nat hook prerouting priority dstnat; policy accept; jump services; }}
  chain nat-output {{ type nat hook output priority -100; policy accept; jump services; }}
  chain nat-postrouting {{ type nat hook postrouting priority srcnat; policy accept;
    meta mark & {MARK} == 0 return; meta mark set meta mark ^ {MARK}; masquerade fully-random; }}
  chain mark-for-masquerade {{ meta mark set meta mark | {MARK}; }}
  chain services {{
    {ip} daddr . meta l4proto . th dport vmap @service-ips
    fib daddr type local meta l4proto . th dport vmap @service-nodeports
  }}
  chain ext-tcp {{ jump mark-for-masquerade; goto svc-tcp; }}
  chain ext-udp {{ jump mark-for-masquerade; goto svc-udp; }}
  chain svc-tcp {{ numgen random mod {NPODS} vmap {{ {spread.format(p="tcp")} }}; }}
  chain svc-udp {{ numgen random mod {NPODS} vmap {{ {spread.format(p="udp")} }}; }}
  {chr(10).join("  " + c for c in chains)}
  chain firewall {{ type filter hook prerouting priority dstnat - 10; policy accept;
    {ip} daddr {f.external_ip(RESTRICTED)} {ip} saddr != {f.client} drop; }}
  chain no-endpoints {{ {ip} daddr {f.cluster_ip(REJECT)} reject; {ip} daddr {f.cluster_ip(DROP)} drop; }}
  chain filter-forward {{ type filter hook forward priority filter; policy accept; jump no-endpoints; }}
  chain filter-output {{ type filter hook output priority filter; policy accept; jump no-endpoints; }}
}}
"""


class HarnessSelfCheck(unittest.TestCase):
    topo = None

    @classmethod
    def setUpClass(cls):
        t0 = time.monotonic()
        for f in (V4, V6):
            cls.topo.exec("node", "nft", "-f", "-", input=ruleset(f))
        print(f"\n  ruleset (ip + ip6) loaded in {time.monotonic() - t0:.3f}s", flush=True)

    def setUp(self):
        self.topo.conntrack_flush()
        self.t0 = time.monotonic()

    def note(self, what, value):
        print(f"\n    {what}: {value} ({time.monotonic() - self.t0:.3f}s)", end="", flush=True)

    def assert_spread(self, dist: Counter, pods=("pod1", "pod2", "pod3")):
        self.assertEqual(set(dist), set(pods), dist)
        self.assertEqual(sum(dist.values()), N, dist)

    def test_cluster_ip_from_node(self):
        for f in (V4, V6):
            for proto, port in (("tcp", 80), ("udp", 53)):
                with self.subTest(family=f.family, proto=proto):
                    d = self.topo.distribution("node", f.cluster_ip(SPREAD), port, N, proto)
                    self.note(f"v{f.family} {proto} node -> ClusterIP", dict(d))
                    self.assert_spread(d)

    def test_cluster_ip_from_pod_keeps_pod_source_and_hairpins(self):
        for f in (V4, V6):
            for proto, port in (("tcp", 80), ("udp", 53)):
                with self.subTest(family=f.family, proto=proto):
                    outs = self.topo.requests("pod2", proto, f.cluster_ip(SPREAD), port, N)
                    self.note(f"v{f.family} {proto} pod2 -> ClusterIP",
                              dict(Counter(o.pod for o in outs)))
                    self.assert_spread(Counter(o.pod for o in outs if o.kind == "ok"))
                    for o in outs:  # the hairpin hit is masqueraded to the bridge address
                        self.assertEqual(o.peer, f.gateway if o.pod == "pod2" else f.pods[1], o)

    def test_hairpin_single_endpoint(self):
        for f in (V4, V6):
            for proto, port in (("tcp", 80), ("udp", 53)):
                with self.subTest(family=f.family, proto=proto):
                    outs = self.topo.requests("pod1", proto, f.cluster_ip(HAIRPIN), port, 10)
                    self.note(f"v{f.family} {proto} pod1 -> itself", outs[0])
                    for o in outs:
                        self.assertEqual((o.kind, o.pod, o.peer), ("ok", "pod1", f.gateway), o)
                        self.assertLess(o.elapsed, 0.5, o)  # a retransmitted SYN would hide a failure

    def test_node_port_from_client_is_masqueraded(self):
        for f in (V4, V6):
            for proto, port in (("tcp", NODE_PORT), ("udp", NODE_PORT + 1)):
                with self.subTest(family=f.family, proto=proto):
                    outs = self.topo.requests("client", proto, f.node, port, N)
                    self.note(f"v{f.family} {proto} client -> NodePort", outs[0])
                    self.assert_spread(Counter(o.pod for o in outs if o.kind == "ok"))
                    self.assertEqual({o.peer for o in outs}, {f.gateway})

    def test_reject_is_a_fast_refusal(self):
        for f in (V4, V6):
            for who in ("node", "pod1"):
                for proto, port in (("tcp", 80), ("udp", 53)):
                    with self.subTest(family=f.family, who=who, proto=proto):
                        o = self.topo.expect_reject(who, proto, f.cluster_ip(REJECT), port)
                        self.note(f"v{f.family} {proto} {who} -> REJECT", o)

    def test_drop_is_a_timeout(self):
        for f in (V4, V6):
            for proto, port in (("tcp", 80), ("udp", 53)):
                with self.subTest(family=f.family, proto=proto):
                    o = self.topo.expect_drop("pod1", proto, f.cluster_ip(DROP), port)
                    self.note(f"v{f.family} {proto} pod1 -> DROP", o)
                    with self.assertRaises(AssertionError):  # and the two are told apart
                        self.topo.expect_reject("pod1", proto, f.cluster_ip(DROP), port, timeout=0.3)
                    with self.assertRaises(AssertionError):
                        self.topo.expect_drop("pod1", proto, f.cluster_ip(REJECT), port)

    def test_source_bound_requests(self):
        """What loadBalancerSourceRanges tests need: the client picks its source address."""
        for f in (V4, V6):
            with self.subTest(family=f.family):
                ok = self.topo.tcp_request("client", f.external_ip(RESTRICTED), 80, src=f.client)
                self.assertEqual(ok.kind, "ok", ok)
                self.topo.expect_drop("client", "tcp", f.external_ip(RESTRICTED), 80,
                                      src=f.client_alt)
                np = self.topo.tcp_request("client", f.node, NODE_PORT, src=f.client_alt)
                self.assertEqual(np.kind, "ok", np)
                self.note(f"v{f.family} allowed src / other src / NodePort", ok)

    def test_local_drop_from_the_node(self):
        """Not an assertion about kpx: records what a DROP in OUTPUT looks like to the node."""
        for f in (V4, V6):
            for proto in ("tcp", "udp"):
                o = self.topo.request("node", proto, f.cluster_ip(DROP), 80, timeout=1.0)
                self.note(f"v{f.family} {proto} node -> DROP in output (info)", o)


def main() -> int:
    harness.exit_on_sigterm()
    t0 = time.monotonic()
    harness.require(capabilities.root, capabilities.nf_tables)
    with harness.start_topology(["nft", "conntrack"]) as topo:
        print(f"topology {topo.prefix}: up in {topo.setup_seconds:.3f}s "
              f"(SCTP sockets: {'yes' if topo.sctp else 'no, kernel lacks CONFIG_IP_SCTP'})")
        HarnessSelfCheck.topo = topo
        rc = harness.run_suite(unittest.defaultTestLoader.loadTestsFromTestCase(HarnessSelfCheck))
        t1 = time.monotonic()
    print(f"teardown {time.monotonic() - t1:.3f}s; selfcheck total {time.monotonic() - t0:.3f}s")
    return rc


if __name__ == "__main__":
    sys.exit(harness.guarded(main))
