// SyncLoop: the blocking driver of SyncRunner, on the real clock. Only what needs threads is
// tested here (wake-up on notify, stop, retries, re-entrant notify); the scheduling rules
// themselves are SyncRunner's, tested on a ManualClock in sync_runner_test.cc. No test sleeps or
// asserts how long something took: each waits for what the loop reports, with a failure timeout.
#include "proxy/sync_loop.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "tests/unit/waiting.h"

namespace kpx {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;

// Collects the syncs the loop runs and their outcomes, and lets the test wait for the n-th one.
class Recorder {
 public:
  bool record(const SyncRequest& request, bool ok) {
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
    changed_.notify_all();
    return ok;
  }
  void observe(const SyncOutcome& outcome) {
    std::lock_guard lock(mutex_);
    outcomes_.push_back(outcome);
    changed_.notify_all();
  }
  // False when fewer than n syncs ran within the failure timeout.
  bool waitFor(size_t n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kpx::test::kFailAfter, [&] { return requests_.size() >= n; });
  }
  // False when fewer than n syncs were observed (finished) within the failure timeout.
  bool waitForOutcomes(size_t n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kpx::test::kFailAfter, [&] { return outcomes_.size() >= n; });
  }
  std::vector<SyncRequest> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  std::vector<SyncOutcome> outcomes() {
    std::lock_guard lock(mutex_);
    return outcomes_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<SyncRequest> requests_;
  std::vector<SyncOutcome> outcomes_;
};

TEST(SyncLoop, NotifyWakesTheLoopAndSyncsFullThenIncremental) {
  SystemClock clock;
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

TEST(SyncLoop, StopEndsTheWaitForALongDeadline) {
  SystemClock clock;
  Recorder recorder;
  SyncLoop loop(SyncRunnerOptions{.minSyncPeriod = hours(1), .syncPeriod = hours(2)}, clock,
                [&](const SyncRequest& r) { return recorder.record(r, true); });
  std::stop_source stop;
  auto returned = std::async(std::launch::async, [&] { loop.run(stop.get_token()); });
  loop.notify();
  EXPECT_TRUE(recorder.waitFor(1));
  loop.notify();  // due in an hour: only the stop ends the wait in time
  stop.request_stop();
  kpx::test::awaitOrAbort(returned, "SyncLoop::run waiting for a deadline an hour away");
  EXPECT_EQ(recorder.requests().size(), 1u);
}

TEST(SyncLoop, StopBeforeAnyChangeReturns) {
  SystemClock clock;
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
  SystemClock clock;
  Recorder recorder;
  int calls = 0;
  SyncLoop loop(
      SyncRunnerOptions{.minSyncPeriod = Duration::zero(),
                        .syncPeriod = hours(1),
                        .initialRetryDelay = milliseconds(5),
                        .maxRetryDelay = milliseconds(20)},
      clock, [&](const SyncRequest& r) { return recorder.record(r, ++calls > 2); },
      [&](const SyncOutcome& o) { recorder.observe(o); });
  {
    std::jthread thread([&](std::stop_token stop) { loop.run(stop); });
    loop.notify();
    // The third attempt succeeds; wait until the loop has recorded it.
    ASSERT_TRUE(recorder.waitForOutcomes(3));
    EXPECT_EQ(loop.status().consecutiveFailures, 0);
  }
  const auto requests = recorder.requests();
  const auto outcomes = recorder.outcomes();
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
  SystemClock clock;
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
