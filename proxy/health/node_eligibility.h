// Whether this node should receive load-balancer traffic (proxy_health.go NodeEligible): not
// when it is being deleted or tainted by the cluster autoscaler for deletion. /healthz then
// answers 503 so external load balancers drain the node before it goes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "proxy/model.h"

namespace kpx::health {

inline constexpr std::string_view kToBeDeletedTaint = "ToBeDeletedByClusterAutoscaler";

bool nodeEligible(bool hasDeletionTimestamp, const std::vector<std::string>& taintKeys);
// The same for this node's Node as the watch read it: ProxierHealth::setNodeEligible(
// nodeEligible(node)) on every add or update of it, as upstream's NodeManager.
bool nodeEligible(const Node& node);

}  // namespace kpx::health
