#!/usr/bin/env python3
"""What the tests may assume about kpx and about this machine, declared in one place.

Every skip of the Python suites is decided here, up front, on a declared capability: which
modes kpx implements and what each needs (kpx's own declaration, its backend registry, as
`kpx version --format json` prints it; KPX_BIN names the binary), root, a binary on PATH, or a
kernel feature probed in a fresh network namespace. No test decides to skip by reading kpx's output: when a
mode is declared implemented and kpx fails in it, the tests fail.

Each check returns None when the capability is there, or the reason (a sentence) when it is not.

The kernel probes run in a forked child that unshare()s a new network namespace: nothing in the
root namespace (or any other existing one) is read or written, and the namespace disappears
with the child. They need root (CAP_SYS_ADMIN for unshare); without it they say so.

    python3 tests/e2e/capabilities.py      # prints every capability of this machine
"""
import ctypes
import errno
import os
import pickle
import select
import shutil
import signal
import socket
import struct
import time
from typing import Callable, Iterable, List, Optional

# ---------------------------------------------------------------------------------- kpx's modes

ALL_MODES = ("nftables", "iptables", "ipvs")



def _declared_backends() -> dict:
    """{mode: [needs...]} from kpx's backend registry (`kpx version --format json`)."""
    kpx = os.environ.get("KPX_BIN")
    if not kpx:
        raise RuntimeError("KPX_BIN must name the kpx binary: its backend registry declares the modes")
    import json
    import subprocess
    out = subprocess.run([kpx, "version", "--format", "json"], capture_output=True, text=True,
                         timeout=30, check=True).stdout
    return {b["mode"]: b["needs"] for b in json.loads(out)["backends"]}


_declared = None


def declared_backends() -> dict:
    global _declared
    if _declared is None:
        _declared = _declared_backends()
    return _declared


def implemented_modes() -> frozenset:
    """The backends kpx implements, as kpx declares them. A mode listed here is tested, and a
    failure of kpx in it is a test failure (never a skip); a mode not listed is skipped by every
    suite that runs traffic through kpx."""
    return frozenset(declared_backends())


def __getattr__(name):  # capabilities.IMPLEMENTED_MODES, read from kpx when first asked for
    if name == "IMPLEMENTED_MODES":
        return implemented_modes()
    if name == "DECLARED_BACKENDS":
        return declared_backends()
    raise AttributeError(name)


def mode_implemented(mode: str) -> bool:
    return mode in implemented_modes()


def mode_not_implemented(mode: str) -> Optional[str]:
    if mode not in ALL_MODES:
        raise ValueError(f"unknown mode {mode!r} (known: {', '.join(ALL_MODES)})")
    if mode_implemented(mode):
        return None
    return (f"kpx has no {mode} backend yet (its registry declares "
            f"{', '.join(sorted(implemented_modes()))}: kpx version --format json)")


# ---------------------------------------------------------------------------------- the machine

def root() -> Optional[str]:
    return None if os.geteuid() == 0 else "needs root (network namespaces, netfilter)"


def tools(names: Iterable[str]) -> Optional[str]:
    missing = [t for t in names if shutil.which(t) is None]
    if missing:
        return f"missing tools: {', '.join(missing)}"
    return None


def first_reason(*checks: Callable[[], Optional[str]]) -> Optional[str]:
    """The first missing capability among checks (called in order, lazily), or None."""
    for check in checks:
        reason = check()
        if reason:
            return reason
    return None


# ---------------------------------------------------------------------------------- kernel probes

CLONE_NEWNET = 0x40000000


