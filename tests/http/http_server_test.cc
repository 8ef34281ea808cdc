// Real HTTP requests (libcurl, and raw sockets where a kept connection matters) against the
// servers on loopback and ephemeral ports. Time is a ManualClock: no test waits for health.
#include "proxy/serve/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "proxy/health/clock.h"
#include "proxy/metrics/text_format.h"
#include "proxy/serve/libevent_handles.h"
#include "tests/http/http_client.h"
#include "tests/unit/waiting.h"

namespace kpx::serve {
namespace {

using namespace std::chrono_literals;
using kpx::testing::freeLoopbackPort;
using kpx::testing::httpGet;

const health::ServiceName kWeb{"default", "web"};
const health::ServiceName kDb{"prod", "db"};

bool hasIPv6Loopback() {
  auto fd = listenTcp(BindAddress{.host = "::1", .port = 0});
  return fd.has_value();
}

// A raw connection kept open across a reconfiguration: if the listener were replaced, the
// server would have closed it.
class RawConnection {
 public:
  explicit RawConnection(uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  }
  bool connected() const { return connected_; }
  // Sends a keep-alive GET and returns the status line ("" when the connection is gone).
  std::string get() {
    const std::string req = "GET / HTTP/1.1\r\nHost: t\r\nConnection: keep-alive\r\n\r\n";
    if (::send(fd_.get(), req.data(), req.size(), MSG_NOSIGNAL) < 0) return "";
    timeval tv{.tv_sec = 3, .tv_usec = 0};
    ::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string got;
    char buf[4096];
    while (got.find("\r\n\r\n") == std::string::npos) {
      const ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
      if (n <= 0) return "";
      got.append(buf, static_cast<size_t>(n));
    }
    // Drain the body (Content-Length) so the next request starts clean.
    const size_t at = got.find("Content-Length: ");
    const size_t length = at == std::string::npos ? 0 : std::stoul(got.substr(at + 16));
    const size_t bodyStart = got.find("\r\n\r\n") + 4;
    while (got.size() < bodyStart + length) {
      const ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
      if (n <= 0) return "";
      got.append(buf, static_cast<size_t>(n));
    }
    return got.substr(0, got.find("\r\n"));
  }

 private:
  UniqueFd fd_;
  bool connected_ = false;
};

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(metrics.registerWith(registry, ProxyMode::NFTables));
  }

  std::unique_ptr<HttpServer> start(HttpServerConfig config = {}) {
    if (config.healthzBindAddress == HttpServerConfig{}.healthzBindAddress) {
      config.healthzBindAddress = "127.0.0.1:0";
    }
    if (config.metricsBindAddress == HttpServerConfig{}.metricsBindAddress) {
      config.metricsBindAddress = "127.0.0.1:0";
    }
    if (config.serviceBindHosts.empty()) config.serviceBindHosts = {"127.0.0.1"};
    config.bindRetryInterval = 20ms;
    auto server = HttpServer::start(
        config, HttpServerDeps{
                    .health = health, .registry = registry, .metrics = &metrics, .clock = clock});
    EXPECT_TRUE(server) << server.error();
    return server ? std::move(*server) : nullptr;
  }

  static std::string url(uint16_t port, const std::string& path) {
    return "http://127.0.0.1:" + std::to_string(port) + path;
  }

  ManualClock clock;
  health::ProxierHealth health{60s};
  metrics::Registry registry;
  metrics::KubeProxyMetrics metrics;
};

