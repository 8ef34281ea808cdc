// The health-check node ports (pkg/proxy/healthcheck/service_health.go): one listener per
// service with a healthCheckNodePort. This is the pure part: which listeners to close and open
// when the sync thread hands over a new set.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace kpx::health {

struct ServiceName {
  std::string namespace_;
  std::string name;
  auto operator<=>(const ServiceName&) const = default;
  std::string str() const { return namespace_ + "/" + name; }
};

struct ServiceHealthCheck {
  uint16_t port = 0;            // the service's healthCheckNodePort; 0: none
  uint32_t localEndpoints = 0;  // what the port reports
  auto operator<=>(const ServiceHealthCheck&) const = default;
};

using ServiceHealthChecks = std::map<ServiceName, ServiceHealthCheck>;

struct ListenerChanges {
  std::vector<std::pair<ServiceName, uint16_t>> close;  // apply first: a port may move
  std::vector<std::pair<ServiceName, uint16_t>> open;
};

// `bound`: the listeners open now. A listener is kept when its service still wants the same
// port (its endpoint count is read per request, so a count change never rebinds); closed when
// its service is gone or moved to another port; opened for every wanted port not bound (this
// includes earlier failures, so calling it again is the retry).
ListenerChanges diffListeners(const std::map<ServiceName, uint16_t>& bound,
                              const ServiceHealthChecks& desired);

}  // namespace kpx::health
