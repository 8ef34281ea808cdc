// SyncRunner: when syncs run and of which kind, driven by a ManualClock (no test sleeps).
// Scenarios are tables of steps: at time T, a change arrives, or the runner is asked to run what
// is due (and the sync succeeds or fails), with what must happen.
#include "proxy/sync_runner.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kpx {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using TimePoint = Clock::TimePoint;

enum class Op : uint8_t {
  Notify,      // a change arrives
  NotifyFull,  // a change that needs a full sync
  Run,         // runDue(): the sync (if any) succeeds
  RunFailing,  // runDue(): the sync (if any) fails
};

// What a Run step must observe: no sync, or one sync of this kind for this reason.
struct Expect {
  bool syncs = false;
  SyncKind kind = SyncKind::Full;
  SyncReason reason = SyncReason::Changes;
};
constexpr Expect kNoSync{};
constexpr Expect full(SyncReason reason) {
  return {true, SyncKind::Full, reason};
}
constexpr Expect verify(SyncReason reason) {
  return {true, SyncKind::Verify, reason};
}
constexpr Expect incremental() {
  return {true, SyncKind::Incremental, SyncReason::Changes};
}

struct Step {
  Duration at;  // since the scenario's start
  Op op;
  Expect expect = kNoSync;
  Duration syncTakes = Duration::zero();  // how long the sync callback runs
};

struct Scenario {
  std::string name;
  SyncRunnerOptions options;
  std::vector<Step> steps;
};

SyncRunnerOptions periods(Duration min, Duration sync) {
  return SyncRunnerOptions{.minSyncPeriod = min,
                           .syncPeriod = sync,
                           .initialRetryDelay = seconds(1),
                           .maxRetryDelay = Duration::zero()};
}

void PrintTo(const Scenario& s, std::ostream* os) {
  *os << s.name;
}

class SyncRunnerScenario : public ::testing::TestWithParam<Scenario> {};

TEST_P(SyncRunnerScenario, Runs) {
  ManualClock clock;
  const TimePoint start = clock.now();
  SyncRunner runner(GetParam().options, clock);
  int syncsRunning = 0;
  for (size_t i = 0; i < GetParam().steps.size(); ++i) {
    const Step& step = GetParam().steps[i];
    SCOPED_TRACE("step " + std::to_string(i) + " at " + formatDuration(step.at));
    ASSERT_GE(start + step.at, clock.now()) << "steps must be in time order";
    clock.set(start + step.at);
    switch (step.op) {
      case Op::Notify:
        runner.notify();
        break;
      case Op::NotifyFull:
        runner.notify(SyncKind::Full);
        break;
      case Op::Run:
      case Op::RunFailing: {
        std::optional<SyncRequest> seen;
        auto outcome = runner.runDue([&](const SyncRequest& request) {
          EXPECT_EQ(++syncsRunning, 1) << "two syncs at once";
          seen = request;
          clock.advance(step.syncTakes);
          --syncsRunning;
          return step.op == Op::Run;
        });
        ASSERT_EQ(outcome.has_value(), step.expect.syncs);
        if (!outcome) break;
        EXPECT_EQ(outcome->request.kind, step.expect.kind);
        EXPECT_EQ(toString(outcome->request.reason), toString(step.expect.reason));
        EXPECT_EQ(outcome->request.startedAt, start + step.at);
        EXPECT_EQ(outcome->finishedAt, start + step.at + step.syncTakes);
        EXPECT_EQ(outcome->ok, step.op == Op::Run);
        break;
      }
    }
  }
}

const Duration kMs100 = milliseconds(100);

