// The backend contract: one suite, every backend (dataplane/fake without root; nftables in a
// fresh network namespace; iptables and ipvs join as they land). After every step the kernel,
// read back by dump(), holds exactly expectedInventory() of the state last synced.
#include <gtest/gtest.h>

#include "proxy/diffing_sync.h"
#include "proxy/inventory.h"
#include "tests/contract/backends.h"
#include "tests/kernel/state_builder.h"

namespace kpx::contract {
namespace {

using testing::addr;
using testing::endpoint;
using testing::PortBuilder;
using testing::put;
using testing::stateOf;

// One service port of each shape a backend programs differently.
ProxyState sampleState() {
  return stateOf(
      testing::defaultGlobal(),
      {PortBuilder("default", "web", "http", "10.96.0.10", 80)
           .endpoints({endpoint("10.244.1.2", 8080), endpoint("10.244.2.3", 8080)}),
       PortBuilder("default", "np", "http", "10.96.0.20", 80)
           .nodePort(30080)
           .endpoints({endpoint("10.244.1.4", 8080)}),
       PortBuilder("default", "dns", "dns", "10.96.0.30", 53, Protocol::UDP)
           .externalIP("192.0.2.10")
           .endpoints({endpoint("10.244.1.5", 5353)}),
       PortBuilder("default", "lb", "https", "10.96.0.40", 443)
           .nodePort(30443)
           .loadBalancer("198.51.100.7", {"203.0.113.0/24"})
           .affinity(10800)
           .endpoints({endpoint("10.244.1.6", 8443), endpoint("10.244.2.7", 8443)}),
       PortBuilder("default", "empty", "http", "10.96.0.50", 80),
       PortBuilder("default", "local", "http", "10.96.0.60", 80)
           .nodePort(30060)
           .externalPolicyLocal()
           .endpoints({endpoint("10.244.3.8", 8080)})
           .externalEndpoints({}, EmptyAction::Drop),
       PortBuilder("default", "web6", "http", "fd00:96::10", 80)
           .endpoints({endpoint("fd00:10:244:1::2", 8080)})});
}

ServicePortState& port(ProxyState& s, const std::string& name) {
  for (auto& [key, sp] : s.servicePorts)
    if (key.name == name) return sp;
  ADD_FAILURE() << "no port " << name;
  return s.servicePorts.begin()->second;
}

template <typename Backend>
class BackendContract : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = backend_.unmet()) GTEST_SKIP() << Backend::kName << ": " << *why;
    backend_.setUp();
  }

  // dump() from a backend that never synced: the kernel alone, no process state.
  Inventory kernelHolds() {
    auto inv = backend_.make()->dump();
    EXPECT_TRUE(inv) << (inv ? "" : inv.error().str());
    return inv ? *inv : Inventory{};
  }

  void expectKernelHolds(const ProxyState& state, const std::string& step) {
    const Inventory got = kernelHolds();
    EXPECT_EQ(inventoryDifferences(expectedInventory(state), got), std::vector<std::string>{})
        << step << "\n" << got.raw;
    EXPECT_TRUE(got == expectedInventory(state)) << step;
  }

  SyncReport syncOk(DiffingSync& sync, const ProxyState& state, SyncKind kind) {
    auto r = sync.sync(state, kind);
    EXPECT_TRUE(r) << (r ? "" : r.error().str());
    return r ? *r : SyncReport{};
  }

  Backend backend_;
};

using Backends = ::testing::Types<FakeBackend, NftablesBackend>;
class BackendNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return T::kName;
  }
};
TYPED_TEST_SUITE(BackendContract, Backends, BackendNames);

TYPED_TEST(BackendContract, FullSyncProgramsTheDesiredState) {
  auto dp = this->backend_.make();
  DiffingSync sync(*dp);
  const ProxyState state = sampleState();
  const SyncReport r = this->syncOk(sync, state, SyncKind::Full);
  EXPECT_TRUE(r.full);
  EXPECT_GT(r.messages, 0U);
  this->expectKernelHolds(state, "after a full sync");
  // The process's own dump() agrees with a fresh reader's.
  auto own = dp->dump();
  ASSERT_TRUE(own);
  EXPECT_TRUE(*own == expectedInventory(state));
}

