"""The e2e test bed: a client, a node (router + bridge) and pods, each in its own network namespace.

    [client] eth0 172.31.100.2 (+.3)    ──veth──  c0 172.31.100.1  [node]  (router; kpx runs here)
              fd00:172:31::2 (+::3)                  fd00:172:31::1
                                                     br0 10.244.0.1 / fd00:10:244::1 (CNI-bridge-like)
                       ports vp1..vp3 (hairpin on) ──veth── eth0 10.244.0.1N / fd00:10:244::1N [podN]

Each pod runs podserver.py: TCP 8080, UDP 5353 (SCTP 8080 when the kernel has it), answering
"<pod> <peer-ip>". Namespace names are "kpxe<pid>-<role>" so that concurrent runs (and other work
on this machine) never collide; interface names live inside our namespaces and can stay short.

Rules of the house (see notes/feasibility.md, section A):
  - the root namespace is never touched, and packets only go to addresses inside these namespaces;
  - teardown kills what we started and deletes only our namespaces, also on failure (context
    manager + atexit + SIGTERM), and `reap_stale()` removes leftovers of a killed earlier run
    (same prefix, owner pid dead). Never `ip -all netns delete`.
"""
import atexit
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from typing import Dict, List, Optional

import nsclient
from nsclient import OK, REFUSED, TIMEOUT, Outcome

HERE = os.path.dirname(os.path.abspath(__file__))
PREFIX = "kpxe"
TCP_PORT, UDP_PORT = 8080, 5353
NPODS = 3


@dataclass(frozen=True)
class FamilyAddrs:
    """Every address of the topology in one IP family."""
    family: int             # 4 or 6
    plen_link: int          # prefix length of the client-node link
    plen_pods: int          # prefix length of the pod bridge
    node: str               # the node's address on the client link (its InternalIP)
    client: str             # the client's main address
    client_alt: str         # a second client address (a source outside loadBalancerSourceRanges)
    gateway: str            # the node's address on br0: the pods' gateway, and the masquerade source
    pods: tuple             # pod1..podN
    cluster_cidr: str       # what kpx gets as --cluster-cidr
    service_prefix: str     # ClusterIPs are service_prefix + index
    external_prefix: str    # externalIPs / LB ingress IPs (routed to the node by the client)

    def cluster_ip(self, index: int) -> str:
        return f"{self.service_prefix}{index}"

    def external_ip(self, index: int) -> str:
        return f"{self.external_prefix}{index}"

    def single(self, addr: str) -> str:  # a one-address CIDR
        return f"{addr}/{32 if self.family == 4 else 128}"


V4 = FamilyAddrs(4, 24, 24, "172.31.100.1", "172.31.100.2", "172.31.100.3", "10.244.0.1",
                 tuple(f"10.244.0.{10 + i}" for i in range(1, NPODS + 1)), "10.244.0.0/16",
                 "10.96.0.", "203.0.113.")
V6 = FamilyAddrs(6, 64, 64, "fd00:172:31::1", "fd00:172:31::2", "fd00:172:31::3",
                 "fd00:10:244::1", tuple(f"fd00:10:244::{10 + i}" for i in range(1, NPODS + 1)),
                 "fd00:10:244::/48", "fd00:10:96::", "fd00:203::")
FAMILIES = {4: V4, 6: V6}


class Unavailable(Exception):
    """The machine cannot host the topology (not root, no netns, missing tool): a SKIP."""


def missing_tools(tools) -> List[str]:
    return [t for t in tools if shutil.which(t) is None]


def sctp_supported() -> bool:
    """SCTP needs CONFIG_IP_SCTP; socket() says so without sending anything."""
    import socket
    try:
        socket.socket(socket.AF_INET, socket.SOCK_STREAM, getattr(socket, "IPPROTO_SCTP", 132)).close()
        return True
    except OSError:
        return False


def _run(cmd, check=True, timeout=30, **kw) -> subprocess.CompletedProcess:
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} -> rc={r.returncode}: {r.stderr.strip()}")
    return r


