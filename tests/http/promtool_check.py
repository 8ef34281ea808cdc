#!/usr/bin/env python3
"""Pipes an exporter's /metrics into `promtool check metrics` (the real Prometheus parser and
linter). Passes when the body parses and the only lint findings are the names kube-proxy
itself exposes (kpx keeps them for dashboards). Target: see target.py (--url URL or -- COMMAND).
"""

import shutil
import subprocess
import sys

import target

# Upstream's own names that promtool's linter dislikes; kept verbatim for compatibility.
UPSTREAM_LINT = {
    'kubeproxy_sync_proxy_rules_no_local_endpoints_total non-counter metrics should not have "_total" suffix',
    'kubeproxy_sync_proxy_rules_iptables_total non-counter metrics should not have "_total" suffix',
}


def main():
    args = target.parse_args(__doc__)
    promtool = shutil.which("promtool")
    if promtool is None:
        print("SKIP: promtool not installed (Debian package prometheus)")
        return target.SKIP
    with target.exporter(args) as url:
        status, content_type, body = target.fetch(url)
    if status != 200:
        print(f"FAIL: {url} answered {status}")
        return 1
    if not content_type.startswith("text/plain; version=0.0.4"):
        print(f"FAIL: Content-Type {content_type!r}, want text/plain; version=0.0.4")
        return 1
    samples = [l for l in body.splitlines() if l.startswith("kubeproxy_")]
    if not samples:
        print("FAIL: no kubeproxy_ sample in the body")
        return 1

    check = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True,
                           text=True)
    findings = [l.strip() for l in (check.stdout + check.stderr).splitlines() if l.strip()]
    print(f"promtool check metrics: exit {check.returncode}, {len(body.splitlines())} lines, "
          f"{len(samples)} kubeproxy_ samples")
    for line in findings:
        print("  promtool:", line)
    unexpected = [l for l in findings if l not in UPSTREAM_LINT]
    # Exit 3 is "lint problems"; anything else non-zero is a parse error or a crash.
    if check.returncode not in (0, 3) or unexpected:
        print("FAIL: promtool found problems beyond upstream's own names")
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