TYPED_TEST(BackendContract, IncrementalSyncsFollowEveryKindOfChange) {
  auto dp = this->backend_.make();
  DiffingSync sync(*dp);
  ProxyState state = sampleState();
  this->syncOk(sync, state, SyncKind::Full);

  struct Step {
    const char* what;
    std::function<void(ProxyState&)> edit;
  };
  const std::vector<Step> steps = {
      {"an endpoint replaced",
       [](ProxyState& s) {
         auto& web = port(s, "web");
         web.internal.endpoints[1] = endpoint("10.244.9.9", 8080);
         web.external.endpoints = web.internal.endpoints;
       }},
      {"an endpoint added",
       [](ProxyState& s) {
         auto& np = port(s, "np");
         np.internal.endpoints.push_back(endpoint("10.244.9.10", 8080));
         np.external.endpoints = np.internal.endpoints;
       }},
      {"the last endpoint gone (reject)",
       [](ProxyState& s) {
         auto& dns = port(s, "dns");
         dns.internal.endpoints.clear();
         dns.external.endpoints.clear();
       }},
      {"endpoints for a port that had none",
       [](ProxyState& s) {
         auto& empty = port(s, "empty");
         empty.internal.endpoints = empty.external.endpoints = {endpoint("10.244.5.5", 8080)};
       }},
      {"affinity turned off",
       [](ProxyState& s) { port(s, "lb").affinityTimeoutSeconds.reset(); }},
      {"a local endpoint appears for eTP=Local",
       [](ProxyState& s) {
         port(s, "local").external.endpoints = {endpoint("10.244.3.8", 8080, true)};
       }},
      {"a port added",
       [](ProxyState& s) {
         put(s, PortBuilder("other", "new", "", "10.96.1.1", 8080)
                    .externalIP("192.0.2.77")
                    .endpoints({endpoint("10.244.7.1", 80)}));
       }},
      {"a port removed",
       [](ProxyState& s) {
         for (auto it = s.servicePorts.begin(); it != s.servicePorts.end(); ++it)
           if (it->first.name == "np") {
             s.servicePorts.erase(it);
             break;
           }
       }},
      {"an IPv6 port changed",
       [](ProxyState& s) { port(s, "web6").internal.endpoints.push_back(endpoint("fd00:10:244:2::3", 8080)); }},
  };
  for (const auto& step : steps) {
    step.edit(state);
    const SyncReport r = this->syncOk(sync, state, SyncKind::Incremental);
    EXPECT_FALSE(r.full) << step.what;
    EXPECT_GT(r.messages, 0U) << step.what;
    this->expectKernelHolds(state, step.what);
  }
  // Nothing changed: nothing sent.
  const SyncReport idle = this->syncOk(sync, state, SyncKind::Incremental);
  EXPECT_EQ(idle.messages, 0U);
  EXPECT_FALSE(idle.full);
}

TYPED_TEST(BackendContract, VerifyRewritesOnlyWhatWasChangedOutside) {
  auto dp = this->backend_.make();
  DiffingSync sync(*dp);
  const ProxyState state = sampleState();
  this->syncOk(sync, state, SyncKind::Full);

  const size_t before = this->backend_.writes();
  const SyncReport intact = this->syncOk(sync, state, SyncKind::Verify);
  EXPECT_FALSE(intact.full);
  EXPECT_EQ(intact.messages, 0U);
  EXPECT_EQ(this->backend_.writes(), before) << "a Verify of intact rules writes nothing";

  this->backend_.tamper();
  const Inventory tampered = this->kernelHolds();
  EXPECT_FALSE(tampered == expectedInventory(state)) << "the tamper removed nothing";
  const SyncReport repaired = this->syncOk(sync, state, SyncKind::Verify);
  EXPECT_TRUE(repaired.full);
  this->expectKernelHolds(state, "after a Verify repaired the rules");
}

TYPED_TEST(BackendContract, ARestartAdoptsTheRulesWithoutWriting) {
  const ProxyState state = sampleState();
  {
    auto first = this->backend_.make();
    DiffingSync sync(*first);
    this->syncOk(sync, state, SyncKind::Full);
  }  // the process goes away; its rules stay
  this->expectKernelHolds(state, "after the first process ended");
  const size_t before = this->backend_.writes();
  auto second = this->backend_.make();
  DiffingSync sync(*second);
  const SyncReport r = this->syncOk(sync, state, SyncKind::Full);
  EXPECT_TRUE(r.full);
  EXPECT_EQ(r.messages, 0U);
  EXPECT_EQ(this->backend_.writes(), before) << "adopting must not write";
  this->expectKernelHolds(state, "after the restart");

  // A restart onto different rules (the cluster changed meanwhile) rewrites them.
  ProxyState changed = state;
  port(changed, "web").internal.endpoints.pop_back();
  port(changed, "web").external.endpoints = port(changed, "web").internal.endpoints;
  auto third = this->backend_.make();
  DiffingSync again(*third);
  const SyncReport rewrite = this->syncOk(again, changed, SyncKind::Full);
  EXPECT_TRUE(rewrite.full);
  EXPECT_GT(rewrite.messages, 0U);
  this->expectKernelHolds(changed, "after a restart onto a changed cluster");
}

