#include "proxy/agent.h"

#include <malloc.h>

#include <algorithm>
#include <cstdio>
#include <utility>

#include "proxy/log.h"
#include "proxy/state_changes.h"

namespace kpx {
namespace {

// Syncs changing at least this many service ports give their freed memory back to the kernel.
constexpr size_t kTrimAfterChanges = 1000;

double secondsBetween(Clock::TimePoint from, Clock::TimePoint to) {
  return std::chrono::duration<double>(to - from).count();
}

// What the *_timestamp_seconds metrics hold: seconds since the Unix epoch.
double unixSeconds(Clock::WallTime t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

}  // namespace

Agent::Agent(AgentOptions options, Dataplane& dataplane, const Clock& clock,
             metrics::KubeProxyMetrics& metrics, AgentHooks hooks)
    : options_(std::move(options)),
      dataplane_(dataplane),
      clock_(clock),
      metrics_(metrics),
      hooks_(std::move(hooks)),
      queue_(clock, [this](bool first) { onQueued(first); }),
      loop_(options_.runner, clock, [this](const SyncRequest& r) { return sync(r); },
            [this](const SyncOutcome& o) {
              if (hooks_.finished) hooks_.finished(o);
            }),
      updater_(options_.proxy) {}

void Agent::onQueued(bool firstSync) {
  // The first complete view is always a full sync: whatever the kernel holds from a previous
  // run is adopted or replaced as a whole.
  loop_.notify(firstSync ? SyncKind::Full : SyncKind::Incremental);
  const double queuedAt = unixSeconds(clock_.wallNow());
  for (IPFamily f : options_.proxy.families) metrics_.syncQueued(f, queuedAt);
  metrics_.serviceChanges(static_cast<double>(queue_.pendingServiceChanges()), 0);
  metrics_.endpointChanges(static_cast<double>(queue_.pendingEndpointChanges()), 0);
  if (hooks_.queued) hooks_.queued();
}

void Agent::observe(const DrainedChanges& changes) {
  for (const ObjectError& e : changes.invalid) {
    metrics_.invalidObject(e.kind.empty() ? std::string_view("unknown") : std::string_view(e.kind));
  }
  metrics_.serviceChanges(static_cast<double>(queue_.pendingServiceChanges()),
                          static_cast<double>(changes.serviceChanges));
  metrics_.endpointChanges(static_cast<double>(queue_.pendingEndpointChanges()),
                           static_cast<double>(changes.endpointChanges));
  unprogrammed_.insert(unprogrammed_.end(), changes.eventTimes.begin(), changes.eventTimes.end());
}

namespace {

// A port's part in kubeproxy_sync_proxy_rules_no_local_endpoints_total: (internal, external).
std::pair<int64_t, int64_t> noLocalEndpoints(const ServicePortState& sp) {
  const bool internal = sp.internalPolicy == TrafficPolicy::Local && sp.internal.endpoints.empty();
  const bool external = sp.externalPolicy == TrafficPolicy::Local && sp.externallyAccessible() &&
                        sp.external.endpoints.empty();
  return {internal ? 1 : 0, external ? 1 : 0};
}

}  // namespace

// O(change): only the ports in pending_ move the counts, from their value at the last
// successful sync (the record's) to their value now.
void Agent::countNoLocalEndpoints() {
  const ProxyState& state = updater_.state();
  for (const auto& [key, before] : pending_.before) {
    NoLocal& n = noLocal_[static_cast<size_t>(key.family)];
    if (before) {
      const auto [internal, external] = noLocalEndpoints(*before);
      n.internal -= internal;
      n.external -= external;
    }
    if (auto now = state.servicePorts.find(key); now != state.servicePorts.end()) {
      const auto [internal, external] = noLocalEndpoints(now->second);
      n.internal += internal;
      n.external += external;
    }
  }
}

bool Agent::sync(const SyncRequest& request) {
  const auto t0 = clock_.now();
  const DrainedChanges drained = queue_.drainInto(cluster_, options_.proxy.nodeName);
  observe(drained);
  if (drained.nodeChanged && hooks_.node) hooks_.node(cluster_.node(options_.proxy.nodeName));
  updater_.update(cluster_, drained.touchedServices, drained.nodeChanged, pending_);
  const ProxyState& desired = updater_.state();
  // Exact, unlike the updater's (which only ever sets it): the settings may have changed back.
  pending_.global = !appliedGlobal_ || *appliedGlobal_ != desired.global;
  // Backends report failure as a value (proxy/dataplane.h); should one throw anyway, the sync
  // fails like any other (logged, counted, retried in full) instead of ending the sync thread.
  const DataplaneResult<SyncReport> result = [&]() -> DataplaneResult<SyncReport> {
    const auto failed = [&](std::string detail) {
      return tl::unexpected(
          DataplaneError{.errnum = 0,
                         .operation = std::string(toString(request.kind)) + " sync",
                         .object = {},
                         .detail = std::move(detail),
                         .outcomeUnknown = true,
                         .unsupported = false});
    };
    try {
      return dataplane_.sync(desired, request.kind, pending_);
    } catch (const std::exception& e) {
      return failed(std::string("exception: ") + e.what());
    } catch (...) {
      return failed("exception (not a std::exception)");
    }
  }();
  const bool full = result ? result->full : request.kind == SyncKind::Full;
  const std::string modeName(toString(options_.mode));
  const auto t1 = clock_.now();
  const double seconds = secondsBetween(t0, t1);
  ++syncs_;
  for (IPFamily f : options_.proxy.families) metrics_.syncDuration(f, full, seconds);

  char line[256];
  if (!result) {
    // pending_ is kept: the next sync is given every change since the last successful one.
    for (IPFamily f : options_.proxy.families) metrics_.syncFailed(f, options_.mode);
    std::snprintf(line, sizeof line, "%s %s sync failed after %.1f ms (the previous rules stay; ",
                  modeName.c_str(), std::string(toString(request.kind)).c_str(), seconds * 1e3);
    log::error(std::string(line) + "retrying with a full sync): " + result.error().str());
    return false;
  }
  const double now = unixSeconds(clock_.wallNow());
  countNoLocalEndpoints();
  for (IPFamily f : options_.proxy.families) {
    metrics_.syncSucceeded(f, now);
    const NoLocal& n = noLocal_[static_cast<size_t>(f)];
    metrics_.noLocalEndpoints(f, static_cast<double>(n.internal), static_cast<double>(n.external));
  }
  // Event seen -> rules committed, per event (kubeproxy_network_programming_duration_seconds).
  const Clock::TimePoint programmed = t1;
  double oldestMs = 0;
  for (auto at : unprogrammed_)
    oldestMs = std::max(oldestMs, std::chrono::duration<double, std::milli>(programmed - at).count());
  for (auto at : unprogrammed_) {
    const double s = std::chrono::duration<double>(programmed - at).count();
    for (IPFamily f : options_.proxy.families) metrics_.networkProgrammed(f, s);
  }
  unprogrammed_.clear();

  std::snprintf(line, sizeof line,
                "synced %zu service ports (%s %s, %zu kernel messages, %.1f ms; oldest event to "
                "kernel %.1f ms)",
                desired.servicePorts.size(), modeName.c_str(),
                full ? "full" : std::string(toString(request.kind)).c_str(), result->messages,
                seconds * 1e3, oldestMs);
  if (full || result->messages > 0) log::info(line);
  else log::debug(1, line);
  if (hooks_.applied) hooks_.applied(desired, pending_);
  appliedGlobal_ = desired.global;
  const size_t changed = pending_.before.size();
  pending_ = StateChanges{};
  // A sync that touched much (the first, a re-list) freed tens of MB of temporaries across the
  // threads' malloc arenas; glibc keeps freed pages mapped unless asked, which would leave the
  // agent's RSS at that sync's peak for good.
  if (full || changed >= kTrimAfterChanges) malloc_trim(0);
  return true;
}

}  // namespace kpx
