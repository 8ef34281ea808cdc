#pragma once

#include <map>

#include "proxy/config.h"
#include "proxy/model.h"
#include "proxy/state.h"
#include "proxy/store.h"
#include "proxy/topology.h"

namespace kpx {

// The pure core (docs/semantics.md): from the cluster's objects, this node and the configuration, the
// service ports this node must serve and the endpoints chosen for each traffic class. No I/O.
// `node` may be null (unknown node: no zone, no primary addresses).
ProxyState buildState(const ClusterSnapshot& cluster, const Node* node, const ProxyConfig& config);

// The parts of buildState() the incremental updater (state_updater.h) shares, so that both give
// the same ports by construction.
//
// Where this node is, as endpoint selection sees it (`node` may be null).
NodeTopology nodeTopology(const Node* node, const ProxyConfig& config);
// The ports of one service in every family this proxy serves, with their endpoints, put into
// `into` (replacing same keys). Nothing for a service kube-proxy never programs (ExternalName,
// headless, the service-proxy-name and headless labels, no clusterIP). O(the service).
void buildServicePorts(const Service& svc, const ClusterSnapshot& cluster,
                       const NodeTopology& topology, const ProxyConfig& config,
                       std::map<ServicePortKey, ServicePortState>& into);

}  // namespace kpx
