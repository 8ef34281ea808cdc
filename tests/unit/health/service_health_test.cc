#include "proxy/health/service_health.h"

#include <gtest/gtest.h>

namespace kpx::health {
namespace {

const ServiceName a{"ns", "a"};
const ServiceName b{"ns", "b"};
const ServiceName c{"other", "c"};

using Pairs = std::vector<std::pair<ServiceName, uint16_t>>;

TEST(DiffListeners, OpensNewClosesGoneKeepsUnchanged) {
  const std::map<ServiceName, uint16_t> bound = {{a, 30001}, {b, 30002}};
  const ServiceHealthChecks desired = {{a, {30001, 5}}, {c, {30003, 0}}};
  const ListenerChanges ch = diffListeners(bound, desired);
  EXPECT_EQ(ch.close, (Pairs{{b, 30002}}));
  EXPECT_EQ(ch.open, (Pairs{{c, 30003}}));
}

TEST(DiffListeners, EndpointCountChangesNeverRebind) {
  const std::map<ServiceName, uint16_t> bound = {{a, 30001}};
  const ListenerChanges ch = diffListeners(bound, {{a, {30001, 0}}});
  EXPECT_TRUE(ch.close.empty());
  EXPECT_TRUE(ch.open.empty());
}

TEST(DiffListeners, PortChangeClosesThenOpens) {
  const ListenerChanges ch = diffListeners({{a, 30001}}, {{a, {30005, 1}}});
  EXPECT_EQ(ch.close, (Pairs{{a, 30001}}));
  EXPECT_EQ(ch.open, (Pairs{{a, 30005}}));
}

TEST(DiffListeners, PortMovingBetweenServices) {
  // b takes a's old port in the same sync: closes come first, so the bind can succeed.
  const ListenerChanges ch = diffListeners({{a, 30001}}, {{a, {30002, 1}}, {b, {30001, 1}}});
  EXPECT_EQ(ch.close, (Pairs{{a, 30001}}));
  EXPECT_EQ(ch.open, (Pairs{{a, 30002}, {b, 30001}}));
}

TEST(DiffListeners, NoPortMeansNoListenerAndUnboundWantedPortsAreRetried) {
  const ListenerChanges ch = diffListeners({}, {{a, {0, 3}}, {b, {30002, 1}}});
  EXPECT_TRUE(ch.close.empty());
  EXPECT_EQ(ch.open, (Pairs{{b, 30002}}));
  // Same input again (b failed to bind and is not in `bound`): asked again.
  EXPECT_EQ(diffListeners({}, {{b, {30002, 1}}}).open, (Pairs{{b, 30002}}));
}

}  // namespace
}  // namespace kpx::health
