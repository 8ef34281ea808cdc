// SyncLoop: the blocking driver of SyncRunner, on the real clock. Only what needs threads is
// tested here (wake-up on notify, prompt stop, retries, re-entrant notify); the scheduling rules
// themselves are SyncRunner's, tested without sleeping in sync_runner_test.cc.
#include "proxy/sync_loop.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace kpx {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;

// Collects the syncs the loop runs and lets the test wait for the n-th one.
class Recorder {
 public:
  bool record(const SyncRequest& request, bool ok) {
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
    changed_.notify_all();
    return ok;
  }
  // False when fewer than n syncs ran within the time limit (a generous one: a loaded machine).
  bool waitFor(size_t n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, seconds(10), [&] { return requests_.size() >= n; });
  }
  std::vector<SyncRequest> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<SyncRequest> requests_;
};

TEST(SyncLoop, NotifyWakesTheLoopAndSyncsFullThenIncremental) {
  SteadyClock clock;
  Recorder recorder;
  SyncLoop loop(SyncRunnerOptions{.minSyncPeriod = Duration::zero(), .syncPeriod = hours(1)}, clock,
                [&](const SyncRequest& r) { return recorder.record(r, true); });
  std::jthread thread([&](std::stop_token stop) { loop.run(stop); });

  loop.notify();
  ASSERT_TRUE(recorder.waitFor(1));
  loop.notify();
  ASSERT_TRUE(recorder.waitFor(2));
  const auto requests = recorder.requests();
  EXPECT_EQ(requests[0].kind, SyncKind::Full);
  EXPECT_EQ(requests[1].kind, SyncKind::Incremental);
  EXPECT_TRUE(loop.status().lastSuccess.has_value());
}

TEST(SyncLoop, StopReturnsPromptlyWhileWaitingForALongDeadline) {
  SteadyClock clock;
  Recorder recorder;
  SyncLoop loop(SyncRunnerOptions{.minSyncPeriod = hours(1), .syncPeriod = hours(2)}, clock,
                [&](const SyncRequest& r) { return recorder.record(r, true); });
  std::stop_source stop;
  std::thread thread([&] { loop.run(stop.get_token()); });
  loop.notify();
  ASSERT_TRUE(recorder.waitFor(1));
  loop.notify();  // due in an hour
  const auto before = std::chrono::steady_clock::now();
  stop.request_stop();
  thread.join();
  EXPECT_LT(std::chrono::steady_clock::now() - before, seconds(2));
  EXPECT_EQ(recorder.requests().size(), 1u);
}

TEST(SyncLoop, StopBeforeAnyChangeReturns) {
  SteadyClock clock;
  SyncLoop loop(SyncRunnerOptions{}, clock, [](const SyncRequest&) {
    ADD_FAILURE() << "synced without a change";
    return true;
  });
  std::stop_source stop;
  std::thread thread([&] { loop.run(stop.get_token()); });
  stop.request_stop();
  thread.join();
}

TEST(SyncLoop, FailedSyncsAreRetriedAsFullAndObserved) {
  SteadyClock clock;
  Recorder recorder;
  std::vector<SyncOutcome> outcomes;  // written by the loop's thread only, read after join
  int calls = 0;
  SyncLoop loop(
      SyncRunnerOptions{.minSyncPeriod = Duration::zero(),
                        .syncPeriod = hours(1),
                        .initialRetryDelay = milliseconds(5),
                        .maxRetryDelay = milliseconds(20)},
      clock, [&](const SyncRequest& r) { return recorder.record(r, ++calls > 2); },
      [&](const SyncOutcome& o) { outcomes.push_back(o); });
  {
    std::jthread thread([&](std::stop_token stop) { loop.run(stop); });
    loop.notify();
    ASSERT_TRUE(recorder.waitFor(3));
    // The third attempt succeeds; wait until the loop has recorded it.
    for (int i = 0; i < 1000 && loop.status().consecutiveFailures != 0; ++i)
      std::this_thread::sleep_for(milliseconds(1));
  }
  const auto requests = recorder.requests();
  ASSERT_GE(requests.size(), 3u);
  EXPECT_EQ(requests[1].reason, SyncReason::Retry);
  EXPECT_EQ(requests[2].kind, SyncKind::Full);
  EXPECT_EQ(requests[2].failuresBefore, 2);
  ASSERT_GE(outcomes.size(), 3u);
  EXPECT_FALSE(outcomes[0].ok);
  EXPECT_FALSE(outcomes[1].ok);
  EXPECT_TRUE(outcomes[2].ok);
  EXPECT_GE(outcomes[1].request.startedAt - outcomes[0].finishedAt, milliseconds(5));
}

TEST(SyncLoop, TheSyncCallbackMayNotify) {
  SteadyClock clock;
  Recorder recorder;
  SyncLoop* self = nullptr;
  SyncLoop loop(SyncRunnerOptions{.minSyncPeriod = Duration::zero(), .syncPeriod = hours(1)}, clock,
                [&](const SyncRequest& r) {
                  // A sync that finds more work asks for another pass: no deadlock.
                  if (recorder.requests().empty()) self->notify();
                  return recorder.record(r, true);
                });
  self = &loop;
  std::jthread thread([&](std::stop_token stop) { loop.run(stop); });
  loop.notify();
  EXPECT_TRUE(recorder.waitFor(2));
}

}  // namespace
}  // namespace kpx
