// `kpx run`: the agent (docs/architecture.md, docs/cli.md). Wires a source (manifests or the API server), the sync
// thread (Agent), the dataplane, the HTTP servers (healthz, metrics, health-check node ports)
// and conntrack cleanup; stops cleanly on SIGTERM/SIGINT and leaves the rules in place, so
// traffic keeps flowing while kpx restarts or upgrades.
#include <malloc.h>
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <optional>
#include <thread>

#include "dataplane/node/conntrack_sysctls.h"
#include "dataplane/node/host_netns.h"
#include "dataplane/node/oom_score_adj.h"
#include "proxy/agent.h"
#include "proxy/cmd/backend_registry.h"
#include "proxy/cmd/commands.h"
#include "proxy/cmd/conntrack_cleaner.h"
#include "proxy/health/node_eligibility.h"
#include "proxy/health/proxier_health.h"
#include "proxy/health/service_health_tracker.h"
#include "proxy/log.h"
#include "proxy/metrics/registry.h"
#include "watch/file_source.h"
#include "proxy/serve/http_server.h"
#include "watch/kube/kube_source.h"

namespace kpx::cmd {
namespace {

std::unique_ptr<Source> makeSource(const RunOptions& o, const AgentConfig& cfg, const Clock& clock,
                                   std::string& error) {
  if (!o.source.empty()) {
    watch::FileSourceOptions fo;
    fo.once = o.once;
    return std::make_unique<FileSource>(o.source, fo, clock);
  }
  watch::ConnectionOptions conn;
  conn.kubeconfig = cfg.kubeconfig;
  conn.master = cfg.master;
  watch::KubeSourceOptions ko;
  ko.nodeName = cfg.proxy.nodeName;
  auto source = makeKubeSource(conn, ko, clock);
  if (!source) {
    error = source.error();
    return nullptr;
  }
  return std::move(*source);
}

// kube-proxy's conntrack sysctls. Applied once the first sync has succeeded: the rules use
// conntrack, so nf_conntrack is loaded by then and its sysctls exist (before it, on a node where
// nothing loaded the module yet, they do not). Failures are warnings, as upstream: a node that
// refuses one is still proxied.
void setUpConntrack(const AgentConfig& cfg) {
  ConntrackConfig conntrack = cfg.conntrack;
  if (conntrack.maxPerCore > 0 && !node::inHostNetworkNamespace()) {
    log::info(
        "conntrack: not in the host network namespace; nf_conntrack_max and the hash table "
        "are left alone");
    conntrack.maxPerCore = 0;
  }
  node::logSettings("conntrack", node::applyConntrackSysctls(conntrack));
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

// kpx's rules of the modes it is not running in, as kube-proxy removes its other modes' rules
// on start: after a mode switch they would otherwise keep answering for stale services. A mode
// the kernel cannot run holds nothing to remove.
void removeOtherModesRules(ProxyMode current, const AgentConfig& cfg) {
  for (const auto& other : backends()) {
    if (other.mode == current || unmetNeeds(other.needs)) continue;
    if (auto done = other.make(backendOptions(cfg))->cleanup(); !done)
      log::warn("removing kpx's " + std::string(toString(other.mode)) +
                " rules: " + done.error().str());
  }
}

}  // namespace

int runRun(const RunOptions& o) {
  // One malloc arena, not one per thread: the source thread parses every object and the sync
  // thread keeps them, so with per-thread arenas the long-lived objects sit scattered between
  // freed parse temporaries in two arenas that can never be returned. Measured at 10,000
  // services x 10 endpoints (bench/agent_latency.py): RSS 121 -> 105 MiB. kpx's threads
  // allocate rarely outside syncs, so the shared arena's lock costs nothing measurable.
  mallopt(M_ARENA_MAX, 1);
  std::vector<std::string> warnings;
  auto cfg = toAgentConfig(o.state, &warnings);
  if (!cfg) {
    std::fprintf(stderr, "kpx run: %s\n", cfg.error().c_str());
    return 2;
  }
  if (!o.verbosity && cfg->logVerbosity > 0) log::setVerbosity(cfg->logVerbosity);
  const std::string modeName(toString(cfg->mode));
  const Backend* backend = findBackend(cfg->mode);
  if (!backend) return notImplemented("run --mode " + modeName);
  if (auto missing = unmetNeeds(backend->needs)) {
    std::fprintf(stderr, "kpx run: %s\n", missing->message.c_str());
    return 1;
  }
  removeOtherModesRules(cfg->mode, *cfg);
  std::unique_ptr<Dataplane> dataplane = backend->make(backendOptions(*cfg));
  // The one clock of the agent, its health state, its sources and their HTTP clients.
  const Clock& clock = systemClock();
  std::string sourceError;
  auto source = makeSource(o, *cfg, clock, sourceError);
  if (!source) {
    std::fprintf(stderr, "kpx run: %s\n", sourceError.c_str());
    return 1;
  }

  if (cfg->mode == ProxyMode::NFTables && !cfg->localhostNodePorts)
    log::debug(1, "iptables.localhostNodePorts has no effect in nftables mode (as in kube-proxy)");
  if (!o.once) node::logSettings("oom_score_adj", {node::applyOomScoreAdj(cfg->oomScoreAdj)});

  const sigset_t signals = stopSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  metrics::Registry registry;
  metrics::KubeProxyMetrics kubeMetrics;
  if (auto r = kubeMetrics.registerWith(registry, cfg->mode); !r) {
    std::fprintf(stderr, "kpx run: metrics: %s\n", r.error().c_str());
    return 1;
  }
  health::ProxierHealth proxierHealth(2 * cfg->syncPeriod);
  const std::set<IPFamily> families = cfg->proxy.families;

  std::unique_ptr<serve::HttpServer> http;
  if (!o.once) {
    serve::HttpServerConfig hc;
    hc.healthzBindAddress = cfg->healthzBindAddress;
    hc.metricsBindAddress = cfg->metricsBindAddress;
    hc.proxyMode = modeName;
    auto started = serve::HttpServer::start(
        hc, serve::HttpServerDeps{proxierHealth, registry, &kubeMetrics, clock});
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
  health::ServiceHealthTracker serviceHealth;
  bool firstApplied = true;
  AgentHooks hooks;
  hooks.queued = [&] {
    for (IPFamily f : families) proxierHealth.queuedUpdate(f, health::instantOf(clock));
  };
  hooks.applied = [&](const ProxyState& after, const StateChanges& changes) {
    if (firstApplied && !o.once) setUpConntrack(*cfg);
    conntrack.afterSync(after, changes, firstApplied);
    // The listeners change only when a service's check does (the server retries failed binds
    // by itself), so a sync that changes none costs nothing here.
    if (serviceHealth.update(after, changes) && http) http->syncServices(serviceHealth.checks());
    firstApplied = false;
  };
  hooks.node = [&](const Node* node) {
    // As upstream's NodeEligibleHandler: a Node being deleted (or gone), or tainted for deletion
    // by the cluster autoscaler, turns /healthz to 503 so load balancers drain this node.
    const bool eligible = node != nullptr && health::nodeEligible(*node);
    if (eligible != proxierHealth.nodeEligible())
      log::info(std::string("node ") + cfg->proxy.nodeName +
                (eligible ? " is eligible for load-balancer traffic again"
                          : " is being deleted or drained: /healthz answers 503"));
    proxierHealth.setNodeEligible(eligible);
  };
  hooks.finished = [&](const SyncOutcome& outcome) {
    // Upstream marks the proxier healthy only after a successful sync: a kernel that keeps
    // refusing turns /healthz to 503 after the health timeout.
    if (outcome.ok)
      for (IPFamily f : families) proxierHealth.updated(f, health::instantOf(clock));
    if (o.once) {
      exitCode = outcome.ok ? 0 : 1;
      stop.request_stop();
    }
  };
  AgentOptions ao{.proxy = cfg->proxy, .runner = cfg->syncRunnerOptions(), .mode = cfg->mode};
  Agent agent(std::move(ao), *dataplane, clock, kubeMetrics, std::move(hooks));

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
