// IP addresses and prefixes as values: parsed once, compared and hashed cheaply,
// family carried as data so IPv4 and IPv6 share every code path.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kpx {

enum class IPFamily : uint8_t { V4, V6 };

std::string_view toString(IPFamily family);  // "IPv4" / "IPv6", as Kubernetes spells them
std::optional<IPFamily> parseIPFamily(std::string_view text);

class IPAddr {
 public:
  IPAddr() = default;
  // Accepts the canonical textual forms only (inet_pton): no leading zeros, no zone ids.
  static std::optional<IPAddr> parse(std::string_view text);
  static IPAddr v4(uint32_t hostOrder);
  static IPAddr fromBytes(IPFamily family, const uint8_t* bytes);

  IPFamily family() const { return family_; }
  bool isV4() const { return family_ == IPFamily::V4; }
  // Network-order bytes; 4 meaningful for IPv4, 16 for IPv6.
  const std::array<uint8_t, 16>& bytes() const { return bytes_; }
  size_t size() const { return isV4() ? 4 : 16; }
  bool isUnspecified() const;
  bool isLoopback() const;
  bool isMulticast() const;
  bool isLinkLocal() const;
  std::string str() const;

  auto operator<=>(const IPAddr&) const = default;

 private:
  IPFamily family_ = IPFamily::V4;
  std::array<uint8_t, 16> bytes_{};
};

class CIDR {
 public:
  CIDR() = default;
  CIDR(IPAddr addr, uint8_t prefixLen);  // masks host bits
  // "10.0.0.0/8", "fd00::/64"; a bare address becomes a host prefix (/32 or /128).
  static std::optional<CIDR> parse(std::string_view text);
  static CIDR host(const IPAddr& addr) { return CIDR(addr, addr.isV4() ? 32 : 128); }

  const IPAddr& addr() const { return addr_; }
  uint8_t prefixLen() const { return prefixLen_; }
  IPFamily family() const { return addr_.family(); }
  bool contains(const IPAddr& ip) const;
  std::string str() const;

  auto operator<=>(const CIDR&) const = default;

 private:
  IPAddr addr_;
  uint8_t prefixLen_ = 0;
};

}  // namespace kpx
