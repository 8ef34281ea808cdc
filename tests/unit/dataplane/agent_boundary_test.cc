// The other side of the Dataplane contract: should a backend throw anyway, the agent's sync
// thread survives. The sync fails like a refused one (logged, counted in
// kubeproxy_sync_proxy_rules_nftables_sync_failures_total) and is retried in full. A binary of
// its own: it links the agent, the rest of this folder only the dataplane.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "proxy/agent.h"

namespace kpx {
namespace {

// Throws from its first sync, succeeds afterwards; records the kinds it was asked for.
class ThrowingDataplane final : public Dataplane {
 public:
  DataplaneResult<SyncReport> sync(const ProxyState&, SyncKind kind, const StateChanges&) override {
    std::lock_guard lock(mutex_);
    kinds_.push_back(kind);
    if (kinds_.size() == 1) throw std::runtime_error("backend bug");
    if (kinds_.size() == 2) throw 7;  // not even a std::exception
    return SyncReport{.messages = 1, .full = kind == SyncKind::Full};
  }
  DataplaneResult<Inventory> dump() override { return Inventory{}; }
  DataplaneResult<std::string> render(const ProxyState&) const override { return std::string(); }
  DataplaneResult<void> cleanup() override { return {}; }

  std::vector<SyncKind> kinds() {
    std::lock_guard lock(mutex_);
    return kinds_;
  }

 private:
  std::mutex mutex_;
  std::vector<SyncKind> kinds_;
};

TEST(AgentBoundaryTest, AnExceptionFromTheDataplaneIsAFailedSyncNotADeadThread) {
  ThrowingDataplane dataplane;
  SystemClock clock;  // the retries wait for real (1 ms)
  metrics::KubeProxyMetrics metrics;
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<bool> outcomes;
  AgentHooks hooks;
  hooks.finished = [&](const SyncOutcome& o) {
    std::lock_guard lock(mutex);
    outcomes.push_back(o.ok);
    changed.notify_all();
  };
  AgentOptions options{.proxy = {},
                       .runner = {.minSyncPeriod = Duration::zero(),
                                  .syncPeriod = std::chrono::hours(1),
                                  .initialRetryDelay = std::chrono::milliseconds(1),
                                  .maxRetryDelay = std::chrono::milliseconds(1)},
                       .mode = ProxyMode::NFTables};
  options.proxy.nodeName = "node-a";
  options.proxy.families = {IPFamily::V4};
  Agent agent(std::move(options), dataplane, clock, metrics, hooks);
  std::jthread thread([&](std::stop_token stop) { agent.run(stop); });
  agent.sink().synced();  // the first complete view: a full sync

  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(
        changed.wait_for(lock, std::chrono::seconds(10), [&] { return outcomes.size() >= 3; }))
        << outcomes.size() << " syncs finished";
    EXPECT_EQ(outcomes[0], false);
    EXPECT_EQ(outcomes[1], false);
    EXPECT_EQ(outcomes[2], true);  // the thread lived on and retried
  }
  thread.request_stop();
  thread.join();
  const auto kinds = dataplane.kinds();
  ASSERT_GE(kinds.size(), 3U);
  EXPECT_EQ(kinds[1], SyncKind::Full);  // a retry after a failure is full
  EXPECT_EQ(kinds[2], SyncKind::Full);
  EXPECT_EQ(metrics.nftablesSyncFailuresTotal->value({"IPv4"}), 2);
}

}  // namespace
}  // namespace kpx
