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

}  // namespace kpx::nftables
