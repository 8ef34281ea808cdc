#include "dataplane/nftables/elements.h"

#include <cstdio>

#include "dataplane/nftables/netlink/key.h"

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

}  // namespace kpx::nftables
