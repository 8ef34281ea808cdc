// The service-independent part of a kpx table: hooks, helper chains and the fixed set of maps.
#pragma once

#include <vector>

#include "dataplane/nftables/rendering.h"
#include "proxy/state.h"

namespace kpx::nftables {

// `nodePortIPs`: this node's addresses of `family` inside nodePortAddresses (used only when
// the NodePort scope is not "all local addresses").
BaseRendering renderBase(IPFamily family, const GlobalState& global,
                         const std::vector<IPAddr>& nodePortIPs);


}  // namespace kpx::nftables