INSTANTIATE_TEST_SUITE_P(
    Table, SyncRunnerScenario,
    ::testing::Values(
        Scenario{"NothingRunsBeforeTheFirstNotify",
                 periods(seconds(1), seconds(30)),
                 {{seconds(0), Op::Run}, {seconds(45), Op::Run}, {seconds(3600), Op::Run}}},
        Scenario{"FirstChangeSyncsAtOnceAndFull",
                 periods(seconds(1), seconds(30)),
                 {{seconds(5), Op::Notify},
                  {seconds(5), Op::Run, full(SyncReason::Changes)},
                  {seconds(5), Op::Run}}},
        Scenario{"BurstWithinMinSyncPeriodGivesOneSyncAfterThePeriod",
                 periods(seconds(1), seconds(30)),
                 {{seconds(0), Op::Notify},
                  {seconds(0), Op::Run, full(SyncReason::Changes)},
                  {kMs100, Op::Notify},
                  {kMs100, Op::Run},
                  {2 * kMs100, Op::Notify},
                  {9 * kMs100, Op::Notify},
                  {milliseconds(999), Op::Run},
                  {seconds(1), Op::Run, incremental()},
                  {seconds(1), Op::Run},
                  {seconds(2), Op::Run}}},
        Scenario{"ChangeAfterAQuietPeriodSyncsAtOnce",
                 periods(seconds(1), seconds(30)),
                 {{seconds(0), Op::Notify},
                  {seconds(0), Op::Run, full(SyncReason::Changes)},
                  {seconds(7), Op::Notify},
                  {seconds(7), Op::Run, incremental()},
                  {seconds(9), Op::Notify},
                  {seconds(9), Op::Run, incremental()}}},
        Scenario{"MinSyncPeriodCountsFromTheStartOfTheLastSync",
                 periods(seconds(1), seconds(30)),
                 {{seconds(0), Op::Notify},
                  {seconds(0), Op::Run, full(SyncReason::Changes), milliseconds(1500)},
                  {milliseconds(1500), Op::Notify},  // right as the slow sync ends
                  {milliseconds(1500), Op::Run, incremental()},
                  {milliseconds(1600), Op::Notify},
                  {milliseconds(2499), Op::Run},
                  {milliseconds(2500), Op::Run, incremental()}}},
        Scenario{"ZeroMinSyncPeriodSyncsEveryChange",
                 periods(Duration::zero(), seconds(30)),
                 {{seconds(0), Op::Notify},
                  {seconds(0), Op::Run, full(SyncReason::Changes)},
                  {seconds(0), Op::Notify},
                  {seconds(0), Op::Run, incremental()},
                  {milliseconds(1), Op::Notify},
                  {milliseconds(1), Op::Run, incremental()}}},
        Scenario{"PeriodicResyncEverySyncPeriodEvenWhenBusy",
                 periods(seconds(1), seconds(30)),
                 {{seconds(0), Op::Notify},
                  {seconds(0), Op::Run, full(SyncReason::Changes)},
                  {seconds(10), Op::Notify},
                  {seconds(10), Op::Run, incremental()},
                  {seconds(20), Op::Notify},
                  {seconds(20), Op::Run, incremental()},
                  {seconds(29), Op::Run},
                  {seconds(30), Op::Run, verify(SyncReason::Periodic)},
                  {seconds(59), Op::Run},
                  {seconds(60), Op::Run, verify(SyncReason::Periodic)}}},
        Scenario{"FullResyncOnceFullSyncPeriodHasPassed",
                 SyncRunnerOptions{.minSyncPeriod = seconds(1),
                                   .syncPeriod = seconds(30),
                                   .fullSyncPeriod = seconds(90),
                                   .initialRetryDelay = seconds(1),
                                   .maxRetryDelay = Duration::zero()},
                 {{seconds(0), Op::Notify},
                  {seconds(0), Op::Run, full(SyncReason::Changes)},
                  {seconds(30), Op::Run, verify(SyncReason::Periodic)},
                  {seconds(60), Op::Run, verify(SyncReason::Periodic)},
                  {seconds(89), Op::Run},
                  {seconds(90), Op::Run, full(SyncReason::Periodic)},
                  {seconds(119), Op::Run},
                  {seconds(120), Op::Run, verify(SyncReason::Periodic)},
                  {seconds(150), Op::Run, verify(SyncReason::Periodic)}}},
        Scenario{"AFailedVerifyIsRetriedFull",
                 periods(seconds(1), seconds(30)),
                 {{seconds(0), Op::Notify},
                  {seconds(0), Op::Run, full(SyncReason::Changes)},
                  {seconds(30), Op::RunFailing, verify(SyncReason::Periodic)},
                  {seconds(31), Op::Run, full(SyncReason::Retry)},
                  {seconds(60), Op::Run},
                  {seconds(61), Op::Run, verify(SyncReason::Periodic)}}},
        Scenario{"APendingChangeDueWithThePeriodicSyncGetsAVerifyOne",
                 periods(seconds(1), seconds(30)),
                 {{seconds(0), Op::Notify},
                  {seconds(0), Op::Run, full(SyncReason::Changes)},
                  {seconds(30), Op::Notify},
                  {seconds(30), Op::Run, verify(SyncReason::Changes)},
                  {seconds(31), Op::Notify},
                  {seconds(31), Op::Run, incremental()}}},
        Scenario{"FailureRetriesWithDoublingDelayCappedAtSyncPeriod",
                 periods(seconds(1), seconds(10)),
                 {{seconds(0), Op::Notify},
                  {seconds(0), Op::RunFailing, full(SyncReason::Changes)},
                  {milliseconds(999), Op::RunFailing},
                  {seconds(1), Op::RunFailing, full(SyncReason::Retry)},  // after 1s
                  {seconds(2), Op::RunFailing},
                  {seconds(3), Op::RunFailing, full(SyncReason::Retry)},  // after 2s
                  {seconds(7), Op::RunFailing, full(SyncReason::Retry)},  // after 4s
                  {seconds(14), Op::RunFailing},
                  {seconds(15), Op::RunFailing, full(SyncReason::Retry)},  // after 8s
                  {seconds(24), Op::RunFailing},
                  {seconds(25), Op::RunFailing, full(SyncReason::Retry)},  // after 10s (cap)
                  {seconds(35), Op::Run, full(SyncReason::Retry)},         // after 10s (cap)
                  {seconds(36), Op::Notify},
                  {seconds(36), Op::Run, incremental()}}},
        Scenario{"ChangesDuringBackoffWaitForTheRetry",
                 periods(seconds(1), seconds(30)),
                 {{seconds(0), Op::Notify},
                  {seconds(0), Op::Run, full(SyncReason::Changes)},
                  {seconds(5), Op::Notify},
                  {seconds(5), Op::RunFailing, incremental()},
                  {seconds(5) + kMs100, Op::Notify},
                  {seconds(5) + 5 * kMs100, Op::Run},
                  {seconds(6), Op::Run, full(SyncReason::Retry)},
                  {seconds(8), Op::Notify},
                  {seconds(8), Op::Run, incremental()}}},
        Scenario{"RetryDelayRestartsAfterASuccess",
                 periods(seconds(1), seconds(30)),
                 {{seconds(0), Op::Notify},
                  {seconds(0), Op::RunFailing, full(SyncReason::Changes)},
                  {seconds(1), Op::RunFailing, full(SyncReason::Retry)},
                  {seconds(3), Op::Run, full(SyncReason::Retry)},
                  {seconds(10), Op::Notify},
                  {seconds(10), Op::RunFailing, incremental()},
                  {seconds(11), Op::Run, full(SyncReason::Retry)}}},
        Scenario{"NotifyFullMakesTheNextSyncFull",
                 periods(seconds(1), seconds(30)),
                 {{seconds(0), Op::Notify},
                  {seconds(0), Op::Run, full(SyncReason::Changes)},
                  {seconds(5), Op::NotifyFull},
                  {seconds(5), Op::Run, full(SyncReason::Changes)},
                  {seconds(7), Op::Notify},
                  {seconds(7), Op::Run, incremental()}}}),
    [](const ::testing::TestParamInfo<Scenario>& info) { return info.param.name; });

