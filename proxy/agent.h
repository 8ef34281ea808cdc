// `kpx run` as a daemon, minus the wiring (DESIGN §1): the sync thread's state. Sources push
// into sink(); run() syncs as the SyncLoop schedules: drain the events into the snapshot,
// build the desired state, hand it to the dataplane, then tell the observers (metrics, healthz,
// health-check node ports, conntrack). Everything outside the process is handed in.
#pragma once

#include <chrono>
#include <functional>
#include <stop_token>
#include <string>
#include <vector>

#include "proxy/clock.h"
#include "proxy/config.h"
#include "proxy/dataplane.h"
#include "proxy/event_queue.h"
#include "proxy/metrics/kube_proxy_metrics.h"
#include "proxy/state.h"
#include "proxy/sync_loop.h"

namespace kpx {

struct AgentOptions {
  ProxyConfig proxy;
  SyncRunnerOptions runner;
  metrics::BackendMode mode = metrics::BackendMode::NFTables;
  std::string modeName = "nftables";
};

struct AgentHooks {
  // A change was queued (healthz: QueuedUpdate). Any thread.
  std::function<void()> queued;
  // A sync succeeded: the state applied before and now (conntrack cleanup, health-check node
  // ports). Sync thread.
  std::function<void(const ProxyState& before, const ProxyState& after)> applied;
  // Every finished sync, successful or not (healthz: Updated). Sync thread.
  std::function<void(const SyncOutcome&)> finished;
};

// Wall-clock seconds, for the *_timestamp_seconds metrics (the loop itself runs on Clock).
using WallClock = std::function<double()>;

class Agent {
 public:
  Agent(AgentOptions options, Dataplane& dataplane, const Clock& clock,
        metrics::KubeProxyMetrics& metrics, AgentHooks hooks, WallClock wall);
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Where the source pushes; thread-safe.
  EventSink& sink() { return queue_; }
  // Syncs until stop is requested (a sync in progress completes).
  void run(std::stop_token stop) { loop_.run(stop); }
  SyncStatus status() const { return loop_.status(); }
  // The source has delivered its first complete view.
  bool sourceSynced() const { return queue_.hasSynced(); }
  // A full sync is wanted (e.g. the source re-listed everything).
  void requestFullSync() { loop_.notify(SyncKind::Full); }

  // Sync thread only (tests and --once read it after run()).
  const ProxyState& applied() const { return applied_; }
  size_t syncs() const { return syncs_; }

 private:
  bool sync(const SyncRequest& request);
  void onQueued(bool firstSync);
  void observe(const DrainedChanges& changes);

  AgentOptions options_;
  Dataplane& dataplane_;
  const Clock& clock_;
  metrics::KubeProxyMetrics& metrics_;
  AgentHooks hooks_;
  WallClock wall_;
  EventQueue queue_;
  SyncLoop loop_;

  // Sync thread only.
  ClusterSnapshot cluster_;
  ProxyState applied_;
  // Arrival times of events applied to the snapshot but not yet in a successful sync.
  std::vector<std::chrono::steady_clock::time_point> unprogrammed_;
  size_t syncs_ = 0;
};

}  // namespace kpx
