// Hands each service port a block of endpoint-slot keys (render_port.h) and takes it back when
// the port goes. Blocks are reused lowest-first so keys stay small and dense.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>

#include "proxy/state.h"

namespace kpx::nftables {

class SlotAllocator {
 public:
  // The block base of `key`, allocating one if needed; nullopt when all 65,535 are in use.
  std::optional<uint32_t> acquire(const ServicePortKey& key);
  void release(const ServicePortKey& key);

 private:
  std::map<ServicePortKey, uint32_t> blocks_;
  std::set<uint32_t> free_;
  uint32_t next_ = 1;  // block 0 stays unused: key 0 reads as "no key" in dumps
};

}  // namespace kpx::nftables
