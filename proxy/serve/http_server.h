// kpx's HTTP side, as kube-proxy serves it: the healthz server (/healthz, /livez), the metrics
// server (/metrics, /healthz, /proxyMode) and one listener per health-check node port. All of
// them on ONE event_base run by ONE thread (docs/cli.md: possibly thousands of ports).
//
// The sync thread hands over the wanted health-check ports with syncServices(); the loop thread
// applies them (kept / closed / opened, see diffListeners) and retries ports that failed to
// bind (in use, ...) every bindRetryInterval: a failure is logged, never fatal.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "proxy/health/clock.h"
#include "proxy/health/proxier_health.h"
#include "proxy/health/service_health.h"
#include "proxy/metrics/kube_proxy_metrics.h"
#include "proxy/metrics/registry.h"
#include "proxy/serve/event_loop.h"
#include "proxy/serve/http_listener.h"

namespace kpx::serve {

struct HttpServerConfig {
  std::string healthzBindAddress = "0.0.0.0:10256";    // empty: no healthz server
  std::string metricsBindAddress = "127.0.0.1:10249";  // empty: no metrics server
  // Where health-check node ports listen: every address ("::", dual stack; "0.0.0.0" when the
  // host has no IPv6) unless set, e.g. to the node IPs matching nodePortAddresses.
  std::vector<std::string> serviceBindHosts{};
  std::chrono::milliseconds bindRetryInterval{5000};
  std::string proxyMode = "nftables";  // what /proxyMode answers
};

// What the servers read; all must outlive the HttpServer. `metrics` may be null.
struct HttpServerDeps {
  const health::ProxierHealth& health;
  const metrics::Registry& registry;
  metrics::KubeProxyMetrics* metrics = nullptr;
  const Clock& clock;
};

class HttpServer {
 public:
  // Binds the healthz and metrics servers and starts the loop thread; fails (with the address
  // and the reason) when a configured server cannot bind.
  static tl::expected<std::unique_ptr<HttpServer>, std::string> start(HttpServerConfig config,
                                                                      HttpServerDeps deps);
  class Key {
    friend class HttpServer;
    Key() = default;
  };
  HttpServer(Key, HttpServerConfig config, HttpServerDeps deps, std::unique_ptr<EventLoop> loop);
  ~HttpServer();  // stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The complete wanted set (services without a port are ignored). Thread-safe, asynchronous:
  // returns at once, the loop thread applies it.
  void syncServices(health::ServiceHealthChecks services);
  // Closes every listener and joins the loop thread; idempotent; from any thread but the loop's.
  void stop();

  uint16_t healthzPort() const { return healthzPort_; }  // 0: disabled
  uint16_t metricsPort() const { return metricsPort_; }  // 0: disabled
  // The health-check ports bound now, after everything handed over before this call is applied.
  std::map<health::ServiceName, uint16_t> boundServicePorts();

 private:
  struct ServiceListeners {
    uint16_t port = 0;
    std::vector<std::unique_ptr<HttpListener>> listeners;  // one per bind host
  };

  tl::expected<void, std::string> openFixedServers();
  health::HttpResponse serveHealthz(const HttpRequest& request);
  health::HttpResponse serveMetrics(const HttpRequest& request);
  health::HttpResponse serveService(const health::ServiceName& service);
  // Loop thread only, from here down.
  void reconcile();
  tl::expected<ServiceListeners, std::string> openService(const health::ServiceName& service,
                                                          uint16_t port);
  void armRetry(bool failures);
  static void onRetry(evutil_socket_t, short, void* self);

  std::mutex stopMutex_;
  const HttpServerConfig config_;
  const HttpServerDeps deps_;
  std::unique_ptr<EventLoop> loop_;  // first: destroyed last, after every object on its base
  uint16_t healthzPort_ = 0;
  uint16_t metricsPort_ = 0;
  std::unique_ptr<HttpListener> healthz_;
  std::unique_ptr<HttpListener> metricsServer_;
  EventPtr retryTimer_;
  bool retryArmed_ = false;
  health::ServiceHealthChecks desired_;
  std::map<health::ServiceName, ServiceListeners> services_;
  std::map<health::ServiceName, uint16_t> failed_;  // logged once per service and port
};

}  // namespace kpx::serve
