// The agent's sync thread: drives a SyncRunner with a real wait (condition variable, deadline from
// the runner) and runs the sync callback there, one sync at a time. Sources and the HTTP thread
// only call notify() and status(), which never wait for a sync to end.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <stop_token>

#include "proxy/sync_runner.h"

namespace kpx {

class SyncLoop {
 public:
  // Runs one sync of request.kind; true on success. Called only from run()'s thread, without
  // the loop's lock held (it may call notify()).
  using SyncFn = std::function<bool(const SyncRequest&)>;
  // Sees every finished sync (metrics, healthz, logs), in run()'s thread.
  using Observer = std::function<void(const SyncOutcome&)>;

  SyncLoop(SyncRunnerOptions options, const Clock& clock, SyncFn sync, Observer observer = {});
  SyncLoop(const SyncLoop&) = delete;
  SyncLoop& operator=(const SyncLoop&) = delete;

  // Thread-safe: a change is waiting (see SyncRunner::notify).
  void notify(SyncKind kind = SyncKind::Incremental);
  // Syncs as the runner schedules until `stop` is requested; returns promptly then (a sync
  // already running completes first).
  void run(std::stop_token stop);
  // Thread-safe snapshot.
  SyncStatus status() const;

 private:
  const Clock* clock_;
  SyncFn sync_;
  Observer observer_;
  mutable std::mutex mutex_;
  std::condition_variable_any wake_;
  SyncRunner runner_;      // guarded by mutex_
  bool notified_ = false;  // guarded by mutex_: a notify() the loop has not looked at yet
};

}  // namespace kpx
