"""Clients that run inside a network namespace: one TCP/UDP/SCTP request, or a batch of them.

Why fork + setns instead of `ip netns exec socat`: a forked child joins the namespace in
microseconds, while exec'ing a tool costs ~35 ms per request (and socat's UDP client loses
replies, see notes/feasibility.md). The child runs plain Python sockets, so the outcome is typed
precisely: the errno tells a REJECT (ICMP port unreachable / TCP reset -> ECONNREFUSED, fast)
from a DROP (nothing comes back -> timeout).

Every function here returns plain data (pickled back to the parent through a pipe).
"""
import ctypes
import errno
import os
import pickle
import select
import signal
import socket
import time
from typing import Any, Callable, NamedTuple, Optional

CLONE_NEWNET = 0x40000000

# Outcome kinds.
OK = "ok"                    # a reply arrived
REFUSED = "refused"          # ECONNREFUSED: TCP reset or ICMP port unreachable (what REJECT sends)
UNREACHABLE = "unreachable"  # EHOSTUNREACH/ENETUNREACH: other ICMP errors, or no route
EPERM = "eperm"              # a local netfilter DROP of a packet the namespace itself sent
TIMEOUT = "timeout"          # nothing came back (what DROP looks like from another host)
RESET = "reset"              # connection reset after it was established
ERROR = "error"              # anything else (the message says what)


class Outcome(NamedTuple):
    kind: str
    elapsed: float           # seconds from connect()/send() to the outcome
    pod: Optional[str] = None
    peer: Optional[str] = None  # the source address the pod saw
    detail: str = ""

    def __str__(self) -> str:
        what = f"{self.pod} (peer {self.peer})" if self.kind == OK else f"{self.kind} {self.detail}"
        return f"{what} in {self.elapsed * 1000:.0f} ms"


def _setns(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        if hasattr(os, "setns"):  # Python >= 3.12
            os.setns(fd, CLONE_NEWNET)
            return
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.setns(fd, CLONE_NEWNET) != 0:
            e = ctypes.get_errno()
            raise OSError(e, f"setns({path}): {os.strerror(e)}")
    finally:
        os.close(fd)


def run_in_netns(ns: str, fn: Callable[..., Any], *args, deadline: float = 60.0) -> Any:
    """Runs fn(*args) in a forked child that joined netns `ns`; returns its (pickled) result.

    The parent stays in its namespace. If the child hangs past `deadline` it is killed.
    """
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never return into the caller's stack (unittest, atexit...)
        code = 0
        try:
            os.close(r)
            _setns(f"/run/netns/{ns}")
            payload = pickle.dumps(("ok", fn(*args)))
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
                raise TimeoutError(f"in-netns call in {ns} exceeded {deadline:.0f}s")
            chunk = os.read(r, 65536)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(r)
        os.waitpid(pid, 0)
    status, value = pickle.loads(b"".join(chunks))
    if status != "ok":
        raise RuntimeError(f"in-netns call in {ns} failed: {value}")
    return value


def _family(addr: str) -> int:
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def _classify(exc: BaseException) -> tuple:
    if isinstance(exc, socket.timeout):
        return TIMEOUT, ""
    if isinstance(exc, OSError):
        kinds = {errno.ECONNREFUSED: REFUSED, errno.EHOSTUNREACH: UNREACHABLE,
                 errno.ENETUNREACH: UNREACHABLE, errno.EPERM: EPERM,
                 errno.ECONNRESET: RESET, errno.ETIMEDOUT: TIMEOUT}
        return kinds.get(exc.errno, ERROR), f"[{errno.errorcode.get(exc.errno, exc.errno)}] {exc}"
    return ERROR, repr(exc)


def _parse(data: bytes, elapsed: float) -> Outcome:
    words = data.decode(errors="replace").split()
    if not words:
        return Outcome(ERROR, elapsed, detail="empty reply")
    return Outcome(OK, elapsed, words[0], words[1] if len(words) > 1 else None)


def _udp_send(s: socket.socket) -> None:
    """A netfilter verdict on a packet this namespace sends is an error of send() itself: EPERM
    for DROP and for REJECT alike. A REJECT also queues its ICMP error on the (connected) socket
    at once, so a recv() right after tells the two apart."""
    try:
        s.send(b"q\n")
    except PermissionError:
        s.settimeout(0.1)
        try:
            s.recv(2048)
        except ConnectionRefusedError:
            raise
        except OSError:
            pass
        raise


def request(proto: str, addr: str, port: int, timeout: float, src: Optional[str] = None) -> Outcome:
    """One request from the current namespace. proto: tcp | udp | sctp. src: bind address."""
    kind = {"tcp": (socket.SOCK_STREAM, socket.IPPROTO_TCP),
            "sctp": (socket.SOCK_STREAM, getattr(socket, "IPPROTO_SCTP", 132)),
            "udp": (socket.SOCK_DGRAM, socket.IPPROTO_UDP)}[proto]
    t0 = time.monotonic()
    try:
        s = socket.socket(_family(addr), *kind)
    except OSError as e:
        return Outcome(ERROR, 0.0, detail=f"socket(): {e}")
    with s:
        s.settimeout(timeout)
        try:
            if src:
                s.bind((src, 0))
            t0 = time.monotonic()
            s.connect((addr, port))  # UDP: connected, so ICMP errors surface as errno on recv
            if proto == "udp":
                _udp_send(s)
                data = s.recv(2048)  # one datagram is one whole reply
            else:
                data = b""
                while True:  # the server writes its reply and closes
                    left = timeout - (time.monotonic() - t0)
                    if left <= 0:
                        raise socket.timeout("reading reply")
                    s.settimeout(left)
                    chunk = s.recv(2048)
                    if not chunk:
                        break
                    data += chunk
            return _parse(data, time.monotonic() - t0)
        except BaseException as e:  # noqa: BLE001
            kind_, detail = _classify(e)
            return Outcome(kind_, time.monotonic() - t0, detail=detail)


def requests(proto: str, addr: str, port: int, n: int, timeout: float,
             src: Optional[str] = None, max_failures: int = 0) -> list:
    """n sequential requests, each a new connection (new source port, so a new service pick).

    max_failures > 0 ends the batch early once that many failed: the check has failed anyway,
    and each failure may cost a whole timeout (a broken 30-request check would take a minute).
    """
    outs, failures = [], 0
    for _ in range(n):
        outs.append(request(proto, addr, port, timeout, src))
        failures += outs[-1].kind != OK
        if max_failures and failures >= max_failures:
            break
    return outs