def in_fresh_netns(fn: Callable[[], Optional[str]], deadline: float = 20.0) -> Optional[str]:
    """Runs fn() in a forked child inside a new, empty network namespace; returns its result
    (None or a reason). Needs root; the namespace is gone when the child exits."""
    reason = root()
    if reason:
        return reason
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never return into the caller's stack
        code = 0
        try:
            os.close(r)
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.unshare(CLONE_NEWNET) != 0:
                e = ctypes.get_errno()
                result = f"unshare(CLONE_NEWNET): {os.strerror(e)}"
            else:
                result = fn()
            payload = pickle.dumps(("ok", result))
        except BaseException as e:  # noqa: BLE001 - everything goes back to the parent
            payload = pickle.dumps(("exc", f"{type(e).__name__}: {e}"))
            code = 1
        try:
            view = memoryview(payload)
            while view:
                view = view[os.write(w, view):]
        finally:
            os._exit(code)
    os.close(w)
    chunks, end = [], time.monotonic() + deadline
    try:
        while True:
            left = end - time.monotonic()
            if left <= 0 or not select.select([r], [], [], left)[0]:
                os.kill(pid, signal.SIGKILL)
                return f"the probe {fn.__name__} did not finish in {deadline:.0f}s"
            chunk = os.read(r, 65536)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(r)
        os.waitpid(pid, 0)
    status, value = pickle.loads(b"".join(chunks))
    if status != "ok":
        # A probe that crashes is a bug of the probe, not a missing capability.
        raise RuntimeError(f"capability probe {fn.__name__} failed: {value}")
    return value


# netlink framing
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_ACK, NLM_F_CREATE = 0x1, 0x4, 0x400
NETLINK_NETFILTER, NETLINK_GENERIC = 12, 16


def _nlattr(kind: int, payload: bytes) -> bytes:
    length = 4 + len(payload)
    return struct.pack("=HH", length, kind) + payload + b"\0" * (-length % 4)


def _nlmsg(kind: int, flags: int, seq: int, payload: bytes) -> bytes:
    return struct.pack("=IHHII", 16 + len(payload), kind, flags, seq, 0) + payload


def _acks(sock: socket.socket, seqs: List[int]) -> dict:
    """seq -> errno (0 = ok) of the NLMSG_ERROR answers, until every seq in seqs answered."""
    out: dict = {}
    sock.settimeout(5)
    while not set(seqs) <= set(out):
        data = sock.recv(65536)
        off = 0
        while off + 16 <= len(data):
            length, kind, _flags, seq, _pid = struct.unpack_from("=IHHII", data, off)
            if kind == NLMSG_ERROR:
                out[seq] = -struct.unpack_from("=i", data, off + 16)[0]
            elif seq in seqs:
                out.setdefault(seq, 0)
            off += (length + 3) & ~3
            if length < 16:
                break
    return out


def _probe_nf_tables() -> Optional[str]:
    """Creates an `ip` and an `ip6` table in one nf_tables batch (the new namespace is empty and
    dies with the probe): what kpx's nftables backend does first."""
    nfproto_ipv4, nfproto_ipv6 = 2, 10
    subsys_nftables, nft_msg_newtable = 10, 0
    batch_begin, batch_end = 0x10, 0x11
    try:
        sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    except OSError as e:
        return f"no nfnetlink (socket: {e.strerror})"
    with sock:
        sock.bind((0, 0))

        def nfgen(family: int, res_id: int = 0) -> bytes:
            return struct.pack("=BBH", family, 0, socket.htons(res_id))

        msgs = [_nlmsg(batch_begin, NLM_F_REQUEST, 1, nfgen(0, subsys_nftables))]
        for seq, fam in ((2, nfproto_ipv4), (3, nfproto_ipv6)):
            msgs.append(_nlmsg((subsys_nftables << 8) | nft_msg_newtable,
                               NLM_F_REQUEST | NLM_F_CREATE | NLM_F_ACK, seq,
                               nfgen(fam) + _nlattr(1, b"kpx-probe\0")))  # NFTA_TABLE_NAME
        msgs.append(_nlmsg(batch_end, NLM_F_REQUEST, 4, nfgen(0, subsys_nftables)))
        sock.sendto(b"".join(msgs), (0, 0))
        try:
            acks = _acks(sock, [2, 3])
        except socket.timeout:
            return "nf_tables did not answer a NEWTABLE batch"
    bad = {seq: err for seq, err in acks.items() if err}
    if bad:
        err = next(iter(bad.values()))
        return f"nf_tables cannot create a table here ({errno.errorcode.get(err, err)})"
    return None


