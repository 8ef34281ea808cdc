#include "dataplane/nftables/elements.h"

#include <cstdio>

#include "dataplane/netlink/key.h"

namespace kpx::nftables {

KeyBytes serviceKey(const IPAddr& ip, Protocol protocol, uint16_t port) {
  nft::KeyBuilder b;
  b.bytes(std::span<const uint8_t>(ip.bytes().data(), ip.size()))
      .u8(ipProtoNumber(protocol))
      .be16(port);
  return {b.take(),
          ip.str() + " . " + std::string(toLowerString(protocol)) + " . " + std::to_string(port)};
}

KeyBytes nodePortKey(Protocol protocol, uint16_t port) {
  nft::KeyBuilder b;
  b.u8(ipProtoNumber(protocol)).be16(port);
  return {b.take(), std::string(toLowerString(protocol)) + " . " + std::to_string(port)};
}

KeyBytes addrKey(const IPAddr& ip) {
  nft::KeyBuilder b;
  b.bytes(std::span<const uint8_t>(ip.bytes().data(), ip.size()));
  return {b.take(), ip.str()};
}

KeyBytes addrPairKey(const IPAddr& a, const IPAddr& b) {
  nft::KeyBuilder k;
  k.bytes(std::span<const uint8_t>(a.bytes().data(), a.size()))
      .bytes(std::span<const uint8_t>(b.bytes().data(), b.size()));
  return {k.take(), a.str() + " . " + b.str()};
}

KeyBytes targetSlotKey(uint64_t target, uint32_t slot) {
  nft::KeyBuilder k;
  k.hostU32(static_cast<uint32_t>(target >> 32)).hostU32(static_cast<uint32_t>(target)).hostU32(slot);
  char text[48];
  std::snprintf(text, sizeof text, "0x%08x . 0x%08x . 0x%08x", static_cast<uint32_t>(target >> 32),
                static_cast<uint32_t>(target), slot);
  return {k.take(), text};
}

KeyBytes endpointData(const IPAddr& ip, uint16_t port) {
  nft::KeyBuilder k;
  k.bytes(std::span<const uint8_t>(ip.bytes().data(), ip.size())).be16(port);
  return {k.take(), ip.str() + " . " + std::to_string(port)};
}

}  // namespace kpx::nftables
