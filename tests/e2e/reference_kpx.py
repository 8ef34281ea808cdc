#!/usr/bin/env python3
"""A tiny reference dataplane with kpx's command line, used to validate the e2e CASES themselves.

    python3 test_services.py tests/e2e/reference_kpx.py     # must pass: the cases are right

It is NOT kpx and ships nowhere. It reads the JSON manifests that manifests.py writes and loads
kube-proxy-style nftables rules (ip/ip6 table "kpx") with the nft binary, following docs/semantics.md as
closely as a few hundred lines allow: ClusterIP/NodePort/externalIP/LB dispatch via verdict maps,
numgen endpoint picks, per-endpoint affinity sets, eTP/iTP Local, source ranges in a filter hook
before DNAT, REJECT/DROP of unserved destinations in the filter hooks, masquerade by mark.
Commands: run --source DIR --once --node-name N --cluster-cidr A,B [--mode nftables] | cleanup | dump.
"""
import argparse
import glob
import json
import subprocess
import sys

MARK = "0x4000"
FAM = {4: ("ip", "ipv4_addr"), 6: ("ip6", "ipv6_addr")}


def load(source):
    objs = []
    for path in sorted(glob.glob(f"{source}/*.json")):
        with open(path) as fh:
            doc = json.load(fh)
        objs += doc["items"] if doc.get("kind") == "List" else [doc]
    return objs


def usable(eps):
    """Ready endpoints; if there are none, the serving+terminating ones (docs/semantics.md)."""
    ready = [e for e in eps if e["conditions"].get("ready", True)]
    return ready or [e for e in eps if e["conditions"].get("serving") and e["conditions"].get("terminating")]


