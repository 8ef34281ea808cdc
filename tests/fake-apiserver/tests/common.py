"""What the fake API server's tests share: a raw HTTP/1.1 watch client that sees the chunk framing
(so a test can tell a clean end from a dropped connection), and the runner's exit codes."""
import json
import os
import socket
import ssl
import sys
import time
import unittest
from typing import List, Optional
from urllib.parse import urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from fakeapi import EXAMPLE_SEEDS, FakeApiError, FakeApiServer  # noqa: E402,F401

SKIP = 77


class StreamEnd(Exception):
    """The watch stream ended: clean (last chunk seen) or not."""

    def __init__(self, clean: bool, detail: str = ""):
        super().__init__(f"stream ended {'cleanly' if clean else 'abruptly'} {detail}".strip())
        self.clean = clean


class _Reader:
    """readline/read over a socket that survives timeouts (a makefile() reader does not).
    Keeps a read position instead of slicing, so 100,000 small lines stay linear."""

    def __init__(self, sock):
        self.sock, self.buf, self.pos = sock, b"", 0

    def _fill(self) -> bool:
        data = self.sock.recv(262144)
        if self.pos:
            self.buf, self.pos = self.buf[self.pos:], 0
        self.buf += data
        return bool(data)

    def readline(self) -> bytes:
        while True:
            end = self.buf.find(b"\n", self.pos)
            if end >= 0:
                line = self.buf[self.pos:end + 1]
                self.pos = end + 1
                return line
            if not self._fill():
                line, self.buf, self.pos = self.buf[self.pos:], b"", 0
                return line

    def read(self, n: int) -> bytes:
        while len(self.buf) - self.pos < n:
            if not self._fill():
                break
        data = self.buf[self.pos:self.pos + n]
        self.pos += len(data)
        return data


class RawWatch:
    """GET on a TLS socket, reading the chunked body by hand: one JSON event per line."""

    def __init__(self, api: FakeApiServer, path: str, headers: Optional[dict] = None,
                 token: Optional[str] = None, client_cert: bool = False, timeout: float = 10):
        url = urlsplit(api.address)
        ctx = api.ssl_context(client_cert)
        raw = socket.create_connection((url.hostname, url.port), timeout=timeout)
        self.sock = ctx.wrap_socket(raw, server_hostname=url.hostname)
        hdrs = {"Host": f"{url.hostname}:{url.port}", "Accept": "application/json",
                "User-Agent": "fake-apiserver-test"}
        if not client_cert:
            hdrs["Authorization"] = f"Bearer {token or api.token}"
        hdrs.update(headers or {})
        req = f"GET {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items())
        self.sock.sendall((req + "\r\n").encode())
        self.file = _Reader(self.sock)
        status_line = self.file.readline().decode()
        if not status_line:
            raise StreamEnd(False, "before the status line")
        self.status = int(status_line.split()[1])
        self.headers = {}
        while True:
            line = self.file.readline().decode().strip()
            if not line:
                break
            k, _, v = line.partition(":")
            self.headers[k.strip().lower()] = v.strip()
        self.chunked = self.headers.get("transfer-encoding") == "chunked"
        self.buffer = b""
        self.chunks: List[bytes] = []  # every chunk's payload, in order
        self.ended: Optional[bool] = None  # True: last chunk seen; False: connection dropped

    def body(self) -> bytes:
        """The whole (non-chunked) body."""
        n = int(self.headers.get("content-length", "0"))
        return self.file.read(n)

    def _read_chunk(self) -> bytes:
        size_line = self.file.readline()
        if not size_line:
            self.ended = False
            raise StreamEnd(False, "(no last chunk)")
        size = int(size_line.split(b";")[0].strip(), 16)
        if size == 0:
            self.file.readline()  # the CRLF after the last chunk (no trailers)
            self.ended = True
            raise StreamEnd(True)
        data = self.file.read(size)
        if len(data) < size:
            self.ended = False
            self.buffer += data
            raise StreamEnd(False, f"(a chunk cut after {len(data)} of {size} bytes)")
        if self.file.read(2) != b"\r\n":
            self.ended = False
            raise StreamEnd(False, "(a chunk without its CRLF)")
        self.chunks.append(data)
        return data

    def next_line(self, timeout: float = 10) -> bytes:
        self.sock.settimeout(timeout)
        while b"\n" not in self.buffer:
            try:
                self.buffer += self._read_chunk()
            except (ConnectionResetError, ssl.SSLError, OSError) as e:
                if isinstance(e, socket.timeout):
                    raise
                self.ended = False
                raise StreamEnd(False, f"({e})") from None
        line, _, self.buffer = self.buffer.partition(b"\n")  # one event per chunk: short
        return line

    def next_event(self, timeout: float = 10) -> dict:
        return json.loads(self.next_line(timeout))

    def events(self, n: int, timeout: float = 10, skip_bookmarks: bool = True) -> List[dict]:
        out = []
        deadline = time.monotonic() + timeout
        while len(out) < n:
            ev = self.next_event(max(0.01, deadline - time.monotonic()))
            if skip_bookmarks and ev["type"] == "BOOKMARK":
                continue
            out.append(ev)
        return out

    def wait_end(self, timeout: float = 10) -> bool:
        """Reads until the stream ends; returns whether it ended cleanly. Events are dropped."""
        try:
            while True:
                self.next_line(timeout)
        except StreamEnd as e:
            return e.clean

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def service(name: str, ns: str = "default", ip: str = "10.96.1.1", labels=None,
            port: int = 80) -> dict:
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": ns, "labels": labels or {}},
            "spec": {"type": "ClusterIP", "clusterIP": ip, "clusterIPs": [ip],
                     "ports": [{"name": "http", "protocol": "TCP", "port": port,
                                "targetPort": 8080}]}}


def slice_(name: str, svc: str, ns: str = "default", addresses=("10.244.0.50",)) -> dict:
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": name, "namespace": ns,
                         "labels": {"kubernetes.io/service-name": svc}},
            "addressType": "IPv4",
            "ports": [{"name": "http", "protocol": "TCP", "port": 8080}],
            "endpoints": [{"addresses": [a], "conditions": {"ready": True}} for a in addresses]}


def run(skip_reason: Optional[str] = None) -> int:
    """unittest main with ctest's exit codes: 77 when the whole file cannot run here, 1 on a
    failure (or when no test ran), 77 when any test was skipped (a partial run is not a pass:
    a file whose tests need different capabilities is run as separate ctest tests, by class
    name on the command line), 0 when every test ran and passed."""
    if skip_reason:
        print(f"SKIP: {skip_reason}", flush=True)
        return SKIP
    result = unittest.main(exit=False, verbosity=2).result
    if not result.wasSuccessful():
        return 1
    if result.testsRun == 0:
        print("FAIL: no test ran", flush=True)
        return 1
    if result.skipped:
        print(f"SKIP: {len(result.skipped)} of {result.testsRun} test(s) skipped: "
              + "; ".join(f"{t.id()}: {why}" for t, why in result.skipped), flush=True)
        return SKIP
    return 0
