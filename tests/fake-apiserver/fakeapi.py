"""Python helper to run the fake API server from tests (standard library only).

    from fakeapi import FakeApiServer, EXAMPLE_SEEDS
    with FakeApiServer(seeds=EXAMPLE_SEEDS) as api:
        api.upsert({...})                     # create or replace -> ADDED / MODIFIED
        api.delete("services", "default", "web")
        api.fault("drop_mid_event", count=1)
        api.kubeconfig_path, api.address, api.token, api.state(), api.stats()

The server runs as a child process (inside `ip netns exec NETNS` when netns is given) and is
stopped by stop() or at the end of the `with` block.
"""
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from typing import Iterable, List, Optional
from urllib.parse import urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAM = os.path.join(HERE, "fake_apiserver.py")
DATA = os.path.join(HERE, "data")
EXAMPLE_SEEDS = [os.path.join(DATA, f) for f in ("services.json", "endpointslices.json",
                                                  "node.json")]


class FakeApiError(Exception):
    def __init__(self, status: int, body):
        self.status, self.body = status, body
        message = body.get("message") if isinstance(body, dict) else body
        super().__init__(f"HTTP {status}: {message}")


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.unix_path)
        self.sock = sock


class FakeApiServer:
    def __init__(self, state_dir: Optional[str] = None, netns: Optional[str] = None,
                 token: Optional[str] = None, seeds: Iterable[str] = (),
                 listen: str = "127.0.0.1:0", bookmark_interval: Optional[float] = None,
                 expired_mode: Optional[str] = None, legacy_discovery: bool = False,
                 verbose: bool = False, extra_args: Iterable[str] = (),
                 start_timeout: float = 20.0):
        self._own_dir = state_dir is None
        self.state_dir = os.path.abspath(state_dir or tempfile.mkdtemp(prefix="fake-apiserver-"))
        self.netns = netns
        cmd = [sys.executable, PROGRAM, "--state-dir", self.state_dir, "--listen", listen]
        if token:
            cmd += ["--token", token]
        seeds = list(seeds)
        if seeds:
            cmd += ["--seed", *seeds]
        if bookmark_interval is not None:
            cmd += ["--bookmark-interval", str(bookmark_interval)]
        if expired_mode:
            cmd += ["--expired-mode", expired_mode]
        if legacy_discovery:
            cmd.append("--legacy-discovery")
        if verbose:
            cmd.append("--verbose")
        cmd += list(extra_args)
        if netns:
            # `ip netns add` leaves lo down; the default listen address needs it up
            subprocess.run(["ip", "-n", netns, "link", "set", "lo", "up"], check=False)
            cmd = ["ip", "netns", "exec", netns] + cmd
        self.command = cmd
        self.start_timeout = start_timeout
        self.proc: Optional[subprocess.Popen] = None
        self.address = ""
        self.token = ""
        self.timeout = 60.0  # seconds, for the control calls (a 100,000-object List takes a while)
        self._ctx: Optional[ssl.SSLContext] = None

    # ---- lifecycle ----------------------------------------------------------------------

    @property
    def kubeconfig_path(self) -> str:
        return os.path.join(self.state_dir, "kubeconfig")

    @property
    def kubeconfig_cert_path(self) -> str:
        return os.path.join(self.state_dir, "kubeconfig-cert")

    @property
    def log_path(self) -> str:
        return os.path.join(self.state_dir, "apiserver.log")

    def path(self, name: str) -> str:
        return os.path.join(self.state_dir, name)

    def start(self) -> "FakeApiServer":
        address_file = self.path("address")
        if os.path.exists(address_file):
            os.unlink(address_file)
        os.makedirs(self.state_dir, exist_ok=True)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.command, stdout=log, stderr=log,
                                     stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + self.start_timeout
        while not os.path.exists(address_file):
            if self.proc.poll() is not None:
                raise RuntimeError(f"fake apiserver exited with {self.proc.returncode}:\n"
                                   f"{self.log()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"fake apiserver not ready after {self.start_timeout}s:\n"
                                   f"{self.log()}")
            time.sleep(0.02)
        with open(address_file) as f:
            self.address = f.read().strip()
        with open(self.path("token")) as f:
            self.token = f.read().strip()
        return self

    def log(self) -> str:
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if self._own_dir:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    def __enter__(self) -> "FakeApiServer":
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- HTTP -----------------------------------------------------------------------------

    def ssl_context(self, client_cert: bool = False) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=self.path("ca.crt"))
        if client_cert:
            ctx.load_cert_chain(self.path("client.crt"), self.path("client.key"))
        return ctx

    def connection(self, client_cert: bool = False, timeout: Optional[float] = None
                   ) -> http.client.HTTPSConnection:
        url = urlsplit(self.address)
        if client_cert:
            ctx = self.ssl_context(True)
        else:
            if self._ctx is None:
                self._ctx = self.ssl_context()
            ctx = self._ctx
        return http.client.HTTPSConnection(url.hostname, url.port, context=ctx,
                                           timeout=timeout or self.timeout)

    def request(self, method: str, path: str, body=None, headers: Optional[dict] = None,
                auth: bool = True, client_cert: bool = False, timeout: Optional[float] = None,
                control: bool = False):
        """One request on a fresh connection: (status, headers, body bytes). control=True goes
        through DIR/control.sock (plain HTTP, no auth needed, reachable from any netns)."""
        hdrs = {"Accept": "application/json"}
        if auth and not client_cert:
            hdrs["Authorization"] = f"Bearer {self.token}"
        hdrs.update(headers or {})
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        sock_path = self.path("control.sock")
        if control and os.path.exists(sock_path):
            conn = _UnixHTTPConnection(sock_path, timeout or self.timeout)
        else:
            conn = self.connection(client_cert, timeout or self.timeout)
        try:
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            return resp.status, dict(resp.getheaders()), resp.read()
        finally:
            conn.close()

    def call(self, method: str, path: str, body=None):
        """A request through the control socket whose JSON answer is returned; FakeApiError
        unless 2xx."""
        status, _, data = self.request(method, path, body, control=True)
        try:
            doc = json.loads(data) if data else None
        except ValueError:
            doc = data.decode(errors="replace")
        if status // 100 != 2:
            raise FakeApiError(status, doc)
        return doc

    # ---- control API ----------------------------------------------------------------------

    def upsert(self, obj, results: bool = True) -> dict:
        """Creates or replaces an object (or every object of a List / array). obj may be
        JSON bytes already. results=False leaves the per-object results out of the answer."""
        return self.call("POST", "/fake/objects" + ("" if results else "?results=false"), obj)

    def delete(self, resource: str, ns: Optional[str], name: str) -> dict:
        return self.call("DELETE", f"/fake/objects/{resource}/{ns or '-'}/{name}")

    def compact(self, resource_version: Optional[int] = None) -> dict:
        body = {} if resource_version is None else {"resourceVersion": resource_version}
        return self.call("POST", "/fake/compact", body)

    def fault(self, kind: str, **kw) -> dict:
        return self.call("POST", "/fake/faults", dict(kind=kind, **kw))

    def clear_faults(self) -> dict:
        return self.call("DELETE", "/fake/faults")

    def state(self, objects: bool = True) -> dict:
        return self.call("GET", "/fake/state" + ("" if objects else "?objects=false"))

    def stats(self) -> dict:
        return self.call("GET", "/fake/stats")

    def resource_version(self) -> int:
        return int(self.state(objects=False)["resourceVersion"])

    def objects(self, resource: str) -> List[dict]:
        return self.state()["objects"][resource]