class Rules:
    def __init__(self, fam, node, cidr):
        self.fam, self.node, self.cidr = fam, node, cidr
        self.kw, self.addr_t = FAM[fam]
        self.chains, self.sets = [], []
        self.vips, self.nodeports, self.filter_vips, self.filter_nodeports, self.fw = [], [], [], [], []

    def br(self, a):
        return f"[{a}]" if self.fam == 6 else a

    def pick(self, name, eps, proto, port, affinity, sid):
        """Chain `name`: affinity lookups, then numgen over endpoint chains ep-<sid>-<j>, where j
        indexes self.all_eps[sid] (shared by the cluster and the local pick)."""
        idx = [next(j for j, x in enumerate(self.all_eps[sid]) if x is e) for e in eps]
        for e, j in zip(eps, idx):
            ep, ip = f"ep-{sid}-{j}", e["addresses"][0]
            if ep in (c[0] for c in self.chains):
                continue
            body = [f"{self.kw} saddr {ip} jump mark-for-masquerade"]
            if affinity:
                self.sets.append(f"set aff-{sid}-{j} {{ type {self.addr_t}; flags dynamic,timeout; "
                                 f"timeout {affinity}s; }}")
                body.append(f"update @aff-{sid}-{j} {{ {self.kw} saddr }}")
            body.append(f"meta l4proto {proto} dnat to {self.br(ip)}:{port}")
            self.chains.append((ep, body))
        rules = [f"{self.kw} saddr @aff-{sid}-{j} goto ep-{sid}-{j}" for j in idx] if affinity else []
        if eps:
            rules.append(f"numgen random mod {len(eps)} vmap {{ " +
                         ", ".join(f"{k} : goto ep-{sid}-{j}" for k, j in enumerate(idx)) + " }")
        self.chains.append((name, rules))

    def service_port(self, sid, svc, sp, slices):
        spec, proto = svc["spec"], sp["protocol"].lower()
        eps, target = [], sp["targetPort"]
        for sl in slices:
            for p in sl["ports"]:
                if p["name"] == sp.get("name", ""):
                    target = p["port"]
            eps += sl["endpoints"]
        cluster = usable(eps)
        local = usable([e for e in eps if e.get("nodeName") == self.node])
        self.all_eps[sid] = cluster + [e for e in local if e not in cluster]
        aff = spec.get("sessionAffinityConfig", {}).get("clientIP", {}).get("timeoutSeconds", 10800) \
            if spec.get("sessionAffinity") == "ClientIP" else 0
        itp_local = spec.get("internalTrafficPolicy") == "Local"
        etp_local = spec.get("externalTrafficPolicy") == "Local"
        internal = local if itp_local else cluster
        external = local if etp_local else cluster
        name = f'{svc["metadata"]["namespace"]}/{svc["metadata"]["name"]}:{sp.get("name", "")}'
        self.pick(f"svc-{sid}", cluster, proto, target, aff, sid)
        if itp_local or etp_local:
            self.pick(f"local-{sid}", local, proto, target, aff, sid)
        self.chains.append((f"int-{sid}", [f"{self.kw} saddr != {self.cidr} jump mark-for-masquerade",
                                           f"goto {'local' if itp_local else 'svc'}-{sid} comment \"{name}\""]))
        if etp_local:  # pods short-circuit (no SNAT), the node itself is masqueraded
            ext = [f"{self.kw} saddr {self.cidr} goto svc-{sid}",
                   "fib saddr type local jump mark-for-masquerade", f"fib saddr type local goto svc-{sid}"]
            ext += [f"goto local-{sid}"] if local else []  # else: not DNATed, the filter drops it
        else:
            ext = ["jump mark-for-masquerade", f"goto svc-{sid}"]
        self.chains.append((f"ext-{sid}", ext))
        port = sp["port"]
        ext_ips = [ip for ip in spec.get("externalIPs", []) if (":" in ip) == (self.fam == 6)]
        lb_ips = [i["ip"] for i in svc.get("status", {}).get("loadBalancer", {}).get("ingress", [])
                  if (":" in i["ip"]) == (self.fam == 6)]
        for ip in spec.get("clusterIPs", []):
            if (":" in ip) == (self.fam == 6):
                self.vips.append(f"{ip} . {proto} . {port} : goto int-{sid}")
                if not cluster:
                    self.filter_vips.append(f"{ip} . {proto} . {port} : goto reject-chain")
                elif not internal:
                    self.filter_vips.append(f"{ip} . {proto} . {port} : drop")
        for ip in ext_ips + lb_ips:
            self.vips.append(f"{ip} . {proto} . {port} : goto ext-{sid}")
            if not cluster or not external:
                self.filter_vips.append(f"{ip} . {proto} . {port} : " + ("goto reject-chain" if not cluster else "drop"))
        ranges = spec.get("loadBalancerSourceRanges", [])
        ranges = [r for r in ranges if (":" in r) == (self.fam == 6)]
        for ip in lb_ips:
            if ranges:
                self.fw.append(f"{ip} . {proto} . {port} : goto fw-{sid}")
                self.chains.append((f"fw-{sid}", [f"{self.kw} saddr {{ {', '.join(ranges + [ip])} }} return", "drop"]))
        if sp.get("nodePort"):
            self.nodeports.append(f"{proto} . {sp['nodePort']} : goto ext-{sid}")
            if not cluster or not external:
                self.filter_nodeports.append(f"{proto} . {sp['nodePort']} : " + ("goto reject-chain" if not cluster else "drop"))

    def render(self):
        def m(name, key, elems):
            el = f" elements = {{ {', '.join(elems)} }};" if elems else ""
            return f"map {name} {{ type {key} : verdict;{el} }}"
        a = self.addr_t
        chains = "\n".join(f"chain {n} {{ {'; '.join(body)}; }}" if body else f"chain {n} {{ }}"
                           for n, body in self.chains)
        return f"""table {self.kw} kpx
delete table {self.kw} kpx
table {self.kw} kpx {{
{chr(10).join(self.sets)}
{m("service-ips", f"{a} . inet_proto . inet_service", self.vips)}
{m("service-nodeports", "inet_proto . inet_service", self.nodeports)}
{m("no-endpoint-services", f"{a} . inet_proto . inet_service", self.filter_vips)}
{m("no-endpoint-nodeports", "inet_proto . inet_service", self.filter_nodeports)}
{m("firewall-ips", f"{a} . inet_proto . inet_service", self.fw)}
chain firewall-check {{ {self.kw} daddr . meta l4proto . th dport vmap @firewall-ips; }}
chain filter-prerouting {{ type filter hook prerouting priority dstnat - 10; ct state new jump firewall-check; }}
chain filter-output-pre-dnat {{ type filter hook output priority -110; ct state new jump firewall-check; }}
chain filter-input {{ type filter hook input priority -10; ct state new meta l4proto . th dport vmap @no-endpoint-nodeports; ct state new jump endpoints-check; }}
chain filter-forward {{ type filter hook forward priority -10; ct state new jump endpoints-check; }}
chain filter-output {{ type filter hook output priority -10; ct state new jump endpoints-check; }}
chain endpoints-check {{ {self.kw} daddr . meta l4proto . th dport vmap @no-endpoint-services; }}
chain reject-chain {{ reject; }}
chain nat-prerouting {{ type nat hook prerouting priority dstnat; jump services; }}
chain nat-output {{ type nat hook output priority -100; jump services; }}
chain nat-postrouting {{ type nat hook postrouting priority srcnat; meta mark & {MARK} == 0 return; meta mark set meta mark ^ {MARK}; masquerade fully-random; }}
chain mark-for-masquerade {{ meta mark set meta mark | {MARK}; }}
chain services {{ {self.kw} daddr . meta l4proto . th dport vmap @service-ips; fib daddr type local meta l4proto . th dport vmap @service-nodeports; }}
{chains}
}}
"""


