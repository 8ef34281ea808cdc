// ConntrackCleaner (proxy/cmd) over a fake conntrack table: the first sync after a start
// reconciles (deleting only what is stale), later syncs clean from their changes, and a failed
// cleanup (opening the table, a delete) is retried after the next successful sync, logged once.
#include "proxy/cmd/conntrack_cleaner.h"

#include <gtest/gtest.h>
#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/log.h"
#include "tests/unit/proxy/test_support.h"

namespace kpx::test {
namespace {

using cmd::ConntrackCleaner;
using cmd::ConntrackEntries;
using conntrack::ConntrackError;

// A conntrack table of flows, each with a name for the assertions. Deletes as the kernel side
// does (a filter matches, or the reconcile finds the flow stale); fails the calls it is told to.
class FakeConntrack final : public ConntrackEntries {
 public:
  struct Call {
    std::vector<ConntrackFilter> filters;
    bool reconcile = false;
  };
  struct State {
    std::vector<std::pair<std::string, ConntrackFlow>> flows;
    std::deque<std::optional<ConntrackError>> failures;  // front: the next call's fate
    std::vector<Call> calls;
  };
  explicit FakeConntrack(State& state) : s_(state) {}

  tl::expected<size_t, ConntrackError> deleteStale(const std::vector<ConntrackFilter>& filters,
                                                   const ConntrackReconcile* reconcile) override {
    s_.calls.push_back({filters, reconcile != nullptr});
    if (!s_.failures.empty()) {
      std::optional<ConntrackError> failure = std::move(s_.failures.front());
      s_.failures.pop_front();
      if (failure) return tl::unexpected(std::move(*failure));
    }
    const size_t before = s_.flows.size();
    std::erase_if(s_.flows, [&](const auto& named) {
      const ConntrackFlow& f = named.second;
      if (reconcile != nullptr && reconcile->isStale(f)) return true;
      return std::any_of(filters.begin(), filters.end(),
                         [&](const ConntrackFilter& x) { return x.matches(f); });
    });
    return before - s_.flows.size();
  }

 private:
  State& s_;
};

EndpointState ep(std::string_view address, uint16_t port = 5353) {
  EndpointState e;
  e.ip = ip(address);
  e.port = port;
  return e;
}

ServicePortState udpPort(std::string name, std::string_view vip, std::vector<EndpointState> eps,
                         uint16_t nodePort = 0) {
  ServicePortState sp;
  sp.key = {.namespace_ = "ns",
            .name = std::move(name),
            .portName = "dns",
            .protocol = Protocol::UDP,
            .family = IPFamily::V4};
  sp.clusterIP = ip(vip);
  sp.port = 53;
  sp.nodePort = nodePort;
  sp.internal.endpoints = eps;
  sp.external.endpoints = std::move(eps);
  return sp;
}

ProxyState stateOf(std::vector<ServicePortState> ports) {
  ProxyState s;
  for (ServicePortState& sp : ports) {
    ServicePortKey k = sp.key;
    s.servicePorts.emplace(std::move(k), std::move(sp));
  }
  return s;
}

ConntrackFlow answered(std::string_view dst, uint16_t dport, std::string_view replySrc,
                       uint16_t replyPort, uint8_t proto = IPPROTO_UDP) {
  return {.family = ip(dst).family(),
          .protocol = proto,
          .origDst = ip(dst),
          .origDstPort = dport,
          .replySrc = ip(replySrc),
          .replySrcPort = replyPort};
}

ConntrackError failure(int errnum, std::string operation) {
  return {.errnum = errnum, .operation = std::move(operation), .object = {}, .deleted = 0};
}

const EndpointState kA = ep("10.244.1.5");
const EndpointState kB = ep("10.244.2.6");
const EndpointState kC = ep("10.244.3.7");

class ConntrackCleanerTest : public ::testing::Test {
 protected:
  // Syncs to `next` from the state of the previous call, as the agent reports it.
  void sync(const ProxyState& next) {
    const bool first = !previous_;
    const StateChanges changes = changesBetween(previous_.value_or(ProxyState{}), next);
    cleaner_.afterSync(next, changes, first);
    previous_ = next;
  }
  std::set<std::string> flowsLeft() const {
    std::set<std::string> out;
    for (const auto& [name, flow] : table_.flows) out.insert(name);
    return out;
  }

