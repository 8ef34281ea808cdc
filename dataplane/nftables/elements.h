// Keys of kpx's sets and maps, in register layout (nft::KeyBuilder) with their nft text.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "proxy/ip.h"
#include "proxy/model.h"

namespace kpx::nftables {

struct KeyBytes {
  std::vector<uint8_t> bytes;
  std::string text;
};

KeyBytes serviceKey(const IPAddr& ip, Protocol protocol, uint16_t port);  // daddr . proto . port
KeyBytes nodePortKey(Protocol protocol, uint16_t port);                  // proto . port
KeyBytes addrKey(const IPAddr& ip);                                      // addr
KeyBytes addrPairKey(const IPAddr& a, const IPAddr& b);                  // addr . addr
KeyBytes targetSlotKey(uint64_t target, uint32_t slot);   // mark . mark . mark (id hi, lo, slot)
KeyBytes endpointData(const IPAddr& ip, uint16_t port);   // addr . inet_service

}  // namespace kpx::nftables