def run(args):
    objs = load(args.source)
    slices = {}
    for o in objs:
        if o["kind"] == "EndpointSlice":
            key = (o["metadata"]["namespace"], o["metadata"]["labels"]["kubernetes.io/service-name"])
            slices.setdefault(key, []).append(o)
    cidrs = {6 if ":" in c else 4: c for c in args.cluster_cidr.split(",")}
    text = ""
    for fam in (4, 6):
        r = Rules(fam, args.node_name, cidrs[fam])
        r.all_eps, sid = {}, 0
        for svc in (o for o in objs if o["kind"] == "Service"):
            ips = [ip for ip in svc["spec"].get("clusterIPs", []) if ip != "None"]
            if not any((":" in ip) == (fam == 6) for ip in ips):
                continue  # headless, or not of this family
            key = (svc["metadata"]["namespace"], svc["metadata"]["name"])
            fam_slices = [s for s in slices.get(key, []) if s["addressType"] == f"IPv{fam}"]
            for sp in svc["spec"]["ports"]:
                sid += 1
                r.service_port(sid, svc, sp, fam_slices)
        text += r.render()
    return subprocess.run(["nft", "-f", "-"], input=text, text=True).returncode


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["run", "cleanup", "dump"])
    ap.add_argument("--source"), ap.add_argument("--mode", default="nftables")
    ap.add_argument("--once", action="store_true"), ap.add_argument("--node-name")
    ap.add_argument("--cluster-cidr"), ap.add_argument("--format", default="json")
    args = ap.parse_args()
    if args.mode != "nftables":
        print(f"reference_kpx: --mode {args.mode}: not implemented yet", file=sys.stderr)
        return 3
    if args.cmd == "run":
        return run(args)
    tables = [kw for kw, _ in FAM.values()
              if subprocess.run(["nft", "list", "table", kw, "kpx"], capture_output=True).returncode == 0]
    if args.cmd == "cleanup":
        for kw in tables:
            subprocess.run(["nft", "delete", "table", kw, "kpx"], check=True)
        return 0
    raw = [json.loads(subprocess.run(["nft", "-j", "list", "table", kw, "kpx"], capture_output=True,
                                     text=True, check=True).stdout) for kw in tables]
    names = [c["rule"].get("comment") for d in raw for c in d["nftables"] if "rule" in c]
    print(json.dumps({"entries": [n for n in names if n], "raw": raw}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
