// When to sync the dataplane (docs/architecture.md, CONTRIBUTING.md): kube-proxy's BoundedFrequencyRunner plus its
// needFullSync flag, as a state machine driven by an injected Clock. It runs nothing by itself:
// SyncLoop (sync_loop.h) drives it from the agent's sync thread, tests drive it by hand.
//
// The rules:
// - Nothing runs before the first notify(): the agent notifies once its sources have delivered
//   a complete view, so an empty store never reaches the kernel.
// - Changes coalesce. A change after a quiet period syncs at once; a burst of changes within
//   minSyncPeriod of the last sync's start gives one sync, minSyncPeriod after that start.
// - A periodic resync is due syncPeriod after the start of the last successful periodic or full
//   one, even when nothing changed; incremental syncs do not postpone it. It is a Verify sync
//   (the backend checks that its rules are still in place and rewrites them only when they are
//   not), and a Full one once fullSyncPeriod has passed since the last full sync: kube-proxy's
//   syncPeriod and its hourly FullSyncPeriod. So the cost of a full rewrite (seconds at 10,000
//   services) delays events once an hour, not every 30 s.
// - A failed sync is retried after a delay that doubles from initialRetryDelay up to
//   maxRetryDelay, and every sync after a failure is full until one succeeds. Changes arriving
//   meanwhile wait for the retry: a failing kernel is not hammered at minSyncPeriod.
// - Never two syncs at once: begin() refuses while a sync is running, until finish().
#pragma once

#include <chrono>
#include <functional>
#include <optional>

#include "proxy/clock.h"
#include "proxy/dataplane.h"
#include "proxy/duration.h"

namespace kpx {

struct SyncRunnerOptions {
  Duration minSyncPeriod = std::chrono::seconds(1);
  Duration syncPeriod = std::chrono::seconds(30);
  Duration fullSyncPeriod = std::chrono::hours(1);  // upstream's proxyutil.FullSyncPeriod
  Duration initialRetryDelay = std::chrono::seconds(1);
  Duration maxRetryDelay = Duration::zero();  // zero: syncPeriod
};

enum class SyncReason : uint8_t { Changes, Periodic, Retry };
std::string_view toString(SyncReason reason);

// One sync the runner asks for.
struct SyncRequest {
  SyncKind kind = SyncKind::Full;
  SyncReason reason = SyncReason::Changes;
  Clock::TimePoint startedAt{};
  // The first and the last change this sync covers (notify() times), for the
  // network-programming latency and the "last queued" metric; empty when no change is waiting
  // (a periodic resync). After a failure the retry still carries the failed sync's changes.
  std::optional<Clock::TimePoint> oldestChange;
  std::optional<Clock::TimePoint> newestChange;
  int failuresBefore = 0;  // consecutive failed syncs just before this one
};

struct SyncOutcome {
  SyncRequest request;
  bool ok = false;
  Clock::TimePoint finishedAt{};
};

// What healthz and the metrics read (kube-proxy's lastUpdated / lastQueued).
struct SyncStatus {
  std::optional<Clock::TimePoint> lastQueued;     // the latest notify()
  std::optional<Clock::TimePoint> oldestPending;  // the oldest change not yet synced successfully
  std::optional<Clock::TimePoint> lastSuccess;    // end of the last successful sync
  std::optional<Clock::TimePoint> lastFullSync;   // start of the last successful full sync
  std::optional<Clock::TimePoint> nextDeadline;
  int consecutiveFailures = 0;
  bool running = false;
};

class SyncRunner {
 public:
  SyncRunner(SyncRunnerOptions options, const Clock& clock);

  // A change is waiting (now). kind Full: the next sync must be full (a config or Node change
  // that touches every rule).
  void notify(SyncKind kind = SyncKind::Incremental);

  // When begin() will next return a request; empty while nothing is scheduled (before the first
  // notify(), or while a sync is running).
  std::optional<Clock::TimePoint> nextDeadline() const;

  // The sync to run now, if one is due; the caller must then call finish() exactly once.
  std::optional<SyncRequest> begin();
  // The sync started by begin() is over.
  SyncOutcome finish(bool ok);

  // begin(), `sync` (true on success), finish(): for callers that hold no lock across the sync.
  std::optional<SyncOutcome> runDue(const std::function<bool(const SyncRequest&)>& sync);

  SyncStatus status() const;
  const SyncRunnerOptions& options() const { return options_; }

 private:
  Duration maxRetryDelay() const;

  SyncRunnerOptions options_;
  const Clock* clock_;

  bool started_ = false;
  bool pending_ = false;  // a change arrived since the last sync began
  bool needFull_ = true;  // the first sync, after a failure, or asked for by notify(Full)
  std::optional<Clock::TimePoint> oldestPending_;
  std::optional<Clock::TimePoint> lastQueued_;

  std::optional<SyncRequest> running_;
  std::optional<Clock::TimePoint> lastStart_;
  std::optional<Clock::TimePoint> lastEnd_;
  std::optional<Clock::TimePoint> lastSuccess_;
  std::optional<Clock::TimePoint> lastFullSync_;
  std::optional<Clock::TimePoint> lastPeriodic_;  // start of the last successful Verify or Full
  int failures_ = 0;
  Duration retryDelay_ = Duration::zero();
};

}  // namespace kpx