// The deadline the agent's loop waits for, step by step.
TEST(SyncRunner, NextDeadlineFollowsTheRules) {
  ManualClock clock;
  const TimePoint t0 = clock.now();
  SyncRunner runner(periods(seconds(1), seconds(30)), clock);
  EXPECT_FALSE(runner.nextDeadline());  // nothing before the first notify
  runner.notify();
  ASSERT_TRUE(runner.nextDeadline());
  EXPECT_LE(*runner.nextDeadline(), t0);  // due now

  ASSERT_TRUE(runner.begin());
  EXPECT_FALSE(runner.nextDeadline()) << "nothing is scheduled while a sync runs";
  runner.finish(true);
  EXPECT_EQ(runner.nextDeadline(), t0 + seconds(30));  // the periodic full sync

  clock.advance(milliseconds(300));
  runner.notify();
  EXPECT_EQ(runner.nextDeadline(), t0 + seconds(1));  // minSyncPeriod after the last start

  clock.set(t0 + seconds(1));
  ASSERT_TRUE(runner.begin());
  clock.advance(milliseconds(50));
  runner.finish(false);
  EXPECT_EQ(runner.nextDeadline(), t0 + seconds(1) + milliseconds(50) + seconds(1));  // retry
}

TEST(SyncRunner, NeverTwoSyncsAtOnce) {
  ManualClock clock;
  SyncRunner runner(periods(Duration::zero(), seconds(30)), clock);
  runner.notify();
  ASSERT_TRUE(runner.begin());
  runner.notify();
  clock.advance(seconds(60));  // even with a change waiting and the periodic sync overdue
  EXPECT_FALSE(runner.begin());
  EXPECT_FALSE(runner.runDue([](const SyncRequest&) {
    ADD_FAILURE() << "ran a sync while another was running";
    return true;
  }));
  EXPECT_TRUE(runner.status().running);
  runner.finish(true);
  EXPECT_FALSE(runner.status().running);
  EXPECT_TRUE(runner.begin()) << "the change that arrived during the sync is synced next";
}

