// kube-proxy's ProxyHealthServer state and decision (pkg/proxy/healthcheck/proxy_health.go):
// the sync thread reports queuedUpdate()/updated() per IP family; the HTTP thread asks health().
// A family is unhealthy when an update has been queued for healthTimeout or longer without a
// sync since; a family that never synced is healthy (starting up). Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>

#include "proxy/health/clock.h"
#include "proxy/ip.h"

namespace kpx::health {

struct FamilyHealth {
  std::chrono::system_clock::time_point lastUpdated;
  bool healthy = true;
};

// What upstream's Health() returns: its JSON is the /livez body and, with nodeEligible, /healthz.
struct ProxyHealthStatus {
  bool healthy = true;  // every family healthy (node eligibility is not part of it)
  // The most recent sync of any family; unset before the first one (Go's zero time in JSON).
  std::optional<std::chrono::system_clock::time_point> lastUpdated;
  std::chrono::system_clock::time_point currentTime;
  std::map<IPFamily, FamilyHealth> status;  // families that synced at least once
};

class ProxierHealth {
 public:
  // kube-proxy uses 2 x syncPeriod (60 s with the default syncPeriod of 30 s).
  explicit ProxierHealth(std::chrono::nanoseconds healthTimeout);

  // A change for `family` is waiting for a sync; only the oldest pending one counts.
  void queuedUpdate(IPFamily family, Instant now);
  // `family` synced successfully at `now`: nothing pending any more.
  void updated(IPFamily family, Instant now);
  ProxyHealthStatus health(Instant now) const;

  // The node is being deleted or is tainted for deletion (see nodeEligible()): /healthz answers
  // 503 so load balancers drain it; /livez ignores it. Eligible until told otherwise, so a
  // source without Node objects (--source files) never reports an ineligible node.
  void setNodeEligible(bool eligible);
  bool nodeEligible() const;

 private:
  struct FamilyState {
    std::optional<Instant> lastUpdated;
    std::optional<std::chrono::steady_clock::time_point> oldestPendingQueued;
  };

  const std::chrono::nanoseconds healthTimeout_;
  mutable std::mutex mutex_;
  std::map<IPFamily, FamilyState> families_;
  bool nodeEligible_ = true;
};

}  // namespace kpx::health
