#!/usr/bin/env bash
# Installs every build, test and demo dependency of kpx from Debian 12's packages.
# Idempotent: re-running it installs nothing new. Must run as root.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps.sh: run as root (apt-get needs it)" >&2
  exit 1
fi

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config clang-format
  # the second compiler kpx must build with without warnings (clang 14 cannot compile kpx)
  clang-16 libclang-rt-16-dev
  # libraries kpx links
  libnftnl-dev libmnl-dev
  libnl-3-dev libnl-genl-3-dev libnl-route-3-dev
  libipset-dev libnetfilter-conntrack-dev
  libcurl4-openssl-dev libssl-dev
  nlohmann-json3-dev libyaml-cpp-dev libcli11-dev libexpected-dev libevent-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # kernel-side tools used by tests (to read back and to compare) and the demo
  iproute2 nftables iptables ipset conntrack socat curl python3 procps
  # the fake API server's per-run CA, and the real Prometheus that scrapes kpx in the metrics tests
  openssl prometheus
)
# kubectl proves the fake API server faithful: the machine's own if it has one, else Debian's.
if ! command -v kubectl >/dev/null 2>&1; then
  packages+=(kubernetes-client)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps.sh: all ${#packages[@]} packages already installed"
  exit 0
fi

echo "install-deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
