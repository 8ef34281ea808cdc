#!/usr/bin/env python3
"""Event-to-kernel latency and RSS of `kpx run` as a daemon (docs/performance.md), in a scratch netns.

usage: sudo bench/agent_latency.py build/bin/kpx --services 1000 [--endpoints 10] [--changes 40]
       [--min-sync-period 1s]

Writes N Services with M endpoints each (one JSON file per service in a temp directory), starts
`kpx run --source DIR` in a fresh network namespace (kpxlat<pid>), waits for the first sync,
then replaces one endpoint of a random service every 0.3-2.0 s (a new file renamed over the old
one, as kubectl/editors write). kpx logs, per sync, the age of the oldest event it applied
("oldest event to kernel X ms": from the source pushing the change to the kernel's ack); this
script reports p50/p99 of those, and the agent's RSS (VmRSS, VmHWM) at the end. Nothing outside
the namespace it creates is touched.
"""
import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time


def service(i, m):
    name = f"svc-{i}"
    ip = f"10.96.{(i >> 8) & 255}.{i & 255}"
    svc = {"apiVersion": "v1", "kind": "Service",
           "metadata": {"name": name, "namespace": "bench"},
           "spec": {"type": "ClusterIP", "clusterIP": ip, "clusterIPs": [ip],
                    "ports": [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080}]}}
    return svc, name


def endpoint_slice(name, i, m, salt=0):
    eps = [{"addresses": [f"10.{100 + ((i * m + j + salt) >> 16) % 100}.{((i * m + j + salt) >> 8) & 255}."
                          f"{(i * m + j + salt) & 255}"],
            "conditions": {"ready": True}, "nodeName": "bench-node"} for j in range(m)]
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": f"{name}-a", "namespace": "bench",
                         "labels": {"kubernetes.io/service-name": name}},
            "addressType": "IPv4",
            "ports": [{"name": "http", "protocol": "TCP", "port": 8080}],
            "endpoints": eps}


def write(directory, i, m, salt=0):
    svc, name = service(i, m)
    path = os.path.join(directory, f"{name}.json")
    tmp = path + ".tmp"
    with open(tmp, "w") as fh:
        json.dump({"apiVersion": "v1", "kind": "List",
                   "items": [svc, endpoint_slice(name, i, m, salt)]}, fh)
    os.rename(tmp, path)


def percentile(values, p):
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(p / 100 * (len(values) - 1)))))
    return values[k]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kpx")
    ap.add_argument("--services", type=int, default=1000)
    ap.add_argument("--endpoints", type=int, default=10)
    ap.add_argument("--changes", type=int, default=40)
    ap.add_argument("--min-sync-period", default="1s")
    ap.add_argument("--restart", action="store_true",
                    help="program the rules with `kpx run --once` first, so that the daemon "
                         "starts as after a restart or upgrade (it adopts the table)")
    a = ap.parse_args()
    ns = f"kpxlat{os.getpid()}"
    d = tempfile.mkdtemp(prefix="kpx-lat-")
    log_path = os.path.join(d, "kpx.log")
    src = os.path.join(d, "cluster")
    os.makedirs(src)
    for i in range(a.services):
        write(src, i, a.endpoints)
    subprocess.run(["ip", "netns", "add", ns], check=True)
    proc = None
    try:
        subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
        if a.restart:
            subprocess.run(["ip", "netns", "exec", ns, os.path.abspath(a.kpx), "run", "--once",
                            "--source", src, "--node-name", "bench-node",
                            "--cluster-cidr", "10.244.0.0/16"], check=True,
                           stdout=subprocess.DEVNULL)
        with open(log_path, "wb") as log:
            wrap = os.environ.get("KPX_WRAP", "").split()  # e.g. "heaptrack -o /tmp/kpx"
            proc = subprocess.Popen(["ip", "netns", "exec", ns, *wrap, os.path.abspath(a.kpx), "run",
                                     "--source", src, "--node-name", "bench-node",
                                     "--cluster-cidr", "10.244.0.0/16",
                                     "--min-sync-period", a.min_sync_period,
                                     "--healthz-bind-address", "127.0.0.1:10256",
                                     "--metrics-bind-address", "127.0.0.1:10249"],
                                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        t0 = time.monotonic()
        while "synced" not in open(log_path).read():
            if proc.poll() is not None or time.monotonic() - t0 > 600:
                sys.exit("kpx did not sync:\n" + open(log_path).read())
            time.sleep(0.2)
        first = time.monotonic() - t0
        rng = random.Random(1)
        for c in range(a.changes):
            time.sleep(rng.uniform(0.3, 2.0))
            write(src, rng.randrange(a.services), a.endpoints, salt=7 + c)
        time.sleep(3)
        status = open(f"/proc/{proc.pid}/status").read() if False else ""
        # proc is `ip netns exec`, which execs kpx: same pid.
        status = open(f"/proc/{proc.pid}/status").read()
        rss = re.search(r"VmRSS:\s+(\d+) kB", status).group(1)
        hwm = re.search(r"VmHWM:\s+(\d+) kB", status).group(1)
        if os.environ.get("KPX_SMAPS"):  # where the RSS is: the largest mappings
            maps, cur = [], None
            for line in open(f"/proc/{proc.pid}/smaps"):
                if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                    cur = line.split(None, 5)[-1].strip() if len(line.split()) > 5 else "[anon]"
                elif line.startswith("Rss:"):
                    maps.append((int(line.split()[1]), cur))
            for kb, name in sorted(maps, reverse=True)[:8]:
                print(f"  smaps: {kb / 1024:7.1f} MiB {name}")
    finally:
        if proc and proc.poll() is None:
            # The whole group: under KPX_WRAP, kpx is the wrapper's child, not `proc`.
            # KPX_STOP_SIGNAL=KILL under heaptrack: what is still allocated is then the live heap.
            stop = getattr(signal, "SIG" + os.environ.get("KPX_STOP_SIGNAL", "TERM"))
            os.killpg(proc.pid, stop)
            proc.wait(timeout=60)
        subprocess.run(["ip", "netns", "del", ns], check=False)
    text = open(log_path).read()
    # Every sync after the first that carried an event, whatever its kind (incremental, or a
    # periodic verify that found changes waiting): the first is the start-up full sync.
    synced = re.findall(r"nftables (\w+), \d+ kernel messages, ([\d.]+) ms; oldest event to "
                        r"kernel ([\d.]+) ms", text)[1:]
    lat = [float(age) for _, _, age in synced if float(age) > 0]
    sync = [float(took) for _, took, age in synced if float(age) > 0]
    kinds = sorted({kind for kind, _, age in synced if float(age) > 0})
    shutil.rmtree(d, ignore_errors=True)
    if not lat:
        sys.exit("no incremental sync seen:\n" + text[-3000:])
    print(f"kpx agent, {a.services} services x {a.endpoints} endpoints, minSyncPeriod "
          f"{a.min_sync_period}: first sync after start {first:.1f} s; {len(lat)} syncs "
          f"({', '.join(kinds)}) for {a.changes} changes")
    print(f"  event-to-kernel: p50 {percentile(lat, 50):.1f} ms, p99 {percentile(lat, 99):.1f} ms, "
          f"max {max(lat):.1f} ms")
    print(f"  sync itself (build state + dataplane): p50 {percentile(sync, 50):.1f} ms, "
          f"p99 {percentile(sync, 99):.1f} ms")
    print(f"  RSS at the end: {int(rss) / 1024:.1f} MiB (peak {int(hwm) / 1024:.1f} MiB)")


if __name__ == "__main__":
    main()
