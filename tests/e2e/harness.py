"""What test_services.py, test_agent.py and selfcheck.py share: honest SKIPs, groups of cases,
the unittest runner.

Exit codes (ctest reads them through SKIP_RETURN_CODE 77):
  0  every test of the group ran and passed
  1  a test failed (or no test matched a -k pattern)
  2  usage error (no kpx binary given, unknown group)
  77 skipped: the machine or kpx lacks a capability the group declares (capabilities.py: root,
     a tool, a kernel feature, a mode kpx implements), or a case skipped itself. The reason is
     printed; a run with any skipped case is never reported as a pass.

A suite whose cases need different capabilities is split into groups (--group NAME, one ctest
test each): a group declares what it needs, and is skipped as a whole when that is missing.
"""
import os
import signal
import sys
import time
import unittest
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence

import capabilities
from topology import V4, V6, Topology, Unavailable

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
    reason = capabilities.first_reason(capabilities.root,
                                       lambda: capabilities.tools(["ip"] + tools))
    if reason:
        skip(reason)
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
    os.environ["KPX_BIN"] = os.path.abspath(kpx)  # capabilities reads kpx's declared backends
    return os.path.abspath(kpx)


def cluster_cidr_flag() -> str:
    return f"{V4.cluster_cidr},{V6.cluster_cidr}"


def mode_tools(mode: str) -> List[str]:
    """The tools the tests use to read a mode's kernel state themselves (besides ip and
    conntrack): required up front, so that no check is silently left out. Add the mode's own
    (iptables-save, ipvsadm ...) here when its backend lands and a test reads its state."""
    return {"nftables": ["nft"]}.get(mode, [])


class Group(NamedTuple):
    """Cases that run together in one ctest test, and what they need (None: nothing more)."""
    cases: Sequence[type]
    needs: Callable[[], Optional[str]] = lambda: None


def pick_group(groups: Dict[str, Group], name: str) -> Group:
    if name not in groups:
        print(f"unknown group {name!r} (groups: {', '.join(groups)})", file=sys.stderr)
        sys.exit(2)
    return groups[name]


def require(*checks: Callable[[], Optional[str]]) -> None:
    """Exit 77 with the reason when one of the capability checks fails."""
    reason = capabilities.first_reason(*checks)
    if reason:
        skip(reason)


def load(cases: Sequence[type], patterns: Optional[List[str]]) -> unittest.TestSuite:
    loader = unittest.TestLoader()
    loader.testNamePatterns = [f"*{p}*" for p in patterns or []] or None
    return unittest.TestSuite(loader.loadTestsFromTestCase(c) for c in cases)


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
    if result.testsRun == 0:
        print("FAIL: no test matched", flush=True)
        return 1
    if result.skipped:
        # A partial run is not a pass: the skipped cases would vanish behind a green line.
        print(f"SKIP: {len(result.skipped)} of {result.testsRun} test(s) skipped "
              f"(the others passed): " + "; ".join(f"{t.id()}: {why}" for t, why in result.skipped),
              flush=True)
        return SKIP
    return 0
