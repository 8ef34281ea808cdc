#!/usr/bin/env bash
# The demo: installs the dependencies, builds kpx and shows what it does on the example
# cluster in examples/. Until a dataplane lands, that is the plan kpx would program.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)"

echo
echo "== kpx plan --source examples/ --node-name kpx-demo-node --cluster-cidr 10.244.0.0/16"
build/bin/kpx plan --source examples/ --node-name kpx-demo-node --cluster-cidr 10.244.0.0/16
