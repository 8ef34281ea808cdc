// diff(): which service ports were added, removed or changed, and whether globals changed.
#include <gtest/gtest.h>

#include "proxy/build_state.h"
#include "proxy/diff.h"
#include "tests/unit/proxy/test_support.h"

namespace kpx::test {
namespace {

ServicePortKey key(std::string name, IPFamily family = IPFamily::V4) {
  return {.namespace_ = "ns",
          .name = std::move(name),
          .portName = "",
          .protocol = TCP,
          .family = family};
}

// A service port with one endpoint; enough to tell states apart.
ServicePortState portState(const ServicePortKey& k, std::string_view endpoint = "10.1.0.1") {
  ServicePortState sp;
  sp.key = k;
  sp.clusterIP = ip(k.family == IPFamily::V4 ? "10.96.0.10" : "fd00:96::10");
  sp.port = 80;
  EndpointState e;
  e.ip = ip(endpoint);
  e.port = 8080;
  sp.internal.endpoints.push_back(e);
  return sp;
}

ProxyState stateOf(std::vector<ServicePortState> ports) {
  ProxyState state;
  for (ServicePortState& sp : ports) {
    ServicePortKey k = sp.key;
    state.servicePorts.emplace(std::move(k), std::move(sp));
  }
  return state;
}

struct Case {
  std::string name = {};
  ProxyState prev = {};
  ProxyState next = {};
  std::vector<ServicePortKey> added = {};
  std::vector<ServicePortKey> removed = {};
  std::vector<ServicePortKey> changed = {};
  bool globalChanged = false;
};

TEST(Diff, Table) {
  ServicePortState dropping = portState(key("b"));
  dropping.internal = {.endpoints = {}, .ifEmpty = EmptyAction::Drop};
  ServicePortState rejecting = portState(key("b"));
  rejecting.internal = {.endpoints = {}, .ifEmpty = EmptyAction::Reject};
  ProxyState masqAll = stateOf({portState(key("a"))});
  masqAll.global.masqueradeAll = true;

  const std::vector<Case> cases = {
      {.name = "empty to empty"},
      {.name = "identical states: no change",
       .prev = stateOf({portState(key("a")), portState(key("b"))}),
       .next = stateOf({portState(key("a")), portState(key("b"))})},
      {.name = "added, sorted by key",
       .prev = stateOf({portState(key("b"))}),
       .next = stateOf({portState(key("c")), portState(key("b")), portState(key("a")),
                        portState(key("a", IPFamily::V6))}),
       .added = {key("a"), key("a", IPFamily::V6), key("c")}},
      {.name = "removed",
       .prev = stateOf({portState(key("a")), portState(key("b")), portState(key("c"))}),
       .next = stateOf({portState(key("b"))}),
       .removed = {key("a"), key("c")}},
      {.name = "changed endpoints",
       .prev = stateOf({portState(key("a")), portState(key("b"))}),
       .next = stateOf({portState(key("a"), "10.1.0.2"), portState(key("b"))}),
       .changed = {key("a")}},
      {.name = "changed empty action only",
       .prev = stateOf({dropping}),
       .next = stateOf({rejecting}),
       .changed = {key("b")}},
      {.name = "global change only",
       .prev = stateOf({portState(key("a"))}),
       .next = masqAll,
       .globalChanged = true},
      {.name = "everything at once",
       .prev = stateOf({portState(key("a")), portState(key("b")), portState(key("c"))}),
       .next = stateOf({portState(key("b"), "10.1.0.9"), portState(key("c")), portState(key("d"))}),
       .added = {key("d")},
       .removed = {key("a")},
       .changed = {key("b")}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const StateDiff d = diff(c.prev, c.next);
    EXPECT_EQ(d.added, c.added);
    EXPECT_EQ(d.removed, c.removed);
    EXPECT_EQ(d.changed, c.changed);
    EXPECT_EQ(d.globalChanged, c.globalChanged);
    EXPECT_EQ(d.empty(),
              c.added.empty() && c.removed.empty() && c.changed.empty() && !c.globalChanged);
  }
}

// The way the sync loop uses it: two builds, one slice changed in between.
TEST(Diff, BetweenTwoBuilds) {
  const Service web = makeService("ns", "web").clusterIP("10.96.0.10").port("", 80);
  const Service api = makeService("ns", "api").clusterIP("10.96.0.11").port("", 80);
  const EndpointSlice before =
      makeSlice("ns", "web-1", "web").port("", 8080).endpoint(makeEndpoint("10.1.0.1"));
  const EndpointSlice after =
      makeSlice("ns", "web-1", "web").port("", 8080).endpoint(makeEndpoint("10.1.0.2"));
  const ProxyConfig config = defaultConfig();

  const ClusterSnapshot c1 = makeSnapshot({web, api}, {before}, {});
  const ClusterSnapshot c2 = makeSnapshot({web, api}, {after}, {});
  const ProxyState s1 = buildState(c1, nullptr, config);
  EXPECT_TRUE(diff(s1, buildState(c1, nullptr, config)).empty());
  const StateDiff d = diff(s1, buildState(c2, nullptr, config));
  EXPECT_TRUE(d.added.empty());
  EXPECT_TRUE(d.removed.empty());
  EXPECT_EQ(d.changed, std::vector<ServicePortKey>{key("web")});
  EXPECT_FALSE(d.globalChanged);
}

}  // namespace
}  // namespace kpx::test
