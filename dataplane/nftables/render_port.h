// One service port → its chains and map elements (DESIGN §3 semantics as decided by
// build_state; this only lays them out). See README.md for the drawing.
#pragma once

#include <cstdint>

#include "dataplane/nftables/rendering.h"
#include "proxy/state.h"

namespace kpx::nftables {

// Each service port owns a block of 65,536 endpoint keys (for the shared affinity set):
// internal traffic numbers its endpoints from base, external traffic from base+0x8000.
inline constexpr uint32_t kSlotsPerPort = 0x10000;
inline constexpr uint32_t kExternalSlotOffset = 0x8000;
inline constexpr uint32_t kMaxEndpointsPerClass = kExternalSlotOffset;

PortRendering renderPort(const ServicePortState& sp, const GlobalState& global,
                         uint32_t slotBase);

}  // namespace kpx::nftables
