#!/usr/bin/env bash
# The demo: installs the dependencies, builds kpx and shows what it does on the example
# cluster in examples/: the plan, then kpx programming nftables in a scratch namespace
# topology, real requests answered by the pods, kpx dump, and cleanup.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)"

echo
echo "== kpx plan --source examples/ (what kpx will program)"
build/bin/kpx plan --source examples/ --node-name kpx-demo-node --cluster-cidr 10.244.0.0/16
echo
exec python3 scripts/demo.py
