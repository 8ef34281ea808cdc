#include "proxy/health/proxier_health.h"

namespace kpx::health {

ProxierHealth::ProxierHealth(std::chrono::nanoseconds healthTimeout)
    : healthTimeout_(healthTimeout) {}

void ProxierHealth::queuedUpdate(IPFamily family, Instant now) {
  std::lock_guard lock(mutex_);
  auto& state = families_[family];
  if (!state.oldestPendingQueued) state.oldestPendingQueued = now.mono;
}

void ProxierHealth::updated(IPFamily family, Instant now) {
  std::lock_guard lock(mutex_);
  auto& state = families_[family];
  state.oldestPendingQueued.reset();
  state.lastUpdated = now;
}

ProxyHealthStatus ProxierHealth::health(Instant now) const {
  ProxyHealthStatus out;
  out.currentTime = now.wall;
  std::lock_guard lock(mutex_);
  for (const auto& [family, state] : families_) {
    // Upstream only judges families that synced once: a proxier is healthy while starting up.
    if (!state.lastUpdated) continue;
    const auto wall = state.lastUpdated->wall;
    if (!out.lastUpdated || wall > *out.lastUpdated) out.lastUpdated = wall;
    const bool late =
        state.oldestPendingQueued && now.mono - *state.oldestPendingQueued >= healthTimeout_;
    out.status[family] = FamilyHealth{.lastUpdated = wall, .healthy = !late};
    if (late) out.healthy = false;
  }
  return out;
}

void ProxierHealth::setNodeEligible(bool eligible) {
  std::lock_guard lock(mutex_);
  nodeEligible_ = eligible;
}

bool ProxierHealth::nodeEligible() const {
  std::lock_guard lock(mutex_);
  return nodeEligible_;
}

}  // namespace kpx::health