TEST_F(HttpServerTest, HealthzIs200Then503WhenUpdatesFallBehind) {
  auto server = start();
  ASSERT_TRUE(server);
  ASSERT_NE(server->healthzPort(), 0);
  health.updated(IPFamily::V4, health::instantOf(clock));

  auto ok = httpGet(url(server->healthzPort(), "/healthz"));
  ASSERT_TRUE(ok) << ok.error();
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->headers["content-type"], "application/json");
  EXPECT_EQ(ok->headers["x-content-type-options"], "nosniff");
  EXPECT_NE(ok->body.find("\"nodeEligible\":true,\"healthy\":true"), std::string::npos) << ok->body;

  health.queuedUpdate(IPFamily::V4, health::instantOf(clock));
  clock.advance(59s);
  EXPECT_EQ(httpGet(url(server->healthzPort(), "/healthz"))->status, 200);
  clock.advance(2s);
  auto late = httpGet(url(server->healthzPort(), "/healthz"));
  ASSERT_TRUE(late);
  EXPECT_EQ(late->status, 503);
  EXPECT_NE(late->body.find("\"healthy\":false"), std::string::npos) << late->body;
  EXPECT_EQ(httpGet(url(server->healthzPort(), "/livez"))->status, 503);

  health.updated(IPFamily::V4, health::instantOf(clock));
  EXPECT_EQ(httpGet(url(server->healthzPort(), "/healthz"))->status, 200);
  EXPECT_EQ(httpGet(url(server->healthzPort(), "/livez"))->status, 200);

  // Node being drained: /healthz fails, /livez does not.
  health.setNodeEligible(false);
  EXPECT_EQ(httpGet(url(server->healthzPort(), "/healthz"))->status, 503);
  EXPECT_EQ(httpGet(url(server->healthzPort(), "/livez"))->status, 200);

  auto unknown = httpGet(url(server->healthzPort(), "/metrics"));
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(unknown->body, "404 page not found\n");

  // Every answer was counted, by code.
  const std::string text = registry.expose();
  EXPECT_NE(text.find("kubeproxy_proxy_healthz_total{code=\"200\"} 3\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("kubeproxy_proxy_healthz_total{code=\"503\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("kubeproxy_proxy_livez_total{code=\"200\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("kubeproxy_proxy_livez_total{code=\"503\"} 1\n"), std::string::npos);
}

TEST_F(HttpServerTest, MetricsServerServesTheRegistry) {
  auto server = start(HttpServerConfig{.proxyMode = "nftables"});
  ASSERT_TRUE(server);
  metrics.syncSucceeded(IPFamily::V4, 1714557600.5);
  auto reply = httpGet(url(server->metricsPort(), "/metrics"));
  ASSERT_TRUE(reply) << reply.error();
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->headers["content-type"], metrics::kTextContentType);
  EXPECT_EQ(reply->body, registry.expose());
  EXPECT_NE(reply->body.find("kubeproxy_sync_proxy_rules_last_timestamp_seconds"
                             "{ip_family=\"IPv4\"} 1.7145576005e+09\n"),
            std::string::npos);

  EXPECT_EQ(httpGet(url(server->metricsPort(), "/healthz"))->body, "ok");
  EXPECT_EQ(httpGet(url(server->metricsPort(), "/proxyMode"))->body, "nftables");
  EXPECT_EQ(httpGet(url(server->metricsPort(), "/nope"))->status, 404);
  EXPECT_EQ(httpGet(url(server->metricsPort(), "/metrics?x=1"))->status, 200);
}

TEST_F(HttpServerTest, HealthCheckPortsFollowSyncServicesWhileServing) {
  auto server = start();
  ASSERT_TRUE(server);
  health.updated(IPFamily::V4, health::instantOf(clock));
  const uint16_t p1 = freeLoopbackPort();
  const uint16_t p2 = freeLoopbackPort();
  ASSERT_NE(p1, p2);

  // Added.
  server->syncServices({{kWeb, {p1, 2}}});
  EXPECT_EQ(server->boundServicePorts(), (std::map<health::ServiceName, uint16_t>{{kWeb, p1}}));
  auto two = httpGet(url(p1, "/"));
  ASSERT_TRUE(two) << two.error();
  EXPECT_EQ(two->status, 200);
  EXPECT_EQ(two->headers["x-load-balancing-endpoint-weight"], "2");
  EXPECT_EQ(two->headers["content-type"], "application/json");
  EXPECT_NE(two->body.find("\"namespace\": \"default\""), std::string::npos) << two->body;
  EXPECT_NE(two->body.find("\"localEndpoints\": 2,"), std::string::npos);
  EXPECT_EQ(httpGet(url(p1, "/any/path"))->status, 200);

  // Count changes: same listener (a connection opened before still works), now 503.
  RawConnection kept(p1);
  ASSERT_TRUE(kept.connected());
  EXPECT_EQ(kept.get(), "HTTP/1.1 200 OK");
  server->syncServices({{kWeb, {p1, 0}}});
  server->boundServicePorts();  // applied
  EXPECT_EQ(kept.get(), "HTTP/1.1 503 Service Unavailable");
  auto zero = httpGet(url(p1, "/"));
  EXPECT_EQ(zero->status, 503);
  EXPECT_EQ(zero->headers["x-load-balancing-endpoint-weight"], "0");

  // A second service; the proxy turns unhealthy: 503 even with endpoints.
  server->syncServices({{kWeb, {p1, 1}}, {kDb, {p2, 4}}});
  EXPECT_EQ(server->boundServicePorts().size(), 2U);
  EXPECT_EQ(httpGet(url(p2, "/"))->status, 200);
  health.queuedUpdate(IPFamily::V4, health::instantOf(clock));
  clock.advance(5min);
  auto sick = httpGet(url(p2, "/"));
  EXPECT_EQ(sick->status, 503);
  EXPECT_NE(sick->body.find("\"serviceProxyHealthy\": false"), std::string::npos);
  health.updated(IPFamily::V4, health::instantOf(clock));

  // Port changed: web moves from p1 to a new port, p1 closes.
  const uint16_t p3 = freeLoopbackPort();
  server->syncServices({{kWeb, {p3, 1}}, {kDb, {p2, 4}}});
  EXPECT_EQ(server->boundServicePorts(),
            (std::map<health::ServiceName, uint16_t>{{kWeb, p3}, {kDb, p2}}));
  EXPECT_FALSE(httpGet(url(p1, "/"))) << "p1 still answers";
  EXPECT_EQ(httpGet(url(p3, "/"))->status, 200);
  EXPECT_EQ(kept.get(), "") << "the connection to the closed listener is gone";

  // Removed.
  server->syncServices({});
  EXPECT_TRUE(server->boundServicePorts().empty());
  EXPECT_FALSE(httpGet(url(p2, "/")));
  EXPECT_FALSE(httpGet(url(p3, "/")));
}

TEST_F(HttpServerTest, PortInUseIsLoggedAndRetriedNotFatal) {
  auto server = start();
  ASSERT_TRUE(server);
  health.updated(IPFamily::V4, health::instantOf(clock));
  auto blocker = listenTcp(BindAddress{.host = "127.0.0.1", .port = 0});
  ASSERT_TRUE(blocker);
  sockaddr_in sa{};
  socklen_t len = sizeof sa;
  ::getsockname(blocker->get(), reinterpret_cast<sockaddr*>(&sa), &len);
  const uint16_t busy = ntohs(sa.sin_port);
  const uint16_t free = freeLoopbackPort();

  server->syncServices({{kWeb, {busy, 1}}, {kDb, {free, 1}}});
  EXPECT_EQ(server->boundServicePorts(), (std::map<health::ServiceName, uint16_t>{{kDb, free}}));
  EXPECT_EQ(httpGet(url(free, "/"))->status, 200) << "one failure does not stop the others";

  blocker->reset();  // the port frees up: the retry timer (on the loop thread) binds it
  std::map<health::ServiceName, uint16_t> bound;
  EXPECT_TRUE(kpx::test::eventually([&] {
    bound = server->boundServicePorts();
    return bound.size() >= 2;
  }));
  EXPECT_EQ(bound, (std::map<health::ServiceName, uint16_t>{{kWeb, busy}, {kDb, free}}));
  EXPECT_EQ(httpGet(url(busy, "/"))->status, 200);
}

TEST_F(HttpServerTest, ManyHealthCheckPortsOnOneLoop) {
  auto server = start();
  ASSERT_TRUE(server);
  health.updated(IPFamily::V4, health::instantOf(clock));
  health::ServiceHealthChecks checks;
  std::set<uint16_t> ports;
  for (int i = 0; ports.size() < 300 && i < 1000; ++i) ports.insert(freeLoopbackPort());
  ASSERT_EQ(ports.size(), 300U);
  int n = 0;
  for (uint16_t port : ports) {
    checks[{"ns", "svc-" + std::to_string(n)}] = {port, static_cast<uint32_t>(n % 3)};
    ++n;
  }
  server->syncServices(checks);
  EXPECT_EQ(server->boundServicePorts().size(), 300U);
  n = 0;
  for (uint16_t port : ports) {
    if (n % 50 == 0) {
      auto r = httpGet(url(port, "/"));
      ASSERT_TRUE(r) << r.error();
      EXPECT_EQ(r->status, n % 3 == 0 ? 503 : 200) << port;
      EXPECT_EQ(r->headers["x-load-balancing-endpoint-weight"], std::to_string(n % 3));
    }
    ++n;
  }
  server->syncServices({});
  EXPECT_TRUE(server->boundServicePorts().empty());
}

TEST_F(HttpServerTest, IPv6AndDualHostListeners) {
  if (!hasIPv6Loopback()) GTEST_SKIP() << "no IPv6 loopback on this host";
  auto server = start(
      HttpServerConfig{.healthzBindAddress = "[::1]:0", .serviceBindHosts = {"127.0.0.1", "::1"}});
  ASSERT_TRUE(server);
  health.updated(IPFamily::V6, health::instantOf(clock));
  auto v6 = httpGet("http://[::1]:" + std::to_string(server->healthzPort()) + "/healthz");
  ASSERT_TRUE(v6) << v6.error();
  EXPECT_EQ(v6->status, 200);

  const uint16_t port = freeLoopbackPort();
  server->syncServices({{kWeb, {port, 1}}});
  EXPECT_EQ(server->boundServicePorts().size(), 1U);
  EXPECT_EQ(httpGet(url(port, "/"))->status, 200);
  EXPECT_EQ(httpGet("http://[::1]:" + std::to_string(port) + "/")->status, 200);
}

TEST_F(HttpServerTest, BindFailureOfAFixedServerIsAnError) {
  auto blocker = listenTcp(BindAddress{.host = "127.0.0.1", .port = 0});
  ASSERT_TRUE(blocker);
  sockaddr_in sa{};
  socklen_t len = sizeof sa;
  ::getsockname(blocker->get(), reinterpret_cast<sockaddr*>(&sa), &len);
  const std::string address = "127.0.0.1:" + std::to_string(ntohs(sa.sin_port));
  auto server = HttpServer::start(
      HttpServerConfig{.healthzBindAddress = address, .metricsBindAddress = ""},
      HttpServerDeps{.health = health, .registry = registry, .metrics = nullptr, .clock = clock});
  ASSERT_FALSE(server);
  EXPECT_NE(server.error().find(address), std::string::npos) << server.error();
  EXPECT_NE(server.error().find("Address already in use"), std::string::npos) << server.error();

  auto bad = HttpServer::start(
      HttpServerConfig{.healthzBindAddress = "nonsense", .metricsBindAddress = ""},
      HttpServerDeps{.health = health, .registry = registry, .metrics = nullptr, .clock = clock});
  ASSERT_FALSE(bad);
}

TEST_F(HttpServerTest, DisabledServersAndCleanShutdownFromAnotherThread) {
  auto server = start(HttpServerConfig{.metricsBindAddress = ""});
  ASSERT_TRUE(server);
  EXPECT_EQ(server->metricsPort(), 0);
  const uint16_t healthz = server->healthzPort();
  const uint16_t hc = freeLoopbackPort();
  server->syncServices({{kWeb, {hc, 1}}});
  ASSERT_EQ(server->boundServicePorts().size(), 1U);

  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::condition_variable answeredMore;
  int answered = 0;
  std::thread prober([&] {
    while (!stop) {
      if (auto r = httpGet(url(healthz, "/healthz"), 500); r && r->status == 200) {
        std::lock_guard lock(mutex);
        ++answered;
        answeredMore.notify_all();
      }
    }
  });
  {
    std::unique_lock lock(mutex);
    EXPECT_TRUE(answeredMore.wait_for(lock, kpx::test::kFailAfter, [&] { return answered >= 5; }))
        << answered << " answers";
  }
  std::thread stopper([&] { server->stop(); });
  stopper.join();
  stop = true;
  prober.join();

  EXPECT_FALSE(httpGet(url(healthz, "/healthz"), 500)) << "healthz still answers after stop";
  EXPECT_FALSE(httpGet(url(hc, "/"), 500)) << "health-check port still answers after stop";
  server->stop();            // idempotent
  server->syncServices({});  // ignored after stop
  EXPECT_TRUE(server->boundServicePorts().empty());
  server.reset();
}

}  // namespace
}  // namespace kpx::serve
