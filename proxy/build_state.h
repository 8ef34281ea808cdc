#pragma once

#include "proxy/config.h"
#include "proxy/model.h"
#include "proxy/state.h"
#include "proxy/store.h"

namespace kpx {

// The pure core (DESIGN §3): from the cluster's objects, this node and the configuration, the
// service ports this node must serve and the endpoints chosen for each traffic class. No I/O.
// `node` may be null (unknown node: no zone, no primary addresses).
ProxyState buildState(const ClusterSnapshot& cluster, const Node* node, const ProxyConfig& config);

}  // namespace kpx
