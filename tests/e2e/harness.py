"""What test_services.py and selfcheck.py share: honest SKIPs, the kpx probe, the unittest runner.

Exit codes (ctest reads them through SKIP_RETURN_CODE 77):
  0  every test that ran passed, and at least one ran
  1  a test failed
  2  usage error (no kpx binary given)
  77 skipped: the machine cannot run this (not root, no netns, a missing tool) or kpx's backend
     is not there yet ("not implemented yet"). The reason is printed; never reported as a pass.
"""
import os
import signal
import sys
import tempfile
import time
import unittest
from typing import List, Optional

import nsclient
from manifests import Manifests
from topology import V4, V6, Topology, Unavailable, missing_tools

SKIP = 77


def skip(reason: str) -> None:
    print(f"SKIP: {reason}", flush=True)
    sys.exit(SKIP)


class Terminated(KeyboardInterrupt):
    """SIGTERM/SIGHUP as an exception. A KeyboardInterrupt, because unittest records any other
    exception (SystemExit included) as a test error and carries on with the next test."""


def exit_on_sigterm() -> None:
    """ctest's timeout and Ctrl-C arrive as signals: turn them into an exception that unwinds
    through the Topology context manager, so our namespaces are still deleted. (After SIGKILL,
    podserver dies with us and the next run's reap_stale() removes the namespaces.)"""
    def handler(signum, _frame):
        raise Terminated(f"signal {signum}")
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGHUP, handler)


def guarded(main) -> int:
    """Runs main(); an interruption becomes exit code 130 after the cleanup has run."""
    try:
        return main()
    except KeyboardInterrupt as e:
        print(f"interrupted ({e or 'SIGINT'}); namespaces deleted", file=sys.stderr)
        return 130


def start_topology(tools: List[str]) -> Topology:
    """A started Topology, or a SKIP (exit 77) saying what the machine lacks."""
    if os.geteuid() != 0:
        skip("needs root to create network namespaces")
    missing = missing_tools(["ip"] + tools)
    if missing:
        skip(f"missing tools: {', '.join(missing)} (apt-get install iproute2 conntrack nftables)")
    try:
        return Topology().start()
    except Unavailable as e:
        skip(str(e))
    raise AssertionError("unreachable")


def kpx_binary(argv: List[str]) -> str:
    kpx = os.environ.get("KPX_BIN") or (argv[1] if len(argv) > 1 else "")
    if not kpx:
        print("usage: KPX_BIN=/path/to/kpx [KPX_MODE=nftables] test_services.py  "
              "(or: test_services.py /path/to/kpx)", file=sys.stderr)
        sys.exit(2)
    if not os.access(kpx, os.X_OK):
        print(f"kpx binary {kpx!r} is not executable", file=sys.stderr)
        sys.exit(1)  # the build is broken: a failure, not a skip
    return os.path.abspath(kpx)


def cluster_cidr_flag() -> str:
    return f"{V4.cluster_cidr},{V6.cluster_cidr}"


def backend_missing(topo: Topology, kpx: str, mode: str, node_name: str) -> Optional[str]:
    """Why kpx's `mode` backend cannot be exercised here, or None when it can.

    The probe runs `kpx run --once` on a cluster with no services inside the node namespace (never
    the root one) and looks for kpx's own "not implemented yet". Any other failure is not a skip:
    the tests then run and show it.
    """
    if mode == "ipvs":
        if not nsclient.run_in_netns(topo.node, os.path.exists, "/proc/net/ip_vs"):
            return "this kernel has no IPVS (CONFIG_IP_VS unset); ipvs runs under QEMU instead"
    with tempfile.TemporaryDirectory(prefix="kpxe-probe-") as d:
        Manifests(d, V4, node_name).write()
        r = topo.run_kpx(kpx, ["run", "--source", d, "--mode", mode, "--once",
                               "--node-name", node_name, "--cluster-cidr", cluster_cidr_flag()])
    text = (r.stdout + r.stderr).strip()
    if "not implemented yet" in text:
        return f"`kpx run --mode {mode}` is not implemented yet (exit {r.returncode}): {text}"
    topo.run_kpx(kpx, ["cleanup", "--mode", mode])
    return None


class _TimedResult(unittest.TextTestResult):
    """Records each test's wall time, to print the slowest ones (negative checks cost timeouts)."""
    def startTest(self, test):
        self._t0 = time.monotonic()
        super().startTest(test)

    def stopTest(self, test):
        super().stopTest(test)
        self.durations = getattr(self, "durations", [])
        self.durations.append((time.monotonic() - self._t0, test.id()))


def run_suite(suite: unittest.TestSuite) -> int:
    runner = unittest.TextTestRunner(verbosity=2, stream=sys.stdout, resultclass=_TimedResult)
    result = runner.run(suite)
    slowest = sorted(getattr(result, "durations", []), reverse=True)[:6]
    if slowest:
        print("slowest: " + ", ".join(f"{t.split('.', 1)[-1]} {d:.1f}s" for d, t in slowest))
    if not result.wasSuccessful():
        return 1
    if result.testsRun - len(result.skipped) <= 0:
        print("SKIP: no test ran (all skipped)", flush=True)
        return SKIP
    return 0