TYPED_TEST(BackendContract, ForeignObjectsAreNeverTouched) {
  this->backend_.addForeignObjects();
  const std::string foreign = this->backend_.foreignObjects();
  ASSERT_FALSE(foreign.empty());
  auto dp = this->backend_.make();
  DiffingSync sync(*dp);
  ProxyState state = sampleState();
  this->syncOk(sync, state, SyncKind::Full);
  EXPECT_EQ(this->backend_.foreignObjects(), foreign) << "full sync";
  port(state, "web").internal.endpoints.pop_back();
  port(state, "web").external.endpoints.pop_back();
  this->syncOk(sync, state, SyncKind::Incremental);
  EXPECT_EQ(this->backend_.foreignObjects(), foreign) << "incremental sync";
  this->backend_.tamper();
  this->syncOk(sync, state, SyncKind::Verify);
  EXPECT_EQ(this->backend_.foreignObjects(), foreign) << "repair";
  ASSERT_TRUE(dp->cleanup());
  EXPECT_EQ(this->backend_.foreignObjects(), foreign) << "cleanup";
  // kpx's dump shows none of it.
  EXPECT_TRUE(this->kernelHolds().ports.empty());
}

TYPED_TEST(BackendContract, CleanupRemovesEverythingAndIsIdempotent) {
  auto dp = this->backend_.make();
  DiffingSync sync(*dp);
  const ProxyState state = sampleState();
  this->syncOk(sync, state, SyncKind::Full);
  ASSERT_TRUE(dp->cleanup());
  EXPECT_TRUE(this->kernelHolds().ports.empty());
  auto again = dp->cleanup();
  EXPECT_TRUE(again) << (again ? "" : again.error().str());
  auto fresh = this->backend_.make()->cleanup();
  EXPECT_TRUE(fresh) << (fresh ? "" : fresh.error().str());
  EXPECT_TRUE(this->kernelHolds().ports.empty());
  // The next sync after a cleanup programs everything, whatever its kind.
  auto r = dp->sync(state, SyncKind::Incremental, StateChanges{});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_TRUE(r->full);
  this->expectKernelHolds(state, "after cleanup and a sync");
}

TYPED_TEST(BackendContract, AFailedSyncLeavesThePreviousRulesAndTheNextIsFull) {
  auto dp = this->backend_.make();
  DiffingSync sync(*dp);
  const ProxyState before = sampleState();
  this->syncOk(sync, before, SyncKind::Full);

  ProxyState after = before;
  auto& web = port(after, "web");
  web.internal.endpoints[0] = endpoint("10.244.8.8", 8080);
  web.external.endpoints = web.internal.endpoints;
  port(after, "dns").internal.endpoints.clear();
  port(after, "dns").external.endpoints.clear();
  const StateChanges changes = changesBetween(before, after);

  this->backend_.refuseNextIncremental();
  auto refused = dp->sync(after, SyncKind::Incremental, changes);
  ASSERT_FALSE(refused) << "the kernel was set up to refuse this transaction";
  EXPECT_NE(refused.error().errnum, 0) << refused.error().str();
  this->expectKernelHolds(before, "after the refused sync: the previous rules stay");

  auto retried = dp->sync(after, SyncKind::Incremental, changes);
  ASSERT_TRUE(retried) << retried.error().str();
  EXPECT_TRUE(retried->full) << "the sync after a failure is full";
  this->expectKernelHolds(after, "after the retry");
}

// The fake alone can lose an ack: the kernel applied the change, the backend cannot know.
TEST(FakeBackendContract, AnUnknownOutcomeIsReportedAndTheNextSyncIsFull) {
  fake::FakeKernel kernel;
  fake::FakeDataplane dp(kernel);
  DiffingSync sync(dp);
  ProxyState state = sampleState();
  ASSERT_TRUE(sync.sync(state, SyncKind::Full));
  port(state, "web").internal.endpoints.pop_back();
  port(state, "web").external.endpoints.pop_back();
  kernel.loseAck(1, /*appliedAnyway=*/true);
  auto lost = dp.sync(state, SyncKind::Incremental, changesBetween(sampleState(), state));
  ASSERT_FALSE(lost);
  EXPECT_TRUE(lost.error().outcomeUnknown);
  auto next = dp.sync(state, SyncKind::Incremental, StateChanges{});
  ASSERT_TRUE(next) << next.error().str();
  EXPECT_TRUE(next->full);
  EXPECT_TRUE(*dp.dump() == expectedInventory(state));
}

}  // namespace
}  // namespace kpx::contract