def _netns_list() -> List[str]:
    out = _run(["ip", "netns", "list"], check=False).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def _kill_netns_processes(ns: str) -> None:
    pids = _run(["ip", "netns", "pids", ns], check=False).stdout.split()
    for pid in pids:
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass


def reap_stale() -> List[str]:
    """Deletes namespaces of an earlier harness run that was killed (its pid is gone)."""
    reaped = []
    for ns in _netns_list():
        m = re.match(rf"^{PREFIX}(\d+)-", ns)
        if not m or int(m.group(1)) == os.getpid():
            continue
        try:
            os.kill(int(m.group(1)), 0)
            continue  # its owner is alive: not ours to touch
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        _kill_netns_processes(ns)
        _run(["ip", "netns", "del", ns], check=False)
        reaped.append(ns)
    return reaped


class Topology:
    """Builds the namespaces on start(), removes them on close(). Use as a context manager."""

    def __init__(self, npods: int = NPODS, with_sctp: Optional[bool] = None):
        self.prefix = f"{PREFIX}{os.getpid()}"
        self.node = f"{self.prefix}-node"
        self.client = f"{self.prefix}-client"
        self.pod_names = [f"pod{i}" for i in range(1, npods + 1)]
        self.sctp = sctp_supported() if with_sctp is None else with_sctp
        self._created: List[str] = []
        self._servers: List[subprocess.Popen] = []
        self._started = self._closed = False
        self.setup_seconds = 0.0

    # ------------------------------------------------------------------ names and addresses
    def ns(self, who: str) -> str:
        """'node', 'client', 'pod1'.. -> the netns name."""
        return {"node": self.node, "client": self.client}.get(who, f"{self.prefix}-{who}")

    @staticmethod
    def fam(family: int) -> FamilyAddrs:
        return FAMILIES[family]

    def pod_ip(self, pod: str, family: int) -> str:
        return FAMILIES[family].pods[self.pod_names.index(pod)]

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> "Topology":
        if not self._started:
            self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> "Topology":
        self._started = True
        if os.geteuid() != 0:
            raise Unavailable("needs root (network namespaces)")
        missing = missing_tools(["ip"])
        if missing:
            raise Unavailable(f"missing tools: {', '.join(missing)}")
        reap_stale()
        atexit.register(self.close)
        t0 = time.monotonic()
        try:
            self._create_namespaces()
        except RuntimeError as e:
            self.close()
            raise Unavailable(f"cannot create network namespaces: {e}") from e
        try:
            self._wire()
            self._start_servers()
        except BaseException:
            self.close()
            raise
        self.setup_seconds = time.monotonic() - t0
        return self

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for p in self._servers:
            if p.poll() is None:
                p.terminate()
        for p in self._servers:
            try:
                p.wait(timeout=2)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for ns in reversed(self._created):
            _kill_netns_processes(ns)  # e.g. a kpx that hung; only processes in OUR namespaces
            _run(["ip", "netns", "del", ns], check=False)
        self._created.clear()

    def _create_namespaces(self) -> None:
        for who in ["node", "client"] + self.pod_names:
            _run(["ip", "netns", "add", self.ns(who)])
            self._created.append(self.ns(who))
            # DAD would keep fresh IPv6 addresses "tentative" (unusable) for ~1-2 s.
            self.sysctl(who, {"net/ipv6/conf/all/accept_dad": 0, "net/ipv6/conf/default/accept_dad": 0})
            self.ip(who, "link", "set", "lo", "up")

    def _wire(self) -> None:
        self.ip("node", "link", "add", "c0", "type", "veth", "peer", "name", "eth0", "netns",
                self.client)
        self.ip("node", "link", "add", "br0", "type", "bridge")
        for f in (V4, V6):
            self.ip("node", "addr", "add", f"{f.node}/{f.plen_link}", "dev", "c0", *_nodad(f))
            self.ip("client", "addr", "add", f"{f.client}/{f.plen_link}", "dev", "eth0", *_nodad(f))
            # The alternative source must never be picked on its own: a v4 secondary address
            # is not, a v6 one is unless deprecated (preferred_lft 0; bind() still uses it).
            self.ip("client", "addr", "add", f"{f.client_alt}/{f.plen_link}", "dev", "eth0",
                    *_nodad(f), *(["preferred_lft", "0"] if f.family == 6 else []))
            self.ip("node", "addr", "add", f"{f.gateway}/{f.plen_pods}", "dev", "br0", *_nodad(f))
        for dev in ("c0", "br0"):
            self.ip("node", "link", "set", dev, "up")
        self.ip("client", "link", "set", "eth0", "up")
        for i, pod in enumerate(self.pod_names, 1):
            port = f"vp{i}"
            self.ip("node", "link", "add", port, "type", "veth", "peer", "name", "eth0",
                    "netns", self.ns(pod))
            self.ip("node", "link", "set", port, "master", "br0")
            # As the bridge CNI sets it: without hairpin a pod cannot reach itself via a service
            # (the DNATed packet must leave through the port it came in on).
            self.ip("node", "link", "set", port, "type", "bridge_slave", "hairpin", "on")
            self.ip("node", "link", "set", port, "up")
            for f in (V4, V6):
                self.ip(pod, "addr", "add", f"{f.pods[i - 1]}/{f.plen_pods}", "dev", "eth0", *_nodad(f))
            self.ip(pod, "link", "set", "eth0", "up")
            for f in (V4, V6):
                self.ip(pod, f"-{f.family}", "route", "add", "default", "via", f.gateway)
        for f in (V4, V6):
            self.ip("client", f"-{f.family}", "route", "add", "default", "via", f.node)
            # The node routes what it does not know to the client ("the internet"). Node-
            # originated traffic to a ClusterIP needs some route before the OUTPUT hook DNATs it.
            self.ip("node", f"-{f.family}", "route", "add", "default", "via", f.client)
        self.sysctl("node", {
            "net/ipv4/ip_forward": 1,
            "net/ipv6/conf/all/forwarding": 1,
            "net/ipv6/conf/default/forwarding": 1,
            # Bridged pod-to-pod packets must traverse the node's netfilter hooks, or replies of
            # DNATed pod -> service -> pod traffic skip the de-NAT (defaults to 1 here; be explicit).
            "net/bridge/bridge-nf-call-iptables": 1,
            "net/bridge/bridge-nf-call-ip6tables": 1,
        })

    def _start_servers(self) -> None:
        for pod in self.pod_names:
            cmd = ["ip", "netns", "exec", self.ns(pod), sys.executable, "-u",
                   os.path.join(HERE, "podserver.py"), pod, "--tcp-port", str(TCP_PORT),
                   "--udp-port", str(UDP_PORT), "--parent", str(os.getpid())]
            if self.sctp:
                cmd.append("--sctp")
            self._servers.append(subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                                  stderr=subprocess.PIPE, text=True))
        for pod, p in zip(self.pod_names, self._servers):
            line = p.stdout.readline().strip()  # blocks until the server listens (or dies)
            if line != "ready":
                raise RuntimeError(f"pod server {pod} did not start: {line} {p.stderr.read()}")

    # ------------------------------------------------------------------ commands in a namespace
    def ip(self, who: str, *args: str) -> None:
        _run(["ip", "-n", self.ns(who), *args])

    def exec(self, who: str, *cmd: str, check: bool = True, timeout: float = 60,
             input: Optional[str] = None) -> subprocess.CompletedProcess:
        return _run(["ip", "netns", "exec", self.ns(who), *cmd], check=check, timeout=timeout,
                    input=input)

    def sysctl(self, who: str, values: Dict[str, int]) -> None:
        nsclient.run_in_netns(self.ns(who), _write_sysctls, values)

    def conntrack_flush(self) -> None:
        """Stale DNAT decisions survive rule changes; flush both families between cases."""
        for fam in ("ipv4", "ipv6"):
            r = self.exec("node", "conntrack", "-F", "-f", fam, check=False)
            if r.returncode != 0 and "0 flow entries" not in r.stderr:
                raise RuntimeError(f"conntrack -F -f {fam}: {r.stderr.strip()}")

    def run_kpx(self, kpx: str, args: List[str], who: str = "node",
                timeout: float = 60) -> subprocess.CompletedProcess:
        """Runs kpx inside a namespace (the node by default); never raises on a non-zero exit."""
        return self.exec(who, kpx, *args, check=False, timeout=timeout)

    # ------------------------------------------------------------------ traffic
    def request(self, who: str, proto: str, addr: str, port: int, timeout: float = 2.0,
                src: Optional[str] = None) -> Outcome:
        return nsclient.run_in_netns(self.ns(who), nsclient.request, proto, addr, port, timeout, src)

    def tcp_request(self, who, addr, port, timeout=2.0, src=None) -> Outcome:
        return self.request(who, "tcp", addr, port, timeout, src)

    def udp_request(self, who, addr, port, timeout=2.0, src=None) -> Outcome:
        return self.request(who, "udp", addr, port, timeout, src)

    def requests(self, who: str, proto: str, addr: str, port: int, n: int,
                 timeout: float = 2.0, src: Optional[str] = None,
                 max_failures: int = 3) -> List[Outcome]:
        """n requests in one forked child (one setns for the whole batch). The batch stops after
        max_failures failed requests (0: never), so a broken check costs seconds, not minutes."""
        return nsclient.run_in_netns(self.ns(who), nsclient.requests, proto, addr, port, n,
                                     timeout, src, max_failures, deadline=n * timeout + 30)

    def distribution(self, who: str, addr: str, port: int, n: int = 15, proto: str = "tcp",
                     timeout: float = 2.0, src: Optional[str] = None,
                     max_failures: int = 3) -> Counter:
        """Counter of pod names over n requests; failures count as "!<kind>" (e.g. "!timeout")."""
        return Counter(o.pod if o.kind == OK else f"!{o.kind}" for o in
                       self.requests(who, proto, addr, port, n, timeout, src, max_failures))

    def expect_reject(self, who: str, proto: str, addr: str, port: int, timeout: float = 2.5,
                      src: Optional[str] = None, fast: float = 1.5) -> Outcome:
        """Asserts a REJECT: refused (TCP reset / ICMP port unreachable), not a timeout.

        `fast` allows one SYN retransmission: over veth, an ICMPv6 error for the first SYN comes
        back while connect() still holds the socket lock, and tcp_v6_err drops it
        (TcpExtLockDroppedIcmps); the refusal then arrives with the SYN retransmitted after 1 s.
        IPv4 and UDP refusals arrive within milliseconds. A DROP is a timeout, and an unserved
        VIP is one too (the client, not a router, drops what the node bounces to it).
        """
        o = self.request(who, proto, addr, port, timeout, src)
        if o.kind != REFUSED or o.elapsed > fast:
            raise AssertionError(f"{who} -> {proto} {_hostport(addr, port)}: expected REJECT "
                                 f"(refused within {fast}s), got {o}")
        return o

    def expect_drop(self, who: str, proto: str, addr: str, port: int, timeout: float = 1.25,
                    src: Optional[str] = None) -> Outcome:
        """Asserts a DROP: no answer at all until the timeout (not refused, not a reply).

        The timeout outlasts the first SYN retransmission (1 s), where an IPv6 REJECT shows
        (see expect_reject), so a slow REJECT is never taken for a DROP.
        """
        o = self.request(who, proto, addr, port, timeout, src)
        if o.kind != TIMEOUT or o.elapsed < timeout * 0.9:
            raise AssertionError(f"{who} -> {proto} {_hostport(addr, port)}: expected DROP "
                                 f"(timeout after {timeout}s), got {o}")
        return o


def _nodad(f: FamilyAddrs) -> List[str]:
    return ["nodad"] if f.family == 6 else []


def _hostport(addr: str, port: int) -> str:
    return f"[{addr}]:{port}" if ":" in addr else f"{addr}:{port}"


def _write_sysctls(values: Dict[str, int]) -> None:
    # Runs in the target netns: /proc/sys/net shows the namespace of whoever opens it.
    for key, value in values.items():
        with open(f"/proc/sys/{key}", "w") as fh:
            fh.write(str(value))