  FakeConntrack::State table_;
  ConntrackCleaner cleaner_{std::make_unique<FakeConntrack>(table_)};
  std::optional<ProxyState> previous_;
};

TEST_F(ConntrackCleanerTest, FirstSyncReconcilesAndKeepsFlowsToCurrentEndpoints) {
  table_.flows = {
      {"vip->A", answered("10.96.0.10", 53, "10.244.1.5", 5353)},
      {"vip->gone", answered("10.96.0.10", 53, "10.244.9.9", 5353)},
      {"vip unNATed", answered("10.96.0.10", 53, "10.96.0.10", 53)},
      {"nodeport->B", answered("192.168.1.1", 30053, "10.244.2.6", 5353)},
      {"nodeport unNATed", answered("192.168.1.1", 30053, "192.168.1.1", 30053)},
      {"tcp vip->gone", answered("10.96.0.10", 53, "10.244.9.9", 5353, IPPROTO_TCP)},
      {"unknown vip", answered("10.96.0.99", 53, "10.244.9.9", 5353)},
  };
  sync(stateOf({udpPort("dns", "10.96.0.10", {kA, kB}, 30053)}));
  ASSERT_EQ(table_.calls.size(), 1u);
  EXPECT_TRUE(table_.calls[0].reconcile);
  // Not the filters of "every port is new": those would name every frontend whole.
  EXPECT_TRUE(table_.calls[0].filters.empty());
  EXPECT_EQ(flowsLeft(),
            (std::set<std::string>{"vip->A", "nodeport->B", "tcp vip->gone", "unknown vip"}));
  EXPECT_FALSE(cleaner_.retryPending());
}

TEST_F(ConntrackCleanerTest, LaterSyncsCleanFromTheirChanges) {
  sync(stateOf({udpPort("dns", "10.96.0.10", {kA, kB})}));
  table_.flows = {{"vip->A", answered("10.96.0.10", 53, "10.244.1.5", 5353)},
                  {"vip->B", answered("10.96.0.10", 53, "10.244.2.6", 5353)}};
  sync(stateOf({udpPort("dns", "10.96.0.10", {kB})}));
  ASSERT_EQ(table_.calls.size(), 2u);
  EXPECT_FALSE(table_.calls[1].reconcile);
  ASSERT_EQ(table_.calls[1].filters.size(), 1u);
  EXPECT_EQ(table_.calls[1].filters[0].str(),
            "IPv4 udp orig-dst=10.96.0.10 orig-port-dst=53 reply-src=10.244.1.5");
  EXPECT_EQ(flowsLeft(), (std::set<std::string>{"vip->B"}));

  // A sync that changes nothing asks nothing of the kernel.
  sync(stateOf({udpPort("dns", "10.96.0.10", {kB})}));
  EXPECT_EQ(table_.calls.size(), 2u);
}

TEST_F(ConntrackCleanerTest, NoUdpFrontendNoKernelRequest) {
  ServicePortState web = udpPort("web", "10.96.0.70", {kA});
  web.key.protocol = Protocol::TCP;
  sync(stateOf({web}));
  sync(ProxyState{});
  EXPECT_TRUE(table_.calls.empty());
}

TEST_F(ConntrackCleanerTest, FailedOpenIsRetriedAfterTheNextSuccessfulSync) {
  table_.failures = {failure(EPROTONOSUPPORT, "open ctnetlink socket")};
  table_.flows = {{"vip->A", answered("10.96.0.10", 53, "10.244.1.5", 5353)},
                  {"vip->gone", answered("10.96.0.10", 53, "10.244.9.9", 5353)}};
  const ProxyState state = stateOf({udpPort("dns", "10.96.0.10", {kA})});
  sync(state);
  EXPECT_TRUE(cleaner_.retryPending());
  EXPECT_EQ(flowsLeft(), (std::set<std::string>{"vip->A", "vip->gone"}));

  sync(state);  // nothing changed: the retry alone
  ASSERT_EQ(table_.calls.size(), 2u);
  EXPECT_TRUE(table_.calls[1].reconcile);
  EXPECT_EQ(flowsLeft(), (std::set<std::string>{"vip->A"}));
  EXPECT_FALSE(cleaner_.retryPending());

  sync(state);
  EXPECT_EQ(table_.calls.size(), 2u);  // and then nothing more is owed
}

TEST_F(ConntrackCleanerTest, FailedDeleteOfAGoneServiceIsRetriedWithItsFilters) {
  sync(stateOf({udpPort("dns", "10.96.0.10", {kA}, 30053)}));
  table_.flows = {{"vip->A", answered("10.96.0.10", 53, "10.244.1.5", 5353)},
                  {"nodeport->A", answered("192.168.1.1", 30053, "10.244.1.5", 5353)},
                  {"other->A", answered("10.96.0.11", 53, "10.244.1.5", 5353)}};
  table_.failures = {failure(EPERM, "delete")};
  sync(stateOf({udpPort("other", "10.96.0.11", {kA})}));  // dns deleted, another service added
  EXPECT_EQ(flowsLeft().size(), 3u);

  // The reconcile cannot see the deleted service; the failed filters, still naming an endpoint
  // its frontends do not have, are retried with it.
  sync(stateOf({udpPort("other", "10.96.0.11", {kA})}));
  ASSERT_EQ(table_.calls.size(), 3u);
  EXPECT_TRUE(table_.calls[2].reconcile);
  EXPECT_EQ(table_.calls[2].filters.size(), 2u);
  EXPECT_EQ(flowsLeft(), (std::set<std::string>{"other->A"}));
}

TEST_F(ConntrackCleanerTest, RetryNeverDeletesFlowsToAnEndpointThatCameBack) {
  sync(stateOf({udpPort("dns", "10.96.0.10", {kA, kB})}));
  table_.failures = {failure(ENOBUFS, "receive delete acks")};
  sync(stateOf({udpPort("dns", "10.96.0.10", {kB})}));  // A goes; its cleanup fails
  // A is back before the retry, and a client reaches it again.
  table_.flows = {{"vip->A", answered("10.96.0.10", 53, "10.244.1.5", 5353)},
                  {"vip->B", answered("10.96.0.10", 53, "10.244.2.6", 5353)},
                  {"vip->gone", answered("10.96.0.10", 53, "10.244.9.9", 5353)}};
  sync(stateOf({udpPort("dns", "10.96.0.10", {kA, kB})}));
  ASSERT_EQ(table_.calls.size(), 3u);
  EXPECT_TRUE(table_.calls[2].reconcile);
  EXPECT_TRUE(table_.calls[2].filters.empty()) << table_.calls[2].filters[0].str();
  EXPECT_EQ(flowsLeft(), (std::set<std::string>{"vip->A", "vip->B"}));
}

TEST_F(ConntrackCleanerTest, RetryOfAFirstEndpointKeepsFlowsDnatedSince) {
  sync(stateOf({udpPort("dns", "10.96.0.10", {})}));
  table_.flows = {{"unNATed", answered("10.96.0.10", 53, "10.96.0.10", 53)}};
  table_.failures = {failure(EINTR, "dump IPv4 protocol 17")};
  sync(stateOf({udpPort("dns", "10.96.0.10", {kA})}));  // first endpoint; the cleanup fails
  EXPECT_EQ(flowsLeft(), (std::set<std::string>{"unNATed"}));
  // Meanwhile a new client's flow is DNATed to A by the new rules.
  table_.flows.push_back({"new->A", answered("10.96.0.10", 53, "10.244.1.5", 5353)});
  sync(stateOf({udpPort("dns", "10.96.0.10", {kA})}));
  EXPECT_EQ(flowsLeft(), (std::set<std::string>{"new->A"}));
}

TEST_F(ConntrackCleanerTest, EachFailureIsLoggedOnce) {
  const ProxyState state = stateOf({udpPort("dns", "10.96.0.10", {kA})});
  // The same failure on another dump is the same failure.
  table_.failures = {failure(EPERM, "dump IPv4 protocol 17"),
                     failure(EPERM, "dump IPv4 protocol 17 to 10.96.0.10 port 53"),
                     failure(EPERM, "dump IPv6 protocol 17"),
                     failure(ENOBUFS, "receive delete acks"), std::nullopt};
  auto logged = [&](int syncs) {
    ::testing::internal::CaptureStderr();
    for (int i = 0; i < syncs; ++i) sync(state);
    return ::testing::internal::GetCapturedStderr();
  };
  auto count = [](const std::string& text, std::string_view what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  };
  const std::string firstThree = logged(3);
  EXPECT_EQ(count(firstThree, "conntrack cleanup failed"), 1u) << firstThree;
  EXPECT_EQ(count(firstThree, "Operation not permitted"), 1u) << firstThree;
  const std::string another = logged(1);
  EXPECT_EQ(count(another, "conntrack cleanup failed"), 1u) << another;
  EXPECT_EQ(count(another, "receive delete acks"), 1u) << another;
  const std::string recovered = logged(2);
  EXPECT_EQ(count(recovered, "succeeded after failing"), 1u) << recovered;
  EXPECT_EQ(count(recovered, "conntrack cleanup failed"), 0u) << recovered;
  EXPECT_EQ(table_.calls.size(), 5u);  // one attempt per sync until one succeeded
  EXPECT_FALSE(cleaner_.retryPending());
}

}  // namespace
}  // namespace kpx::test