def _probe_ipvs() -> Optional[str]:
    """The IPVS generic-netlink family resolves, and /proc/net/ip_vs exists in the namespace."""
    genl_id_ctrl, ctrl_cmd_getfamily, ctrl_attr_family_name = 0x10, 3, 2
    try:
        sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    except OSError as e:
        return f"no generic netlink (socket: {e.strerror})"
    with sock:
        sock.bind((0, 0))
        payload = struct.pack("=BBH", ctrl_cmd_getfamily, 1, 0) + \
            _nlattr(ctrl_attr_family_name, b"IPVS\0")
        sock.sendto(_nlmsg(genl_id_ctrl, NLM_F_REQUEST | NLM_F_ACK, 1, payload), (0, 0))
        try:
            err = _acks(sock, [1]).get(1, 0)
        except socket.timeout:
            return "generic netlink did not answer CTRL_CMD_GETFAMILY"
    if err:
        return (f"this kernel has no IPVS (generic netlink family IPVS: "
                f"{errno.errorcode.get(err, err)}; CONFIG_IP_VS unset?)")
    if not os.path.exists("/proc/net/ip_vs"):
        return "the IPVS family exists but /proc/net/ip_vs is missing in a new namespace"
    return None


def _probe_x_tables() -> Optional[str]:
    """The legacy x_tables `nat` table answers IPT_SO_GET_INFO for IPv4 and IPv6."""
    libc = ctypes.CDLL(None, use_errno=True)
    so_get_info = 64  # IPT_SO_GET_INFO == IP6T_SO_GET_INFO
    for fam, level, name in ((socket.AF_INET, socket.IPPROTO_IP, "ip_tables"),
                             (socket.AF_INET6, socket.IPPROTO_IPV6, "ip6_tables")):
        with socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_RAW) as s:
            buf = ctypes.create_string_buffer(b"nat", 84)  # struct ipt_getinfo
            size = ctypes.c_uint(84)
            if libc.getsockopt(s.fileno(), level, so_get_info, buf, ctypes.byref(size)) != 0:
                e = ctypes.get_errno()
                return f"{name}: no nat table ({errno.errorcode.get(e, e)})"
    return None


def _probe_sctp() -> Optional[str]:
    try:
        socket.socket(socket.AF_INET, socket.SOCK_STREAM,
                      getattr(socket, "IPPROTO_SCTP", 132)).close()
    except OSError as e:
        return f"this kernel has no SCTP sockets ({e.strerror}; CONFIG_IP_SCTP unset?)"
    return None


def nf_tables() -> Optional[str]:
    return in_fresh_netns(_probe_nf_tables)


def ipvs() -> Optional[str]:
    return in_fresh_netns(_probe_ipvs)


def x_tables() -> Optional[str]:
    return in_fresh_netns(_probe_x_tables)


def sctp() -> Optional[str]:
    return in_fresh_netns(_probe_sctp)


# The probe of each need a backend declares (kpx version --format json: "needs").
NEED_PROBES = {"netAdmin": root, "nfTables": nf_tables, "ipvs": ipvs, "xTables": x_tables}


def _mode_kernel(mode: str) -> Callable[[], Optional[str]]:
    def check() -> Optional[str]:
        return first_reason(*(NEED_PROBES[n] for n in declared_backends().get(mode, [])))
    return check


# What each mode needs from the machine, as its backend declares it.
MODE_KERNEL = {m: _mode_kernel(m) for m in ALL_MODES}


def mode_unavailable(mode: str) -> Optional[str]:
    """Why traffic through kpx in `mode` cannot be tested here: not implemented (declared above),
    not root, or the kernel lacks what the mode needs. None when it can."""
    return first_reason(lambda: mode_not_implemented(mode), root, MODE_KERNEL[mode])


def main() -> int:
    print(f"implemented modes: {', '.join(sorted(implemented_modes()))}")
    checks = {"root": root, "nf_tables": nf_tables, "x_tables": x_tables, "ipvs": ipvs,
              "sctp": sctp}
    for name, check in checks.items():
        reason = check()
        print(f"{name:10} {'yes' if reason is None else 'no: ' + reason}")
    for mode in ALL_MODES:
        reason = mode_unavailable(mode)
        print(f"mode {mode:9} {'testable' if reason is None else 'skipped: ' + reason}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
