// One service port → its chains and map elements (DESIGN §3 semantics as decided by
// build_state; this only lays them out). See README.md for the drawing.
#pragma once

#include <cstdint>

#include "dataplane/nftables/rendering.h"
#include "proxy/state.h"

namespace kpx::nftables {

PortRendering renderPort(const ServicePortState& sp, const GlobalState& global);

// The key of an endpoint in the shared affinity set: a hash of the service port and the
// endpoint, so it is the same in every process and after any sequence of syncs (a restart then
// adopts the table and clients keep their endpoint). A collision only matters within one
// service's chain, where it can only send a client to another valid endpoint of that service.
uint32_t affinityKey(const ServicePortKey& key, const EndpointState& ep);

}  // namespace kpx::nftables
