// One service port → its chains and map elements (docs/semantics.md semantics as decided by
// build_state; this only lays them out). See README.md for the drawing.
#pragma once

#include <cstdint>
#include <string_view>

#include "dataplane/nftables/rendering.h"
#include "proxy/state.h"

namespace kpx::nftables {

PortRendering renderPort(const ServicePortState& sp, const GlobalState& global);

// The key of an endpoint in the shared affinity set: a hash of the service port and the
// endpoint, so it is the same in every process and after any sequence of syncs (a restart then
// adopts the table and clients keep their endpoint). A collision only matters within one
// service's chain, where it can only send a client to another valid endpoint of that service.
// The id of one endpoint set of a service port ("internal", or "external" for eTP=Local) in
// the endpoint maps: 64 bits of a hash of the names, the same in every process (a restart
// adopts the table) without an allocator; two ids colliding is as likely as a 64-bit hash
// collision, and would show as a conflict the sync reports.
uint64_t targetId(const ServicePortKey& key, std::string_view targetName);

uint32_t affinityKey(const ServicePortKey& key, const EndpointState& ep);

}  // namespace kpx::nftables
