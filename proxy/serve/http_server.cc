#include "proxy/serve/http_server.h"

#include <sys/socket.h>

#include "proxy/health/health_responses.h"
#include "proxy/log.h"
#include "proxy/metrics/text_format.h"

namespace kpx::serve {
namespace {

constexpr uint16_t kDefaultHealthzPort = 10256;
constexpr uint16_t kDefaultMetricsPort = 10249;

health::HttpResponse textResponse(int status, std::string body,
                                  std::string contentType = "text/plain; charset=utf-8") {
  return health::HttpResponse{
      .status = status,
      .headers = {{"Content-Type", std::move(contentType)}, {"X-Content-Type-Options", "nosniff"}},
      .body = std::move(body)};
}

// Go's http.NotFound, which kube-proxy's muxes answer for unknown paths.
health::HttpResponse notFound() {
  return textResponse(404, "404 page not found\n");
}

bool hostHasIPv6() {
  const int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  UniqueFd closer(fd);
  return true;
}

}  // namespace

HttpServer::HttpServer(Key, HttpServerConfig config, HttpServerDeps deps,
                       std::unique_ptr<EventLoop> loop)
    : config_(std::move(config)), deps_(deps), loop_(std::move(loop)) {}

tl::expected<std::unique_ptr<HttpServer>, std::string> HttpServer::start(HttpServerConfig config,
                                                                         HttpServerDeps deps) {
  if (config.serviceBindHosts.empty()) {
    config.serviceBindHosts = {hostHasIPv6() ? "::" : "0.0.0.0"};
  }
  for (const auto& host : config.serviceBindHosts) {
    if (auto parsed = parseBindAddress(host, 0); !parsed) return tl::unexpected(parsed.error());
  }
  auto loop = EventLoop::create();
  if (!loop) return tl::unexpected(loop.error());
  auto server = std::make_unique<HttpServer>(Key{}, std::move(config), deps, std::move(*loop));
  if (auto opened = server->openFixedServers(); !opened) return tl::unexpected(opened.error());
  server->retryTimer_.reset(
      event_new(server->loop_->base(), -1, EV_PERSIST, &HttpServer::onRetry, server.get()));
  if (!server->retryTimer_) return tl::unexpected<std::string>("cannot create the retry timer");
  server->loop_->start();
  return server;
}

tl::expected<void, std::string> HttpServer::openFixedServers() {
  if (!config_.healthzBindAddress.empty()) {
    auto address = parseBindAddress(config_.healthzBindAddress, kDefaultHealthzPort);
    if (!address) return tl::unexpected("healthz: " + address.error());
    auto listener = HttpListener::open(loop_->base(), *address,
                                       [this](const HttpRequest& r) { return serveHealthz(r); });
    if (!listener) return tl::unexpected("healthz server: " + listener.error());
    healthz_ = std::move(*listener);
    healthzPort_ = healthz_->port();
    address->port = healthzPort_;  // the kernel's pick when asked for port 0
    log::info("http: healthz server listening on " + address->str());
  }
  if (!config_.metricsBindAddress.empty()) {
    auto address = parseBindAddress(config_.metricsBindAddress, kDefaultMetricsPort);
    if (!address) return tl::unexpected("metrics: " + address.error());
    auto listener = HttpListener::open(loop_->base(), *address,
                                       [this](const HttpRequest& r) { return serveMetrics(r); });
    if (!listener) return tl::unexpected("metrics server: " + listener.error());
    metricsServer_ = std::move(*listener);
    metricsPort_ = metricsServer_->port();
    address->port = metricsPort_;  // the kernel's pick when asked for port 0
    log::info("http: metrics server listening on " + address->str());
  }
  return {};
}

HttpServer::~HttpServer() {
  stop();
}

void HttpServer::stop() {
  std::lock_guard lock(stopMutex_);
  loop_->stop();
  // The loop thread is gone: this thread may now free what lived on it, closing every socket.
  services_.clear();
  failed_.clear();
  healthz_.reset();
  metricsServer_.reset();
  retryTimer_.reset();
}

void HttpServer::syncServices(health::ServiceHealthChecks services) {
  loop_->post([this, services = std::move(services)]() mutable {
    desired_ = std::move(services);
    reconcile();
  });
}

std::map<health::ServiceName, uint16_t> HttpServer::boundServicePorts() {
  std::map<health::ServiceName, uint16_t> out;
  loop_->runAndWait([&] {
    for (const auto& [service, listeners] : services_) out.emplace(service, listeners.port);
  });
  return out;
}

health::HttpResponse HttpServer::serveHealthz(const HttpRequest& request) {
  if (request.path == "/healthz") {
    auto response = health::healthzResponse(deps_.health, health::instantOf(deps_.clock));
    if (deps_.metrics) deps_.metrics->healthzServed(response.status);
    return response;
  }
  if (request.path == "/livez") {
    auto response = health::livezResponse(deps_.health, health::instantOf(deps_.clock));
    if (deps_.metrics) deps_.metrics->livezServed(response.status);
    return response;
  }
  return notFound();
}

health::HttpResponse HttpServer::serveMetrics(const HttpRequest& request) {
  if (request.path == "/metrics") {
    return textResponse(200, deps_.registry.expose(), std::string(metrics::kTextContentType));
  }
  if (request.path == "/healthz") return textResponse(200, "ok");  // component-base's healthz
  if (request.path == "/proxyMode") return textResponse(200, config_.proxyMode);
  return notFound();
}

health::HttpResponse HttpServer::serveService(const health::ServiceName& service) {
  // Read per request: a new endpoint count never needs a new listener.
  auto it = desired_.find(service);
  const uint32_t count = it == desired_.end() ? 0 : it->second.localEndpoints;
  const bool healthy = deps_.health.health(health::instantOf(deps_.clock)).healthy;
  return health::serviceHealthResponse(service, count, healthy);
}

void HttpServer::reconcile() {
  std::map<health::ServiceName, uint16_t> bound;
  for (const auto& [service, listeners] : services_) bound.emplace(service, listeners.port);
  const health::ListenerChanges changes = health::diffListeners(bound, desired_);

  for (const auto& [service, port] : changes.close) {
    log::debug(
        2, "http: closing health check of " + service.str() + " on port " + std::to_string(port));
    services_.erase(service);
  }
  for (auto it = failed_.begin(); it != failed_.end();) {
    auto wanted = desired_.find(it->first);
    const bool stillWanted = wanted != desired_.end() && wanted->second.port == it->second;
    it = stillWanted ? std::next(it) : failed_.erase(it);
  }
  for (const auto& [service, port] : changes.open) {
    auto opened = openService(service, port);
    if (!opened) {
      auto [it, first] = failed_.emplace(service, port);
      const std::string message = "http: cannot open health check of " + service.str() +
                                  " on port " + std::to_string(port) + ": " + opened.error() +
                                  " (retrying)";
      if (first) {
        log::error(message);
      } else {
        log::debug(2, message);
      }
      continue;
    }
    if (failed_.erase(service) > 0) {
      log::info("http: health check of " + service.str() + " now open on port " +
                std::to_string(port));
    } else {
      log::debug(
          2, "http: opened health check of " + service.str() + " on port " + std::to_string(port));
    }
    services_[service] = std::move(*opened);
  }
  armRetry(!failed_.empty());
}

tl::expected<HttpServer::ServiceListeners, std::string> HttpServer::openService(
    const health::ServiceName& service, uint16_t port) {
  ServiceListeners out{.port = port, .listeners = {}};
  for (const auto& host : config_.serviceBindHosts) {
    auto address = parseBindAddress(host, port);  // validated in start()
    if (!address) return tl::unexpected(address.error());
    address->port = port;
    // If one host fails, the ones opened so far close with `out`: all or nothing, as upstream.
    auto listener =
        HttpListener::open(loop_->base(), *address,
                           [this, service](const HttpRequest&) { return serveService(service); });
    if (!listener) return tl::unexpected(listener.error());
    out.listeners.push_back(std::move(*listener));
  }
  return out;
}

void HttpServer::armRetry(bool failures) {
  if (failures == retryArmed_) return;
  if (failures) {
    const auto ms = config_.bindRetryInterval.count();
    timeval interval{.tv_sec = static_cast<time_t>(ms / 1000),
                     .tv_usec = static_cast<suseconds_t>((ms % 1000) * 1000)};
    event_add(retryTimer_.get(), &interval);
  } else {
    event_del(retryTimer_.get());
  }
  retryArmed_ = failures;
}

void HttpServer::onRetry(evutil_socket_t, short, void* self) {
  static_cast<HttpServer*>(self)->reconcile();
}

}  // namespace kpx::serve
