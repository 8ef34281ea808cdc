// What the health-check node ports report, from the desired state: kube-proxy's
// ServiceHealthServer.SyncServices/SyncEndpoints input, kept up to date at the cost of the change.
#pragma once

#include "proxy/health/service_health.h"
#include "proxy/state.h"
#include "proxy/state_changes.h"

namespace kpx::health {

// Every service with a healthCheckNodePort and its local ready endpoints, added up over its
// ports as kube-proxy does; a dual-stack service counts once (the larger family). O(state).
ServiceHealthChecks serviceHealth(const ProxyState& state);

// serviceHealth(), kept up to date from the StateChanges of each sync: O(changed services).
class ServiceHealthTracker {
 public:
  // `changes` lead from the state of the previous call (an empty state before the first) to
  // `after`. True when checks() changed.
  bool update(const ProxyState& after, const StateChanges& changes);
  const ServiceHealthChecks& checks() const { return checks_; }

 private:
  ServiceHealthChecks checks_;
};

}  // namespace kpx::health
