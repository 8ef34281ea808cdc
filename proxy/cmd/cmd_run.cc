// `kpx run`: the agent (DESIGN §1, §5). Wires a source (manifests or the API server), the sync
// thread (Agent), the dataplane, the HTTP servers (healthz, metrics, health-check node ports)
// and conntrack cleanup; stops cleanly on SIGTERM/SIGINT and leaves the rules in place, so
// traffic keeps flowing while kpx restarts or upgrades.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <optional>
#include <thread>

#include "dataplane/conntrack/conntrack_table.h"
#include "proxy/agent.h"
#include "proxy/cmd/commands.h"
#include "proxy/conntrack_plan.h"
#include "proxy/health/proxier_health.h"
#include "proxy/health/service_health.h"
#include "proxy/log.h"
#include "proxy/metrics/registry.h"
#include "watch/file_source.h"
#include "watch/http/http_server.h"
#include "watch/kube/kube_source.h"

namespace kpx::cmd {
namespace {

metrics::BackendMode backendMode(ProxyMode mode) {
  switch (mode) {
    case ProxyMode::IPTables: return metrics::BackendMode::IPTables;
    case ProxyMode::IPVS: return metrics::BackendMode::IPVS;
    case ProxyMode::NFTables: break;
  }
  return metrics::BackendMode::NFTables;
}

double unixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// What the health-check node ports report: local endpoints per service, added up over its
// ports as kube-proxy does; a dual-stack service counts once (the larger family).
health::ServiceHealthChecks serviceHealth(const ProxyState& state) {
  std::map<std::pair<health::ServiceName, IPFamily>, health::ServiceHealthCheck> perFamily;
  for (const auto& [key, sp] : state.servicePorts) {
    if (sp.healthCheckNodePort == 0) continue;
    auto& c = perFamily[{health::ServiceName{key.namespace_, key.name}, key.family}];
    c.port = sp.healthCheckNodePort;
    c.localEndpoints += sp.localReadyEndpoints;
  }
  health::ServiceHealthChecks out;
  for (const auto& [k, c] : perFamily) {
    auto& o = out[k.first];
    o.port = c.port;
    o.localEndpoints = std::max(o.localEndpoints, c.localEndpoints);
  }
  return out;
}

// UDP conntrack entries made stale by a sync (DESIGN §3). The first sync after a start has no
// "before" to compare with: kpx then cleans nothing (a restart must not disturb flows).
class ConntrackCleaner {
 public:
  void afterSync(const ProxyState& before, const ProxyState& after, bool firstSync) {
    if (firstSync) return;
    const auto filters = conntrackCleanup(before, after);
    if (filters.empty()) return;
    if (!table_) {
      auto t = conntrack::ConntrackTable::open();
      if (!t) {
        log::error("conntrack: " + t.error().str());
        return;
      }
      table_.emplace(std::move(*t));
    }
    auto deleted = table_->deleteMatching(filters);
    if (!deleted) {
      log::error("conntrack cleanup: " + deleted.error().str());
      table_.reset();  // a fresh handle next time
      return;
    }
    if (*deleted > 0)
      log::info("conntrack: deleted " + std::to_string(*deleted) + " stale UDP entries");
  }

