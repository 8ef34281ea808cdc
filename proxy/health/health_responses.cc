#include "proxy/health/health_responses.h"

#include "proxy/health/go_json.h"

namespace kpx::health {
namespace {

const char* boolText(bool b) {
  return b ? "true" : "false";
}

HttpResponse jsonResponse(int status, std::string body) {
  return HttpResponse{
      .status = status,
      .headers = {{"Content-Type", "application/json"}, {"X-Content-Type-Options", "nosniff"}},
      .body = std::move(body)};
}

}  // namespace

std::string proxyHealthJson(const ProxyHealthStatus& status, std::optional<bool> nodeEligible) {
  // Field order and omitempty rules of upstream's struct: nodeEligible only on /healthz,
  // status only when a family synced. Go sorts map keys: "IPv4" before "IPv6".
  std::string out = "{\"lastUpdated\":" + jsonQuote(formatRFC3339Nano(status.lastUpdated)) +
                    ",\"currentTime\":" + jsonQuote(formatRFC3339Nano(status.currentTime));
  if (nodeEligible) out += std::string(",\"nodeEligible\":") + boolText(*nodeEligible);
  out += std::string(",\"healthy\":") + boolText(status.healthy);
  if (!status.status.empty()) {
    out += ",\"status\":{";
    bool first = true;
    for (const auto& [family, fh] : status.status) {
      if (!first) out += ',';
      first = false;
      out += jsonQuote(toString(family)) +
             ":{\"lastUpdated\":" + jsonQuote(formatRFC3339Nano(fh.lastUpdated)) +
             ",\"healthy\":" + boolText(fh.healthy) + "}";
    }
    out += '}';
  }
  out += '}';
  return out;
}

HttpResponse healthzResponse(const ProxierHealth& health, Instant now) {
  ProxyHealthStatus status = health.health(now);
  const bool eligible = health.nodeEligible();
  const bool ok = status.healthy && eligible;
  if (ok) status.lastUpdated = now.wall;
  return jsonResponse(ok ? 200 : 503, proxyHealthJson(status, eligible));
}

HttpResponse livezResponse(const ProxierHealth& health, Instant now) {
  ProxyHealthStatus status = health.health(now);
  if (status.healthy) status.lastUpdated = now.wall;
  return jsonResponse(status.healthy ? 200 : 503, proxyHealthJson(status, std::nullopt));
}

HttpResponse serviceHealthResponse(const ServiceName& service, uint32_t localEndpoints,
                                   bool proxyHealthy) {
  // Upstream writes this with a dedented, tab-indented template and no trailing newline.
  std::string body = "{\n\t\"service\": {\n\t\t\"namespace\": " + jsonQuote(service.namespace_) +
                     ",\n\t\t\"name\": " + jsonQuote(service.name) +
                     "\n\t},\n\t\"localEndpoints\": " + std::to_string(localEndpoints) +
                     ",\n\t\"serviceProxyHealthy\": " + boolText(proxyHealthy) + "\n}";
  HttpResponse response =
      jsonResponse(localEndpoints != 0 && proxyHealthy ? 200 : 503, std::move(body));
  response.headers.emplace_back("X-Load-Balancing-Endpoint-Weight", std::to_string(localEndpoints));
  return response;
}

}  // namespace kpx::health
