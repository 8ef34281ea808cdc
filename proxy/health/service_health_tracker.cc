#include "proxy/health/service_health_tracker.h"

#include <algorithm>
#include <array>
#include <optional>

namespace kpx::health {
namespace {

// The check of the service whose ports are [first, last), if it has one.
std::optional<ServiceHealthCheck> checkOf(ServicePortMap::const_iterator first,
                                          ServicePortMap::const_iterator last) {
  std::array<std::optional<ServiceHealthCheck>, 2> perFamily;  // by IPFamily
  for (auto it = first; it != last; ++it) {
    const ServicePortState& sp = it->second;
    if (sp.healthCheckNodePort == 0) continue;
    auto& c = perFamily[static_cast<size_t>(it->first.family)];
    if (!c) c.emplace();
    c->port = sp.healthCheckNodePort;
    c->localEndpoints += sp.localReadyEndpoints;
  }
  std::optional<ServiceHealthCheck> out;
  for (const auto& c : perFamily) {
    if (!c) continue;
    if (!out) out.emplace();
    out->port = c->port;
    out->localEndpoints = std::max(out->localEndpoints, c->localEndpoints);
  }
  return out;
}

}  // namespace

ServiceHealthChecks serviceHealth(const ProxyState& state) {
  ServiceHealthChecks out;
  const ServicePortMap& ports = state.servicePorts;
  for (auto first = ports.begin(); first != ports.end();) {
    auto last = portsOfService(ports, first->first.namespace_, first->first.name).second;
    if (auto c = checkOf(first, last))
      out.emplace(ServiceName{first->first.namespace_, first->first.name}, *c);
    first = last;
  }
  return out;
}

bool ServiceHealthTracker::update(const ProxyState& after, const StateChanges& changes) {
  bool changed = false;
  const ServicePortKey* previous = nullptr;
  for (const auto& [key, before] : changes.before) {
    // Keys are sorted, so a service's ports come together: look at each service once.
    if (previous != nullptr && previous->namespace_ == key.namespace_ && previous->name == key.name)
      continue;
    previous = &key;
    ServiceName name{key.namespace_, key.name};
    const auto [first, end] = portsOfService(after.servicePorts, key.namespace_, key.name);
    const std::optional<ServiceHealthCheck> now = checkOf(first, end);
    auto it = checks_.find(name);
    if (!now) {
      if (it != checks_.end()) {
        checks_.erase(it);
        changed = true;
      }
    } else if (it == checks_.end()) {
      checks_.emplace(name, *now);
      changed = true;
    } else if (it->second != *now) {
      it->second = *now;
      changed = true;
    }
  }
  return changed;
}

}  // namespace kpx::health
