#include "proxy/health/proxier_health.h"

#include <gtest/gtest.h>

#include "proxy/health/clock.h"
#include "proxy/health/node_eligibility.h"

namespace kpx::health {
namespace {

using namespace std::chrono_literals;

class ProxierHealthTest : public ::testing::Test {
 protected:
  ManualClock clock;
  ProxierHealth health{60s};
};

TEST_F(ProxierHealthTest, HealthyWhileStartingEvenWithUpdatesQueued) {
  EXPECT_TRUE(health.health(instantOf(clock)).healthy);
  health.queuedUpdate(IPFamily::V4, instantOf(clock));
  clock.advance(10min);
  // Upstream only judges a proxier once it synced: the first sync may take long.
  const ProxyHealthStatus s = health.health(instantOf(clock));
  EXPECT_TRUE(s.healthy);
  EXPECT_FALSE(s.lastUpdated.has_value());
  EXPECT_TRUE(s.status.empty());
}

TEST_F(ProxierHealthTest, UnhealthyWhenAQueuedUpdateWaitsHealthTimeout) {
  health.updated(IPFamily::V4, instantOf(clock));
  const auto syncedAt = clock.wallNow();
  clock.advance(5s);
  health.queuedUpdate(IPFamily::V4, instantOf(clock));
  clock.advance(59s);
  EXPECT_TRUE(health.health(instantOf(clock)).healthy) << "59 s < 60 s";
  clock.advance(1s);
  const ProxyHealthStatus s = health.health(instantOf(clock));
  EXPECT_FALSE(s.healthy) << "exactly healthTimeout is late, as upstream (>=)";
  EXPECT_EQ(s.lastUpdated, syncedAt);
  EXPECT_FALSE(s.status.at(IPFamily::V4).healthy);
  EXPECT_EQ(s.status.at(IPFamily::V4).lastUpdated, syncedAt);

  health.updated(IPFamily::V4, instantOf(clock));
  EXPECT_TRUE(health.health(instantOf(clock)).healthy);
}

TEST_F(ProxierHealthTest, OnlyTheOldestPendingUpdateCounts) {
  health.updated(IPFamily::V4, instantOf(clock));
  health.queuedUpdate(IPFamily::V4, instantOf(clock));
  clock.advance(50s);
  health.queuedUpdate(IPFamily::V4, instantOf(clock));  // does not restart the wait
  clock.advance(10s);
  EXPECT_FALSE(health.health(instantOf(clock)).healthy);
}

TEST_F(ProxierHealthTest, NoPendingUpdateMeansHealthyHoweverOldTheLastSync) {
  health.updated(IPFamily::V4, instantOf(clock));
  clock.advance(24h);
  EXPECT_TRUE(health.health(instantOf(clock)).healthy);
}

TEST_F(ProxierHealthTest, OneLateFamilyMakesTheProxyUnhealthy) {
  health.updated(IPFamily::V4, instantOf(clock));
  health.updated(IPFamily::V6, instantOf(clock));
  clock.advance(1s);
  health.updated(IPFamily::V4, instantOf(clock));
  const auto v4At = clock.wallNow();
  health.queuedUpdate(IPFamily::V6, instantOf(clock));
  clock.advance(61s);
  const ProxyHealthStatus s = health.health(instantOf(clock));
  EXPECT_FALSE(s.healthy);
  EXPECT_TRUE(s.status.at(IPFamily::V4).healthy);
  EXPECT_FALSE(s.status.at(IPFamily::V6).healthy);
  EXPECT_EQ(s.lastUpdated, v4At) << "the most recent sync of any family";
}

TEST_F(ProxierHealthTest, WallClockStepsDoNotChangeTheDecision) {
  health.updated(IPFamily::V4, instantOf(clock));
  health.queuedUpdate(IPFamily::V4, instantOf(clock));
  clock.stepWall(2h);
  EXPECT_TRUE(health.health(instantOf(clock)).healthy);
  clock.advance(60s);
  EXPECT_FALSE(health.health(instantOf(clock)).healthy);
}

TEST_F(ProxierHealthTest, NodeEligibilityIsKeptSeparately) {
  EXPECT_TRUE(health.nodeEligible());
  health.setNodeEligible(false);
  EXPECT_FALSE(health.nodeEligible());
  EXPECT_TRUE(health.health(instantOf(clock)).healthy);
}

TEST(NodeEligibility, DeletionOrAutoscalerTaint) {
  EXPECT_TRUE(nodeEligible(false, {}));
  EXPECT_TRUE(nodeEligible(false, {"node.kubernetes.io/unschedulable"}));
  EXPECT_FALSE(nodeEligible(true, {}));
  EXPECT_FALSE(nodeEligible(false, {"a", "ToBeDeletedByClusterAutoscaler"}));
  // Only the exact key: upstream compares taint.Key with ==.
  EXPECT_TRUE(nodeEligible(
      false, {"tobedeletedbyclusterautoscaler", "DeletionCandidateOfClusterAutoscaler"}));
}

TEST(NodeEligibility, FromTheNodeModel) {
  Node node;
  node.meta.name = "node-1";
  EXPECT_TRUE(nodeEligible(node));
  node.taintKeys = {"node.kubernetes.io/not-ready", "ToBeDeletedByClusterAutoscaler"};
  EXPECT_FALSE(nodeEligible(node));
  node.taintKeys.clear();
  node.deleting = true;
  EXPECT_FALSE(nodeEligible(node));
}

}  // namespace
}  // namespace kpx::health
