#!/usr/bin/env python3
"""A fake Kubernetes API server for tests: the read side of the real API (list, get, watch of
Services, EndpointSlices, Nodes, Namespaces) over TLS, plus a /fake/ control API to change
objects, compact the history and inject faults. See README.md beside this file.

    fake_apiserver.py --state-dir DIR [--listen 127.0.0.1:0] [--token TOKEN] [--seed FILE ...]
                      [--bookmark-interval SECONDS] [--expired-mode status|event]

DIR receives ca.crt, server/client certificates, token, kubeconfig and, last, `address`.
"""
import argparse
import ipaddress
import json
import os
import secrets
import signal
import socket
import ssl
import sys
import threading

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fake_certs import make_pki  # noqa: E402
from fake_http import App, ControlServer, Server  # noqa: E402
from fake_store import ApiError  # noqa: E402


def parse_listen(text: str):
    """'127.0.0.1:0', '[::1]:0', 'localhost:6443' -> (host, port, family)."""
    if text.startswith("["):
        host, _, port = text[1:].partition("]:")
    else:
        host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"--listen wants HOST:PORT, got {text!r}")
    try:
        family = socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
    except ValueError:
        family = socket.AF_INET
    return host, int(port), family


def yaml_str(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid YAML double-quoted scalar


def write_kubeconfig(path: str, server: str, ca: str, user: dict):
    lines = ["apiVersion: v1", "kind: Config", "clusters:", "- name: fake", "  cluster:",
             f"    certificate-authority: {yaml_str(ca)}", f"    server: {yaml_str(server)}",
             "users:", "- name: fake", "  user:"]
    lines += [f"    {k}: {yaml_str(v)}" for k, v in user.items()]
    lines += ["contexts:", "- name: fake", "  context:", "    cluster: fake", "    user: fake",
              "current-context: fake"]
    write_file(path, "\n".join(lines) + "\n")


def write_file(path: str, text: str, mode: int = 0o644):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def load_seeds(app: App, files):
    for path in files:
        with open(path) as f:
            try:
                doc = json.load(f)
            except ValueError as e:
                raise SystemExit(f"fake-apiserver: {path}: not JSON: {e}")
        try:
            app.upsert_document(doc)
        except ApiError as e:
            raise SystemExit(f"fake-apiserver: {path}: {e.message}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--state-dir", required=True, help="where certificates, kubeconfig and "
                   "the address file go (created if missing)")
    p.add_argument("--listen", default="127.0.0.1:0", type=parse_listen,
                   help="HOST:PORT to listen on (port 0: any free port) [127.0.0.1:0]")
    p.add_argument("--token", help="bearer token to accept (default: a random one)")
    p.add_argument("--seed", action="extend", nargs="+", default=[], metavar="FILE",
                   help="JSON file(s) with objects, Lists or arrays to load at start")
    p.add_argument("--bookmark-interval", type=float, default=1.0, metavar="SECONDS",
                   help="BOOKMARK period of watches with allowWatchBookmarks=true [1.0]")
    p.add_argument("--expired-mode", choices=("status", "event"), default="event",
                   help="how a watch from a compacted resourceVersion fails: an HTTP 410 "
                   "Status, or a 200 stream with one 410 ERROR event (the real server) [event]")
    p.add_argument("--legacy-discovery", action="store_true",
                   help="never answer aggregated discovery (clients must fall back)")
    p.add_argument("-v", "--verbose", action="store_true", help="log every request to stderr")
    args = p.parse_args(argv)

    state = os.path.abspath(args.state_dir)
    os.makedirs(state, exist_ok=True)
    address_file = os.path.join(state, "address")
    if os.path.exists(address_file):
        os.unlink(address_file)  # a stale one must not look like readiness
    host, port, family = args.listen
    token = args.token or secrets.token_hex(24)

    app = App(token, args.bookmark_interval, args.expired_mode, args.legacy_discovery,
              args.verbose)
    load_seeds(app, args.seed)

    make_pki(state, [host, "127.0.0.1", "localhost", "::1"])
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(state, "server.crt"), os.path.join(state, "server.key"))
    ctx.load_verify_locations(os.path.join(state, "ca.crt"))
    ctx.verify_mode = ssl.CERT_OPTIONAL  # a client certificate is one way to authenticate
    ctx.set_alpn_protocols(["http/1.1"])

    server = Server((host, port), family, ctx, app)
    control_path = os.path.join(state, "control.sock")
    if os.path.exists(control_path):
        os.unlink(control_path)
    control = None
    try:
        control = ControlServer(control_path, app)
        os.chmod(control_path, 0o600)
        threading.Thread(target=control.serve_forever, kwargs={"poll_interval": 0.2},
                         daemon=True).start()
    except OSError as e:  # e.g. a path longer than a Unix socket address allows
        print(f"fake-apiserver: no control socket ({e})", file=sys.stderr)
    bound_port = server.server_address[1]
    hostport = f"[{host}]:{bound_port}" if family == socket.AF_INET6 else f"{host}:{bound_port}"
    url = f"https://{hostport}"
    app.server_address = hostport

    ca = os.path.join(state, "ca.crt")
    write_file(os.path.join(state, "token"), token, 0o600)  # no newline: usable as is
    write_kubeconfig(os.path.join(state, "kubeconfig"), url, ca, {"token": token})
    write_kubeconfig(os.path.join(state, "kubeconfig-cert"), url, ca,
                     {"client-certificate": os.path.join(state, "client.crt"),
                      "client-key": os.path.join(state, "client.key")})

    def stop(signum, _frame):
        threading.Thread(target=server.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    write_file(address_file, url)  # last: the readiness signal (no newline)
    print(f"fake-apiserver: serving {url} (state in {state})", file=sys.stderr, flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        if control is not None:
            control.shutdown()
            control.server_close()
            os.unlink(control_path)
        try:
            os.unlink(address_file)
        except OSError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
