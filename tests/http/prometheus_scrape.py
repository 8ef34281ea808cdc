#!/usr/bin/env python3
"""Starts a real Prometheus on loopback (its own temporary config and storage), lets it scrape
an exporter every second, and queries its HTTP API until kubeproxy_ series answer: the target
is up, the last-sync gauge is a recent Unix time per IP family, and histogram_quantile() works
on the sync-duration buckets. Target: see target.py (--url URL or -- COMMAND).
"""

import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import target


def query(api, promql):
    url = f"{api}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    with urllib.request.urlopen(url, timeout=5) as reply:
        data = json.load(reply)
    if data.get("status") != "success":
        raise RuntimeError(f"query {promql!r}: {data}")
    return data["data"]["result"]


def main():
    args = target.parse_args(__doc__)
    prometheus = shutil.which("prometheus")
    if prometheus is None:
        print("SKIP: prometheus not installed (Debian package prometheus)")
        return target.SKIP

    with target.exporter(args) as url, tempfile.TemporaryDirectory(prefix="kpx-prom-") as tmp:
        parsed = urllib.parse.urlsplit(url)
        config = f"{tmp}/prometheus.yml"
        with open(config, "w") as f:
            f.write(
                "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                "scrape_configs:\n  - job_name: kpx\n"
                f"    metrics_path: {parsed.path or '/metrics'}\n"
                f"    static_configs:\n      - targets: ['{parsed.netloc}']\n")
        port = target.free_port()
        api = f"http://127.0.0.1:{port}"
        log = open(f"{tmp}/prometheus.log", "w")
        server = subprocess.Popen(
            [prometheus, f"--config.file={config}", f"--storage.tsdb.path={tmp}/data",
             f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
            stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + args.timeout
            last_error = "no answer yet"
            while time.monotonic() < deadline:
                if server.poll() is not None:
                    break
                try:
                    up = query(api, 'up{job="kpx"}')
                    last = query(api, "kubeproxy_sync_proxy_rules_last_timestamp_seconds")
                    p50 = query(api, "histogram_quantile(0.5, sum by (le) ("
                                     "kubeproxy_sync_proxy_rules_duration_seconds_bucket))")
                    if up and up[0]["value"][1] == "1" and last and p50:
                        families = sorted(s["metric"].get("ip_family", "") for s in last)
                        now = time.time()
                        stamps = [float(s["value"][1]) for s in last]
                        quantile = float(p50[0]["value"][1])
                        print(f"up=1; last sync per family {families}: {stamps}; "
                              f"p50 sync duration {quantile}s")
                        if families != ["IPv4", "IPv6"]:
                            print(f"FAIL: ip_family labels {families}")
                            return 1
                        if not all(abs(now - s) < 3600 for s in stamps):
                            print("FAIL: the last-sync timestamps are not recent Unix times")
                            return 1
                        if not 0 < quantile <= 16.384:
                            print("FAIL: histogram_quantile outside the bucket range")
                            return 1
                        print("PASS")
                        return 0
                    last_error = f"up={up} last={last} p50={p50}"
                except OSError as error:
                    last_error = str(error)
                time.sleep(0.25)
            log.flush()
            print(f"FAIL: Prometheus never answered with the series ({last_error})")
            with open(f"{tmp}/prometheus.log") as f:
                print(f.read()[-4000:])
            return 1
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            log.close()


if __name__ == "__main__":
    sys.exit(main())
