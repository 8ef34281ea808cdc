#!/usr/bin/env python3
"""The README's demo: kpx programs the example cluster (examples/) into a scratch network
namespace topology, and real requests reach the pods.

Topology (tests/e2e/topology.py, the e2e harness): a client namespace, a node namespace
(172.31.100.1, where kpx runs) and three pod namespaces on a bridge (10.244.0.11-13), each
answering "<pod> <peer address>". Everything is created here and deleted at the end; the root
namespace is never touched.
"""
import os
import sys
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

from topology import Topology, V4  # noqa: E402

KPX = os.path.join(ROOT, "build", "bin", "kpx")
EXAMPLES = os.path.join(ROOT, "examples")


def show(title, outcomes):
    counts = Counter(o.pod if o.kind == "ok" else o.kind for o in outcomes)
    print(f"  {title}: " + ", ".join(f"{k} x{v}" for k, v in sorted(counts.items())))
    return counts


def main() -> int:
    if os.geteuid() != 0:
        print("demo.py: needs root (network namespaces)", file=sys.stderr)
        return 1
    with Topology() as topo:
        print(f"== topology up in {topo.setup_seconds:.2f}s: client, node, pod1..pod3")
        args = ["run", "--source", EXAMPLES, "--mode", "nftables", "--once",
                "--node-name", "kpx-demo-node", "--cluster-cidr", V4.cluster_cidr]
        print("== in the node namespace: kpx " + " ".join(args))
        r = topo.run_kpx(KPX, args)
        sys.stderr.write(r.stderr)
        if r.returncode != 0:
            print(f"kpx run failed (exit {r.returncode})", file=sys.stderr)
            return 1

        print("== real traffic")
        web = show("pod1 -> ClusterIP 10.96.0.10:80 (default/web)",
                   topo.requests("pod1", "tcp", "10.96.0.10", 80, 12))
        nodeport = show("client -> NodePort 172.31.100.1:30080 (default/web)",
                        topo.requests("client", "tcp", V4.node, 30080, 12))
        dns = show("pod2 -> ClusterIP 10.96.0.53:53/udp (kube-system/dns)",
                   topo.requests("pod2", "udp", "10.96.0.53", 53, 8))
        sticky = show("node -> ClusterIP 10.96.0.20:80 (default/sticky, ClientIP affinity)",
                      topo.requests("node", "tcp", "10.96.0.20", 80, 8))

        print("== kpx dump (read back from the kernel)")
        d = topo.run_kpx(KPX, ["dump", "--mode", "nftables"])
        print(d.stdout, end="")

        print("== kpx cleanup")
        c = topo.run_kpx(KPX, ["cleanup", "--mode", "nftables"])
        sys.stderr.write(c.stderr)

        ok = (len([k for k in web if k.startswith("pod")]) >= 2 and
              len([k for k in nodeport if k.startswith("pod")]) >= 2 and
              all(k.startswith("pod") for k in list(web) + list(nodeport) + list(dns)) and
              len(sticky) == 1 and c.returncode == 0)
        print("== demo " + ("OK: requests answered by different pods" if ok else "FAILED"))
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
