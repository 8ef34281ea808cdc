// The answers of kube-proxy's health endpoints (pkg/proxy/healthcheck, v1.34): /healthz and
// /livez on the healthz port, and the per-service health-check node ports. Pure functions of
// the health state and the time.
#pragma once

#include <cstdint>

#include "proxy/health/http_response.h"
#include "proxy/health/proxier_health.h"
#include "proxy/health/service_health.h"

namespace kpx::health {

// 200 when every family is healthy and the node is eligible, else 503. Body: upstream's
// ProxyHealth JSON with nodeEligible; lastUpdated reads "now" when healthy (upstream keeps
// that for compatibility: old releases reported the last loop run).
HttpResponse healthzResponse(const ProxierHealth& health, Instant now);
// Like /healthz without node eligibility (a node being drained is alive).
HttpResponse livezResponse(const ProxierHealth& health, Instant now);

// A health-check node port: 200 when the service has local endpoints and the proxy is healthy,
// else 503; X-Load-Balancing-Endpoint-Weight carries the local endpoint count.
HttpResponse serviceHealthResponse(const ServiceName& service, uint32_t localEndpoints,
                                   bool proxyHealthy);

// The body of upstream's ProxyHealth JSON (exposed for tests).
std::string proxyHealthJson(const ProxyHealthStatus& status, std::optional<bool> nodeEligible);

}  // namespace kpx::health