TEST(SyncRunner, RequestsCarryTheChangeTimesUntilASyncSucceeds) {
  ManualClock clock;
  const TimePoint t0 = clock.now();
  SyncRunner runner(periods(seconds(1), seconds(30)), clock);
  runner.notify();
  ASSERT_TRUE(runner.runDue([](const SyncRequest&) { return true; }));

  clock.set(t0 + seconds(5));
  runner.notify();
  clock.set(t0 + seconds(5) + milliseconds(10));
  runner.notify();
  EXPECT_EQ(runner.status().oldestPending, t0 + seconds(5));
  EXPECT_EQ(runner.status().lastQueued, t0 + seconds(5) + milliseconds(10));

  auto failed = runner.runDue([](const SyncRequest& r) {
    EXPECT_EQ(r.kind, SyncKind::Incremental);
    return false;
  });
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->request.oldestChange, t0 + seconds(5));
  EXPECT_EQ(failed->request.newestChange, t0 + seconds(5) + milliseconds(10));
  EXPECT_EQ(runner.status().consecutiveFailures, 1);
  EXPECT_EQ(runner.status().oldestPending, t0 + seconds(5)) << "still not in the kernel";
  EXPECT_EQ(runner.status().lastSuccess, t0);

  clock.set(t0 + seconds(7));
  runner.notify();
  clock.set(t0 + seconds(10));
  auto retried = runner.runDue([](const SyncRequest& r) {
    EXPECT_EQ(r.failuresBefore, 1);
    return true;
  });
  ASSERT_TRUE(retried);
  EXPECT_EQ(retried->request.kind, SyncKind::Full);
  EXPECT_EQ(retried->request.oldestChange, t0 + seconds(5));
  EXPECT_EQ(retried->request.newestChange, t0 + seconds(7));
  const SyncStatus status = runner.status();
  EXPECT_FALSE(status.oldestPending);
  EXPECT_EQ(status.consecutiveFailures, 0);
  EXPECT_EQ(status.lastSuccess, t0 + seconds(10));
  EXPECT_EQ(status.lastFullSync, t0 + seconds(10));
}

TEST(SyncRunner, PeriodicSyncWithNothingQueuedCarriesNoChangeTime) {
  ManualClock clock;
  SyncRunner runner(periods(seconds(1), seconds(30)), clock);
  runner.notify();
  ASSERT_TRUE(runner.runDue([](const SyncRequest&) { return true; }));
  clock.advance(seconds(30));
  auto periodic = runner.runDue([](const SyncRequest&) { return true; });
  ASSERT_TRUE(periodic);
  EXPECT_EQ(periodic->request.reason, SyncReason::Periodic);
  EXPECT_FALSE(periodic->request.oldestChange);
  EXPECT_FALSE(periodic->request.newestChange);
}

TEST(SyncRunner, ExplicitMaxRetryDelayCapsTheBackoff) {
  ManualClock clock;
  SyncRunner runner(SyncRunnerOptions{.minSyncPeriod = Duration::zero(),
                                      .syncPeriod = seconds(30),
                                      .initialRetryDelay = milliseconds(100),
                                      .maxRetryDelay = milliseconds(300)},
                    clock);
  runner.notify();
  std::vector<Duration> delays;
  TimePoint last = clock.now();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(runner.runDue([](const SyncRequest&) { return false; }));
    ASSERT_TRUE(runner.nextDeadline());
    delays.push_back(*runner.nextDeadline() - last);
    last = *runner.nextDeadline();
    clock.set(last);
  }
  EXPECT_EQ(delays, (std::vector<Duration>{milliseconds(100), milliseconds(200), milliseconds(300),
                                           milliseconds(300), milliseconds(300)}));
}

}  // namespace
}  // namespace kpx
