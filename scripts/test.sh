#!/usr/bin/env bash
# Installs the dependencies, builds kpx from scratch-or-incrementally, and runs every test:
# the normal build (unit, kernel and e2e tests; those needing root or a missing kernel feature
# report themselves as skipped) and an ASan+UBSan build of the unit tests.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

jobs=$(nproc)
echo "== build (RelWithDebInfo)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j "$jobs"

echo "== ctest (all tests)"
ctest --test-dir build --output-on-failure -j "$jobs" --timeout 900

echo "== ASan+UBSan build of the unit tests"
cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=Debug -DKPX_SANITIZE=ON -DKPX_BENCH=OFF
cmake --build build-sanitize -j "$jobs" --target unit-tests
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-sanitize -L unit --output-on-failure -j "$jobs" --timeout 900
