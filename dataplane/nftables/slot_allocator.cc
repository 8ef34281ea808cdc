#include "dataplane/nftables/slot_allocator.h"

#include "dataplane/nftables/render_port.h"

namespace kpx::nftables {

std::optional<uint32_t> SlotAllocator::acquire(const ServicePortKey& key) {
  if (auto it = blocks_.find(key); it != blocks_.end()) return it->second * kSlotsPerPort;
  uint32_t block;
  if (!free_.empty()) {
    block = *free_.begin();
    free_.erase(free_.begin());
  } else {
    if (next_ >= 0x10000) return std::nullopt;
    block = next_++;
  }
  blocks_.emplace(key, block);
  return block * kSlotsPerPort;
}

void SlotAllocator::release(const ServicePortKey& key) {
  auto it = blocks_.find(key);
  if (it == blocks_.end()) return;
  free_.insert(it->second);
  blocks_.erase(it);
}

}  // namespace kpx::nftables
