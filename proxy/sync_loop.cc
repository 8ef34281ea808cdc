#include "proxy/sync_loop.h"

namespace kpx {

SyncLoop::SyncLoop(SyncRunnerOptions options, const Clock& clock, SyncFn sync, Observer observer)
    : clock_(&clock),
      sync_(std::move(sync)),
      observer_(std::move(observer)),
      runner_(options, clock) {}

void SyncLoop::notify(SyncKind kind) {
  {
    std::lock_guard lock(mutex_);
    runner_.notify(kind);
    notified_ = true;
  }
  wake_.notify_one();
}

SyncStatus SyncLoop::status() const {
  std::lock_guard lock(mutex_);
  return runner_.status();
}

void SyncLoop::run(std::stop_token stop) {
  std::unique_lock lock(mutex_);
  while (!stop.stop_requested()) {
    if (std::optional<SyncRequest> request = runner_.begin()) {
      lock.unlock();
      const bool ok = sync_(*request);
      lock.lock();
      const SyncOutcome outcome = runner_.finish(ok);
      if (observer_) {
        lock.unlock();
        observer_(outcome);
        lock.lock();
      }
      continue;
    }
    notified_ = false;
    const auto woken = [this] { return notified_; };
    if (const std::optional<Clock::TimePoint> deadline = runner_.nextDeadline()) {
      // The runner's clock decides what is due; the wait itself is on real time.
      const Clock::TimePoint now = clock_->now();
      if (*deadline <= now) continue;
      wake_.wait_for(lock, stop, *deadline - now, woken);
    } else {
      wake_.wait(lock, stop, woken);
    }
  }
}

}  // namespace kpx
