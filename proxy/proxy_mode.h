// The dataplane backends kpx can run, as one type: the --mode flag, the config file's `mode`,
// the backend registry, the metrics kube-proxy registers per mode and the tests all use it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace kpx {

enum class ProxyMode : uint8_t { NFTables, IPTables, IPVS };

inline constexpr std::array<ProxyMode, 3> kAllProxyModes = {ProxyMode::NFTables,
                                                            ProxyMode::IPTables, ProxyMode::IPVS};

// "nftables", "iptables", "ipvs" (as the --mode flag and the config's `mode` spell them).
constexpr std::string_view toString(ProxyMode mode) {
  switch (mode) {
    case ProxyMode::NFTables:
      return "nftables";
    case ProxyMode::IPTables:
      return "iptables";
    case ProxyMode::IPVS:
      return "ipvs";
  }
  return "?";
}

constexpr std::optional<ProxyMode> parseProxyMode(std::string_view text) {
  for (ProxyMode mode : kAllProxyModes)
    if (toString(mode) == text) return mode;
  return std::nullopt;
}

}  // namespace kpx
