#include "proxy/ip.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace kpx {

std::string_view toString(IPFamily family) { return family == IPFamily::V4 ? "IPv4" : "IPv6"; }

std::optional<IPFamily> parseIPFamily(std::string_view text) {
  if (text == "IPv4") return IPFamily::V4;
  if (text == "IPv6") return IPFamily::V6;
  return std::nullopt;
}

std::optional<IPAddr> IPAddr::parse(std::string_view text) {
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) return std::nullopt;
  std::string copy(text);  // inet_pton needs a NUL-terminated string
  uint8_t buf[16] = {};
  if (copy.find(':') == std::string::npos) {
    if (inet_pton(AF_INET, copy.c_str(), buf) != 1) return std::nullopt;
    return fromBytes(IPFamily::V4, buf);
  }
  if (inet_pton(AF_INET6, copy.c_str(), buf) != 1) return std::nullopt;
  return fromBytes(IPFamily::V6, buf);
}

IPAddr IPAddr::v4(uint32_t hostOrder) {
  uint8_t b[4] = {static_cast<uint8_t>(hostOrder >> 24), static_cast<uint8_t>(hostOrder >> 16),
                  static_cast<uint8_t>(hostOrder >> 8), static_cast<uint8_t>(hostOrder)};
  return fromBytes(IPFamily::V4, b);
}

IPAddr IPAddr::fromBytes(IPFamily family, const uint8_t* bytes) {
  IPAddr a;
  a.family_ = family;
  std::memcpy(a.bytes_.data(), bytes, family == IPFamily::V4 ? 4 : 16);
  return a;
}

bool IPAddr::isUnspecified() const {
  for (size_t i = 0; i < size(); ++i)
    if (bytes_[i] != 0) return false;
  return true;
}

bool IPAddr::isLoopback() const {
  if (isV4()) return bytes_[0] == 127;
  for (size_t i = 0; i < 15; ++i)
    if (bytes_[i] != 0) return false;
  return bytes_[15] == 1;
}

bool IPAddr::isMulticast() const { return isV4() ? (bytes_[0] & 0xf0) == 0xe0 : bytes_[0] == 0xff; }

bool IPAddr::isLinkLocal() const {
  if (isV4()) return bytes_[0] == 169 && bytes_[1] == 254;
  return bytes_[0] == 0xfe && (bytes_[1] & 0xc0) == 0x80;
}

std::string IPAddr::str() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(isV4() ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof buf);
  return buf;
}

CIDR::CIDR(IPAddr addr, uint8_t prefixLen) : prefixLen_(prefixLen) {
  const size_t bits = addr.size() * 8;
  if (prefixLen_ > bits) prefixLen_ = static_cast<uint8_t>(bits);
  std::array<uint8_t, 16> b = addr.bytes();
  for (size_t i = 0; i < addr.size(); ++i) {
    const int keep = static_cast<int>(prefixLen_) - static_cast<int>(i * 8);
    if (keep <= 0) {
      b[i] = 0;
    } else if (keep < 8) {
      b[i] &= static_cast<uint8_t>(0xff << (8 - keep));
    }
  }
  addr_ = IPAddr::fromBytes(addr.family(), b.data());
}

std::optional<CIDR> CIDR::parse(std::string_view text) {
  const auto slash = text.find('/');
  auto ip = IPAddr::parse(text.substr(0, slash));
  if (!ip) return std::nullopt;
  if (slash == std::string_view::npos) return host(*ip);
  const std::string_view lenText = text.substr(slash + 1);
  unsigned len = 0;
  auto [ptr, ec] = std::from_chars(lenText.data(), lenText.data() + lenText.size(), len);
  if (ec != std::errc() || ptr != lenText.data() + lenText.size() || lenText.empty() ||
      len > ip->size() * 8)
    return std::nullopt;
  return CIDR(*ip, static_cast<uint8_t>(len));
}

bool CIDR::contains(const IPAddr& ip) const {
  if (ip.family() != family()) return false;
  return CIDR(ip, prefixLen_).addr() == addr_;
}

std::string CIDR::str() const { return addr_.str() + "/" + std::to_string(prefixLen_); }

}  // namespace kpx
