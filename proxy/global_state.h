// The node-wide part of ProxyState, resolved from the configuration and this Node.
#pragma once

#include <string>
#include <vector>

#include "proxy/config.h"
#include "proxy/model.h"
#include "proxy/state.h"

namespace kpx {

// Detect-local: ClusterCIDR uses config.clusterCIDRs, NodeCIDR the Node's podCIDRs (none while
// the Node is unknown), the interface modes name an interface instead of prefixes. Nothing is
// filtered by family: each dataplane takes the family it programs.
GlobalState buildGlobalState(const Node* node, const ProxyConfig& config);

// nodePortAddresses: empty or containing "all" means every local address; "primary" means the
// Node's InternalIP/ExternalIP addresses as host prefixes; anything else is a CIDR (strings that
// do not parse are skipped: the configuration was validated at startup). When nothing usable
// is left (e.g. "primary" while the Node or its addresses are unknown) NodePorts fall back to
// every local address, as with an empty list, rather than answering nowhere.
NodePortAddresses resolveNodePortAddresses(const std::vector<std::string>& spec, const Node* node);

// The node's addresses NodePorts answer on when limited to prefixes (none when allLocal: the
// backend then matches "any local address" itself). Order kept, duplicates dropped.
std::vector<IPAddr> nodePortIPs(const NodePortAddresses& scope, const std::vector<IPAddr>& nodeAddresses);

}  // namespace kpx
