#!/usr/bin/env python3
"""The backend "pod" of the e2e topology: answers every request with "<pod-name> <peer-ip>\n".

usage: podserver.py NAME [--tcp-port 8080] [--udp-port 5353] [--sctp]

Started by topology.py inside a pod's network namespace (`ip netns exec POD python3 podserver.py`).
One single-threaded process serves TCP, UDP (and SCTP when the kernel has it) on IPv4 and IPv6:
  - the reply names the pod, so a client can count which backend a service picked;
  - the reply carries the peer address the pod saw, so tests can tell whether kpx masqueraded
    (peer = the node) or preserved the client's source (peer = the client);
  - no fork per connection (socat's fork + SYSTEM costs a shell per request), so distributions of
    20 requests take milliseconds.
It prints "ready" once every socket listens; the harness waits for that line instead of polling.
It dies with its parent (PR_SET_PDEATHSIG), so a harness killed by SIGKILL leaves no server behind.
"""
import argparse
import ctypes
import os
import selectors
import signal
import socket
import sys

PR_SET_PDEATHSIG = 1


def die_with_parent(expected_parent: int) -> None:
    # `ip netns exec` execs us, so our parent is the harness itself.
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != expected_parent:  # the parent died before prctl took effect
        sys.exit(0)


def peer_ip(addr) -> str:
    host = addr[0]
    return host[7:] if host.startswith("::ffff:") else host  # v4-mapped (not expected: v6only)


def open_sockets(tcp_port: int, udp_port: int, sctp: bool):
    socks = []
    for family, wildcard in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        stream_protos = [socket.IPPROTO_TCP] + ([socket.IPPROTO_SCTP] if sctp else [])
        for proto in stream_protos:
            s = socket.socket(family, socket.SOCK_STREAM, proto)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.bind((wildcard, tcp_port))
            s.listen(128)
            s.setblocking(False)
            socks.append(("stream", s))
        u = socket.socket(family, socket.SOCK_DGRAM)
        if family == socket.AF_INET6:
            u.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        u.bind((wildcard, udp_port))
        u.setblocking(False)
        socks.append(("dgram", u))
    return socks


def serve(name: str, socks) -> None:
    sel = selectors.DefaultSelector()
    for kind, s in socks:
        sel.register(s, selectors.EVENT_READ, kind)
    while True:
        for key, _ in sel.select():
            s = key.fileobj
            try:
                if key.data == "stream":
                    conn, addr = s.accept()
                    with conn:
                        # The client sends nothing, so closing never turns into a RST that could
                        # race the reply.
                        conn.settimeout(1.0)
                        conn.sendall(f"{name} {peer_ip(addr)}\n".encode())
                else:
                    _, addr = s.recvfrom(2048)
                    s.sendto(f"{name} {peer_ip(addr)}\n".encode(), addr)
            except OSError:
                continue  # one broken client must not stop the pod


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("name")
    ap.add_argument("--tcp-port", type=int, default=8080)
    ap.add_argument("--udp-port", type=int, default=5353)
    ap.add_argument("--sctp", action="store_true")
    ap.add_argument("--parent", type=int, default=0, help="pid of the harness (die with it)")
    args = ap.parse_args()
    if args.parent:
        die_with_parent(args.parent)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    socks = open_sockets(args.tcp_port, args.udp_port, args.sctp)
    print("ready", flush=True)
    serve(args.name, socks)


if __name__ == "__main__":
    main()
