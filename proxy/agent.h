// `kpx run` as a daemon, minus the wiring (docs/architecture.md): the sync thread's state. Sources push
// into sink(); run() syncs as the SyncLoop schedules: drain the events into the snapshot,
// update the desired state for the services they touched, hand it to the dataplane with the
// ports that changed, then tell the observers (metrics, healthz, health-check node ports,
// conntrack). A sync costs O(the change), not O(the cluster) (docs/performance.md). Everything outside
// the process is handed in.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "proxy/clock.h"
#include "proxy/config.h"
#include "proxy/dataplane.h"
#include "proxy/event_queue.h"
#include "proxy/metrics/kube_proxy_metrics.h"
#include "proxy/proxy_mode.h"
#include "proxy/state.h"
#include "proxy/state_changes.h"
#include "proxy/state_updater.h"
#include "proxy/sync_loop.h"

namespace kpx {

struct AgentOptions {
  ProxyConfig proxy;
  SyncRunnerOptions runner;
  ProxyMode mode = ProxyMode::NFTables;
};

struct AgentHooks {
  // A change was queued (healthz: QueuedUpdate). Any thread.
  std::function<void()> queued;
  // A sync succeeded: the state applied now, and the ports that differ from the state applied by
  // the previous successful sync, with their values then (conntrack cleanup, health-check node
  // ports). On the first one every port is listed as new. Sync thread.
  std::function<void(const ProxyState& after, const StateChanges& changes)> applied;
  // Every finished sync, successful or not (healthz: Updated). Sync thread.
  std::function<void(const SyncOutcome&)> finished;
  // This node's Node was added, changed (its object) or removed (nullptr), as seen when a sync
  // drains the events (healthz: node eligibility). Sync thread.
  std::function<void(const Node*)> node;
};

class Agent {
 public:
  // `clock` paces the syncs, stamps the events as they arrive, measures the syncs and the
  // event-to-kernel latency, and gives the wall time of the *_timestamp_seconds metrics.
  Agent(AgentOptions options, Dataplane& dataplane, const Clock& clock,
        metrics::KubeProxyMetrics& metrics, AgentHooks hooks);
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

  // Sync thread only (tests and --once read them after run()). The desired state of the last
  // sync: what the kernel holds if that sync succeeded.
  const ProxyState& desired() const { return updater_.state(); }
  size_t syncs() const { return syncs_; }

 private:
  bool sync(const SyncRequest& request);
  void onQueued(bool firstSync);
  void observe(const DrainedChanges& changes);
  void countNoLocalEndpoints();

  AgentOptions options_;
  Dataplane& dataplane_;
  const Clock& clock_;
  metrics::KubeProxyMetrics& metrics_;
  AgentHooks hooks_;
  EventQueue queue_;
  SyncLoop loop_;

  // Sync thread only.
  ClusterSnapshot cluster_;
  StateUpdater updater_;
  // The ports that differ from the state of the last successful sync (with their values
  // there), accumulated over the syncs since: what the dataplane and the hooks are given.
  StateChanges pending_;
  // The node-wide settings of the last successful sync (none yet: everything is new).
  std::optional<GlobalState> appliedGlobal_;
  // Per family (IPFamily as index): service ports with a Local policy and no local endpoint,
  // internal and external, in the last successful sync; kept up to date from pending_.
  struct NoLocal {
    int64_t internal = 0;
    int64_t external = 0;
  };
  std::array<NoLocal, 2> noLocal_{};
  // Arrival times of events applied to the snapshot but not yet in a successful sync.
  std::vector<Clock::TimePoint> unprogrammed_;
  size_t syncs_ = 0;
};

}  // namespace kpx
