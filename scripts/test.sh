#!/usr/bin/env bash
# Installs the dependencies, builds kpx from scratch-or-incrementally, and runs every test:
# the normal build (unit, kernel and e2e tests; those needing root or a missing kernel feature
# report themselves as skipped) and an ASan+UBSan build of the unit tests and the contract suite. Every build treats
# warnings as errors (KPX_WERROR); two more build without testing, to show kpx compiles
# warning-free there too: Release (GCC at -O3 warns where -O2 does not) and clang-16.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

jobs=$(nproc)
echo "== build (RelWithDebInfo)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKPX_WERROR=ON
cmake --build build -j "$jobs"

echo "== ctest (all tests)"
ctest --test-dir build --output-on-failure -j "$jobs" --timeout 900

echo "== ASan+UBSan build of the unit tests and the backend contract suite"
cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=Debug -DKPX_SANITIZE=ON -DKPX_BENCH=OFF \
  -DKPX_WERROR=ON
cmake --build build-sanitize -j "$jobs" --target unit-tests
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-sanitize -L 'unit|contract' --output-on-failure -j "$jobs" --timeout 900

# Build-only checks. On 2 cores a whole Release tree takes about 4 minutes and the clang unit
# tests about 3.5, together at the limit of what CI should add (8 minutes); so the Release tree
# builds the libraries and the kpx binary only (about 1.5 minutes), and the clang tree everything
# `ctest -L unit` runs.
echo "== Release build of kpx (warnings only; no tests)"
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DKPX_WERROR=ON
cmake --build build-release -j "$jobs" --target kpx

echo "== clang-16 build of the unit tests (warnings only; no tests)"
CC=clang-16 CXX=clang++-16 cmake -S . -B build-clang -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DKPX_WERROR=ON
cmake --build build-clang -j "$jobs" --target unit-tests
