// Agent: what the dataplane and the hooks are given across syncs. The agent runs on its own
// thread, as in `kpx run`; the test waits for the n-th sync (no sleeping) and then looks at what
// a fake dataplane recorded. The kernel is never touched.
#include "proxy/agent.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "proxy/build_state.h"
#include "tests/unit/proxy/test_support.h"
#include "tests/unit/waiting.h"

namespace kpx::test {
namespace {

struct Call {
  ProxyState desired;
  SyncKind kind = SyncKind::Incremental;
  StateChanges changes;
  bool ok = true;
};

// Records every sync and answers with the results queued (ok when none is).
class FakeDataplane final : public Dataplane {
 public:
  void failNext() {
    std::lock_guard lock(mutex_);
    results_.push_back(false);
  }
  std::vector<Call> calls() {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  DataplaneResult<Inventory> dump() override { return Inventory{}; }
  DataplaneResult<std::string> render(const ProxyState&) const override { return std::string(); }
  DataplaneResult<void> cleanup() override { return {}; }

  DataplaneResult<SyncReport> sync(const ProxyState& desired, SyncKind kind,
                                   const StateChanges& changes) override {
    std::lock_guard lock(mutex_);
    bool ok = true;
    if (!results_.empty()) {
      ok = results_.front();
      results_.pop_front();
    }
    calls_.push_back({desired, kind, changes, ok});
    changed_.notify_all();
    if (!ok)
      return tl::unexpected(DataplaneError{.errnum = EPERM,
                                           .operation = "sync",
                                           .object = "",
                                           .detail = "refused",
                                           .outcomeUnknown = false,
                                           .unsupported = false});
    return SyncReport{.messages = 1, .full = false};
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<bool> results_;
  std::vector<Call> calls_;
};

TEST(Agent, GivesTheDataplaneAndTheHooksTheChangesSinceTheLastSuccess) {
  FakeDataplane dataplane;
  SystemClock clock;  // the retries wait for real (1 ms)
  metrics::KubeProxyMetrics metrics;
  std::mutex mutex;
  std::condition_variable finishedChanged;
  size_t finished = 0;
  std::vector<std::pair<ProxyState, StateChanges>> applied;
  AgentHooks hooks;
  hooks.applied = [&](const ProxyState& after, const StateChanges& changes) {
    std::lock_guard lock(mutex);
    applied.emplace_back(after, changes);
  };
  hooks.finished = [&](const SyncOutcome&) {
    std::lock_guard lock(mutex);
    ++finished;
    finishedChanged.notify_all();
  };
  // False when fewer than n syncs finished within the time limit (a generous one: a loaded
  // machine). A finished sync has also updated the metrics and called the hooks.
  auto waitFor = [&](size_t n) {
    std::unique_lock lock(mutex);
    return finishedChanged.wait_for(lock, std::chrono::seconds(10), [&] { return finished >= n; });
  };
  AgentOptions options{.proxy = defaultConfig(),
                       .runner = {.minSyncPeriod = Duration::zero(),
                                  .syncPeriod = std::chrono::hours(1),
                                  .initialRetryDelay = std::chrono::milliseconds(1),
                                  .maxRetryDelay = std::chrono::milliseconds(1)}};
  const ProxyConfig config = options.proxy;
  Agent agent(std::move(options), dataplane, clock, metrics, hooks);
  std::jthread thread([&](std::stop_token stop) { agent.run(stop); });

  ClusterSnapshot cluster;  // what the agent's snapshot should hold
  auto push = [&](Object object) {
    upsert(cluster, object);
    agent.sink().upsert(std::move(object));
  };
  // Internal policy Local with the only endpoint on another node: counted by the metric.
  push(Service(makeService("ns", "web")
                   .clusterIP("10.96.0.10")
                   .port("dns", 53, UDP)
                   .internalPolicy(TrafficPolicy::Local)));
  push(makeSlice("ns", "web-1", "web")
           .port("dns", 5353, UDP)
           .endpoint(makeEndpoint("10.244.1.5").node("node-b")));
  push(Service(makeService("ns", "api").clusterIP("10.96.0.11").port("", 80)));
  agent.sink().synced();
  ASSERT_TRUE(waitFor(1));
  const ProxyState first = buildState(cluster, nullptr, config);
  auto calls = dataplane.calls();
  EXPECT_EQ(calls[0].kind, SyncKind::Full);
  EXPECT_EQ(calls[0].desired, first);
  expectSameChanges(calls[0].changes, changesBetween(ProxyState{}, first));
  EXPECT_EQ(metrics.noLocalEndpointsTotal->value({"IPv4", "internal"}), 1);

  // A change the kernel refuses, then the retry: it still carries the change, relative to the
  // state applied by the first sync.
  dataplane.failNext();
  push(makeSlice("ns", "web-1", "web")
           .port("dns", 5353, UDP)
           .endpoint(makeEndpoint("10.244.1.6").node("node-a")));
  ASSERT_TRUE(waitFor(3));
  const ProxyState second = buildState(cluster, nullptr, config);
  calls = dataplane.calls();
  EXPECT_FALSE(calls[1].ok);
  EXPECT_EQ(calls[1].kind, SyncKind::Incremental);
  EXPECT_TRUE(calls[2].ok);
  EXPECT_EQ(calls[2].kind, SyncKind::Full);  // after a failure
  EXPECT_EQ(calls[2].desired, second);
  for (size_t i = 1; i <= 2; ++i)
    expectSameChanges(calls[i].changes, changesBetween(first, second));
  EXPECT_EQ(calls[2].changes.before.size(), 1u);
  EXPECT_EQ(metrics.noLocalEndpointsTotal->value({"IPv4", "internal"}), 0);

  // A service removed: an incremental sync naming its port only.
  agent.sink().remove(ObjectKind::Service, "ns/api");
  remove(cluster, ObjectKind::Service, "ns/api");
  ASSERT_TRUE(waitFor(4));
  const ProxyState third = buildState(cluster, nullptr, config);
  calls = dataplane.calls();
  EXPECT_EQ(calls[3].kind, SyncKind::Incremental);
  EXPECT_EQ(calls[3].desired, third);
  expectSameChanges(calls[3].changes, changesBetween(second, third));

  thread.request_stop();
  thread.join();
  EXPECT_EQ(agent.desired(), third);
  // The hooks saw each successful sync with the same changes as the dataplane.
  ASSERT_EQ(applied.size(), 3u);
  const std::vector<size_t> successes = {0, 2, 3};
  for (size_t i = 0; i < applied.size(); ++i) {
    EXPECT_EQ(applied[i].first, calls[successes[i]].desired);
    expectSameChanges(applied[i].second, calls[successes[i]].changes);
  }
}

// Event arrival, event-to-kernel latency, the sync's duration and the *_timestamp_seconds metrics
// all come from the agent's one clock: on a ManualClock they are exact.
TEST(Agent, TimesEventsAndSyncsOnItsClock) {
  FakeDataplane dataplane;
  ManualClock clock;
  metrics::KubeProxyMetrics metrics;
  std::mutex mutex;
  std::condition_variable finishedChanged;
  size_t finished = 0;
  AgentHooks hooks;
  hooks.finished = [&](const SyncOutcome&) {
    std::lock_guard lock(mutex);
    ++finished;
    finishedChanged.notify_all();
  };
  AgentOptions options{
      .proxy = defaultConfig(),
      .runner = {.minSyncPeriod = Duration::zero(), .syncPeriod = std::chrono::hours(1)}};
  Agent agent(std::move(options), dataplane, clock, metrics, hooks);
  std::jthread thread([&](std::stop_token stop) { agent.run(stop); });

  agent.sink().upsert(Service(makeService("ns", "web").clusterIP("10.96.0.10").port("", 80)));
  clock.advance(std::chrono::milliseconds(250));
  agent.sink().upsert(Service(makeService("ns", "api").clusterIP("10.96.0.11").port("", 80)));
  clock.advance(std::chrono::milliseconds(250));
  agent.sink().synced();  // queued now, and synced at once: the clock stands still meanwhile
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(
        finishedChanged.wait_for(lock, kpx::test::kFailAfter, [&] { return finished >= 1; }));
  }
  ASSERT_EQ(dataplane.calls().size(), 1u);
  const double now =
      std::chrono::duration<double>(ManualClock::kWallStart.time_since_epoch()).count() + 0.5;
  for (IPFamily f : defaultConfig().families) {
    const std::string family = f == IPFamily::V4 ? "IPv4" : "IPv6";
    SCOPED_TRACE(family);
    const metrics::HistogramSnapshot programmed =
        metrics.networkProgrammingDuration->labels({family}).snapshot();
    EXPECT_EQ(programmed.count, 2u);
    EXPECT_DOUBLE_EQ(programmed.sum, 0.5 + 0.25);  // each event, from its arrival
    const metrics::HistogramSnapshot took =
        metrics.syncProxyRulesDuration->labels({family}).snapshot();
    EXPECT_EQ(took.count, 1u);
    EXPECT_DOUBLE_EQ(took.sum, 0.0);
    EXPECT_DOUBLE_EQ(metrics.syncProxyRulesLastQueuedTimestamp->value({family}), now);
    EXPECT_DOUBLE_EQ(metrics.syncProxyRulesLastTimestamp->value({family}), now);
  }
}

}  // namespace
}  // namespace kpx::test