 private:
  std::optional<conntrack::ConntrackTable> table_;
};

std::unique_ptr<Source> makeSource(const RunOptions& o, const AgentConfig& cfg,
                                   std::string& error) {
  if (!o.source.empty()) {
    watch::FileSourceOptions fo;
    fo.once = o.once;
    return std::make_unique<FileSource>(o.source, fo);
  }
  watch::ConnectionOptions conn;
  conn.kubeconfig = cfg.kubeconfig;
  conn.master = cfg.master;
  watch::KubeSourceOptions ko;
  ko.nodeName = cfg.proxy.nodeName;
  auto source = makeKubeSource(conn, ko);
  if (!source) {
    error = source.error();
    return nullptr;
  }
  return std::move(*source);
}

// The signals that stop kpx, taken synchronously by the main thread: blocked before any other
// thread starts, so every thread inherits the mask.
sigset_t stopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

int runRun(const RunOptions& o) {
  std::vector<std::string> warnings;
  auto cfg = toAgentConfig(o.state, &warnings);
  if (!cfg) {
    std::fprintf(stderr, "kpx run: %s\n", cfg.error().c_str());
    return 2;
  }
  const std::string modeName(toString(cfg->mode));
  auto dataplane = makeDataplane(modeName);
  if (!dataplane) {
    std::fprintf(stderr, "kpx run: %s\n", dataplane.error().c_str());
    return dataplane.error().find("not implemented") != std::string::npos ? 3 : 1;
  }
  std::string sourceError;
  auto source = makeSource(o, *cfg, sourceError);
  if (!source) {
    std::fprintf(stderr, "kpx run: %s\n", sourceError.c_str());
    return 1;
  }

  const sigset_t signals = stopSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  metrics::Registry registry;
  metrics::KubeProxyMetrics kubeMetrics;
  if (auto r = kubeMetrics.registerWith(registry, backendMode(cfg->mode)); !r) {
    std::fprintf(stderr, "kpx run: metrics: %s\n", r.error().c_str());
    return 1;
  }
  const health::SystemClock healthClock;
  health::ProxierHealth proxierHealth(2 * cfg->syncPeriod);
  const std::set<IPFamily> families = cfg->proxy.families;

  std::unique_ptr<watch::HttpServer> http;
  if (!o.once) {
    watch::HttpServerConfig hc;
    hc.healthzBindAddress = cfg->healthzBindAddress;
    hc.metricsBindAddress = cfg->metricsBindAddress;
    hc.proxyMode = modeName;
    auto started = watch::HttpServer::start(
        hc, watch::HttpServerDeps{proxierHealth, registry, &kubeMetrics, healthClock});
    if (!started) {
      if (cfg->bindAddressHardFail) {
        std::fprintf(stderr, "kpx run: %s\n", started.error().c_str());
        return 1;
      }
      log::error("http: " + started.error() + " (continuing without it)");
    } else {
      http = std::move(*started);
    }
  }

  std::stop_source stop;
  std::atomic<int> exitCode{0};
  ConntrackCleaner conntrack;
  bool firstApplied = true;
  AgentHooks hooks;
  hooks.queued = [&] {
    for (IPFamily f : families) proxierHealth.queuedUpdate(f, healthClock.now());
  };
  hooks.applied = [&](const ProxyState& before, const ProxyState& after) {
    conntrack.afterSync(before, after, firstApplied);
    firstApplied = false;
    if (http) http->syncServices(serviceHealth(after));
  };
  hooks.finished = [&](const SyncOutcome& outcome) {
    // Upstream marks the proxier healthy only after a successful sync: a kernel that keeps
    // refusing turns /healthz to 503 after the health timeout.
    if (outcome.ok)
      for (IPFamily f : families) proxierHealth.updated(f, healthClock.now());
    if (o.once) {
      exitCode = outcome.ok ? 0 : 1;
      stop.request_stop();
    }
  };
  AgentOptions ao{.proxy = cfg->proxy,
                  .runner = cfg->syncRunnerOptions(),
                  .mode = backendMode(cfg->mode),
                  .modeName = modeName};
  const SteadyClock clock;
  Agent agent(std::move(ao), **dataplane, clock, kubeMetrics, std::move(hooks), unixNow);

  std::jthread sourceThread([&](std::stop_token) {
    source->run(agent.sink(), stop.get_token());
    // A one-shot source returns after its view; a source that could not deliver any view
    // (an unreadable --source, logged by the queue) returns without synced(): fail clearly.
    if (!stop.stop_requested() && !agent.sourceSynced()) {
      log::error("the source ended without delivering a complete view; exiting");
      exitCode = 1;
      stop.request_stop();
    }
  });
  std::jthread syncThread([&](std::stop_token) { agent.run(stop.get_token()); });

  log::info("kpx " + modeName + " agent started on node " + cfg->proxy.nodeName +
            (http ? "; healthz " + cfg->healthzBindAddress + ", metrics " +
                        cfg->metricsBindAddress
                  : std::string()));
  const timespec tick{0, 100 * 1000 * 1000};
  while (!stop.stop_requested()) {
    siginfo_t info;
    const int sig = sigtimedwait(&signals, &info, &tick);
    if (sig == SIGTERM || sig == SIGINT) {
      log::info(std::string("received ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT") +
                ": stopping; the rules stay in place");
      stop.request_stop();
    }
  }
  sourceThread.join();
  syncThread.join();
  if (http) http->stop();
  return exitCode;
}

}  // namespace kpx::cmd
