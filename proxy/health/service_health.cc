#include "proxy/health/service_health.h"

namespace kpx::health {

ListenerChanges diffListeners(const std::map<ServiceName, uint16_t>& bound,
                              const ServiceHealthChecks& desired) {
  ListenerChanges changes;
  for (const auto& [service, port] : bound) {
    auto it = desired.find(service);
    if (it == desired.end() || it->second.port != port) changes.close.emplace_back(service, port);
  }
  for (const auto& [service, check] : desired) {
    if (check.port == 0) continue;
    auto it = bound.find(service);
    if (it == bound.end() || it->second != check.port) {
      changes.open.emplace_back(service, check.port);
    }
  }
  return changes;
}

}  // namespace kpx::health
