// kpx-metrics-exporter: the HTTP servers and kube-proxy's metric set, fed by a simulated sync
// loop, for the promtool and Prometheus tests until `kpx run` serves the real thing.
//
//   kpx-metrics-exporter [--metrics-bind-address H:P] [--healthz-bind-address H:P]
//
// Prints "metrics=<url> healthz=<url>" once listening, then serves until SIGTERM or SIGINT.
#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <stop_token>
#include <string>
#include <thread>

#include "proxy/clock.h"
#include "proxy/health/clock.h"
#include "proxy/health/proxier_health.h"
#include "proxy/metrics/kube_proxy_metrics.h"
#include "proxy/metrics/registry.h"
#include "proxy/serve/http_server.h"

namespace {

using namespace std::chrono_literals;

double unixSeconds(const kpx::Clock& clock) {
  return std::chrono::duration<double>(clock.wallNow().time_since_epoch()).count();
}

// One simulated sync per family: what the sync loop will report.
void simulateSync(kpx::metrics::KubeProxyMetrics& m, kpx::health::ProxierHealth& health,
                  const kpx::Clock& clock, int round) {
  for (auto family : {kpx::IPFamily::V4, kpx::IPFamily::V6}) {
    m.syncQueued(family, unixSeconds(clock));
    health.queuedUpdate(family, kpx::health::instantOf(clock));
    m.syncDuration(family, round % 10 == 0, 0.002 * (1 + round % 7));
    m.networkProgrammed(family, 0.3 + 0.1 * (round % 5));
    m.syncSucceeded(family, unixSeconds(clock));
    health.updated(family, kpx::health::instantOf(clock));
    m.noLocalEndpoints(family, round % 2, 0);
  }
  m.endpointChanges(0, 3);
  m.serviceChanges(0, 1);
}

}  // namespace

int main(int argc, char** argv) {
  kpx::serve::HttpServerConfig config{.healthzBindAddress = "127.0.0.1:0",
                                      .metricsBindAddress = "127.0.0.1:0"};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--metrics-bind-address" || arg == "--healthz-bind-address") && i + 1 < argc) {
      (arg == "--metrics-bind-address" ? config.metricsBindAddress : config.healthzBindAddress) =
          argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--metrics-bind-address H:P] [--healthz-bind-address H:P]\n",
                   argv[0]);
      return 2;
    }
  }

  // Signals are taken synchronously by this thread: block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  kpx::metrics::Registry registry;
  kpx::metrics::KubeProxyMetrics metrics;
  if (auto ok = metrics.registerWith(registry, kpx::ProxyMode::NFTables); !ok) {
    std::fprintf(stderr, "register: %s\n", ok.error().c_str());
    return 1;
  }
  const kpx::Clock& clock = kpx::systemClock();
  kpx::health::ProxierHealth health(60s);
  metrics.invalidObject("Service");
  simulateSync(metrics, health, clock, 0);

  auto server = kpx::serve::HttpServer::start(
      config, kpx::serve::HttpServerDeps{
                  .health = health, .registry = registry, .metrics = &metrics, .clock = clock});
  if (!server) {
    std::fprintf(stderr, "kpx-metrics-exporter: %s\n", server.error().c_str());
    return 1;
  }
  auto hostOf = [](const std::string& bind) {
    const std::string host = bind.substr(0, bind.rfind(':'));
    return host.empty() || host == "0.0.0.0" ? std::string("127.0.0.1")
           : host == "[::]"                  ? std::string("[::1]")
                                             : host;
  };
  std::printf("metrics=http://%s:%u/metrics healthz=http://%s:%u/healthz\n",
              hostOf(config.metricsBindAddress).c_str(), (*server)->metricsPort(),
              hostOf(config.healthzBindAddress).c_str(), (*server)->healthzPort());
  std::fflush(stdout);

  std::stop_source done;
  std::thread syncLoop([&] {
    for (int round = 1; clock.sleepFor(200ms, done.get_token()); ++round)
      simulateSync(metrics, health, clock, round);
  });
  int sig = 0;
  sigwait(&signals, &sig);
  done.request_stop();
  syncLoop.join();
  (*server)->stop();
  return 0;
}
