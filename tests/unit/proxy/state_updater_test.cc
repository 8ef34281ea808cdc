// The incremental path of a sync, checked against the whole-state functions it replaces: after
// random sequences of Service, EndpointSlice and Node events on a small cluster, the
// StateUpdater's state equals buildState(), its changes equal changesBetween(), and what is
// derived from the changes (the accumulated record, the conntrack filters, the health-check
// ports, the snapshot's slice index) equals the same thing computed from whole states.
#include "proxy/state_updater.h"

#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "proxy/build_state.h"
#include "proxy/conntrack_plan.h"
#include "proxy/event_queue.h"
#include "proxy/health/service_health_tracker.h"
#include "tests/unit/proxy/test_support.h"

namespace kpx::test {
namespace {

// ---- recordChange ----

ServicePortState portState(std::string name, uint16_t port) {
  ServicePortState sp;
  sp.key = {.namespace_ = "ns",
            .name = std::move(name),
            .portName = "",
            .protocol = TCP,
            .family = IPFamily::V4};
  sp.clusterIP = ip("10.96.0.1");
  sp.port = port;
  return sp;
}

TEST(RecordChange, KeepsTheOldestValueAndDropsWhatCameBack) {
  const ServicePortState v1 = portState("web", 80);
  const ServicePortState v2 = portState("web", 81);
  const ServicePortState v3 = portState("web", 82);
  const ServicePortKey& key = v1.key;
  using Before = std::optional<ServicePortState>;
  struct Step {
    Before previous;
    const ServicePortState* now;
  };
  struct Case {
    std::string name;
    std::vector<Step> steps;
    std::optional<Before> recorded;  // nullopt: no record
  };
  const std::vector<Case> cases = {
      {.name = "unchanged: no record", .steps = {{v1, &v1}}, .recorded = std::nullopt},
      {.name = "absent to absent: no record",
       .steps = {{std::nullopt, nullptr}},
       .recorded = std::nullopt},
      {.name = "changed", .steps = {{v1, &v2}}, .recorded = Before(v1)},
      {.name = "added", .steps = {{std::nullopt, &v1}}, .recorded = Before()},
      {.name = "removed", .steps = {{v1, nullptr}}, .recorded = Before(v1)},
      {.name = "changed twice: the oldest wins",
       .steps = {{v1, &v2}, {v2, &v3}},
       .recorded = Before(v1)},
      {.name = "changed and back", .steps = {{v1, &v2}, {v2, &v1}}, .recorded = std::nullopt},
      {.name = "added then removed",
       .steps = {{std::nullopt, &v1}, {v1, nullptr}},
       .recorded = std::nullopt},
      {.name = "removed then added with another value",
       .steps = {{v1, nullptr}, {std::nullopt, &v2}},
       .recorded = Before(v1)},
      {.name = "removed then added back",
       .steps = {{v1, nullptr}, {std::nullopt, &v1}},
       .recorded = std::nullopt},
      {.name = "changed, back, changed",
       .steps = {{v1, &v2}, {v2, &v1}, {v1, &v3}},
       .recorded = Before(v1)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    StateChanges changes;
    for (const Step& s : c.steps) recordChange(changes, key, s.previous, s.now);
    if (!c.recorded) {
      EXPECT_TRUE(changes.before.empty());
    } else {
      ASSERT_EQ(changes.before.size(), 1u);
      EXPECT_EQ(changes.before.begin()->second, *c.recorded);
    }
    EXPECT_FALSE(changes.global);
  }
}

// ---- EventQueue: which services a drain touches ----

TEST(EventQueue, DrainNamesTheServicesTouchedAndThisNode) {
  const EndpointSlice slice =
      makeSlice("ns", "web-1", "web").port("", 80).endpoint(makeEndpoint("10.0.0.1"));
  EndpointSlice moved = slice;
  moved.serviceName = "api";
  EndpointSlice orphan = slice;
  orphan.serviceName.clear();
  const Service web = makeService("ns", "web").clusterIP("10.96.0.1").port("", 80);
  struct Case {
    std::string name;
    std::function<void(EventSink&)> before;  // applied and drained first
    std::function<void(EventSink&)> events;
    std::set<std::string> touched;
    bool nodeChanged = false;
  };
  const auto nothing = [](EventSink&) {};
  const std::vector<Case> cases = {
      {.name = "a new service",
       .before = nothing,
       .events = [&](EventSink& s) { s.upsert(web); },
       .touched = {"ns/web"}},
      {.name = "the same service again: nothing",
       .before = [&](EventSink& s) { s.upsert(web); },
       .events = [&](EventSink& s) { s.upsert(web); },
       .touched = {}},
      {.name = "a service removed",
       .before = [&](EventSink& s) { s.upsert(web); },
       .events = [&](EventSink& s) { s.remove(ObjectKind::Service, "ns/web"); },
       .touched = {"ns/web"}},
      {.name = "a missing service removed: nothing",
       .before = nothing,
       .events = [&](EventSink& s) { s.remove(ObjectKind::Service, "ns/web"); },
       .touched = {}},
      {.name = "a new slice",
       .before = nothing,
       .events = [&](EventSink& s) { s.upsert(slice); },
       .touched = {"ns/web"}},
      {.name = "a slice moving to another service touches both",
       .before = [&](EventSink& s) { s.upsert(slice); },
       .events = [&](EventSink& s) { s.upsert(moved); },
       .touched = {"ns/api", "ns/web"}},
      {.name = "a slice losing its service name touches the old one",
       .before = [&](EventSink& s) { s.upsert(slice); },
       .events = [&](EventSink& s) { s.upsert(orphan); },
       .touched = {"ns/web"}},
      {.name = "a slice without a service name touches nothing",
       .before = nothing,
       .events = [&](EventSink& s) { s.upsert(orphan); },
       .touched = {}},
      {.name = "a slice removed touches the service it named",
       .before = [&](EventSink& s) { s.upsert(moved); },
       .events = [&](EventSink& s) { s.remove(ObjectKind::EndpointSlice, "ns/web-1"); },
       .touched = {"ns/api"}},
      {.name = "this node",
       .before = nothing,
       .events = [&](EventSink& s) { s.upsert(Node(makeNode("node-a").zone("z1"))); },
       .touched = {},
       .nodeChanged = true},
      {.name = "this node unchanged",
       .before = [&](EventSink& s) { s.upsert(Node(makeNode("node-a").zone("z1"))); },
       .events = [&](EventSink& s) { s.upsert(Node(makeNode("node-a").zone("z1"))); },
       .touched = {},
       .nodeChanged = false},
      {.name = "this node removed",
       .before = [&](EventSink& s) { s.upsert(Node(makeNode("node-a"))); },
       .events = [&](EventSink& s) { s.remove(ObjectKind::Node, "node-a"); },
       .touched = {},
       .nodeChanged = true},
      {.name = "another node",
       .before = nothing,
       .events = [&](EventSink& s) { s.upsert(Node(makeNode("node-b").zone("z1"))); },
       .touched = {},
       .nodeChanged = false},
  };
  const ManualClock clock;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EventQueue queue(clock, {});
    ClusterSnapshot cluster;
    c.before(queue);
    queue.drainInto(cluster, "node-a");
    c.events(queue);
    const DrainedChanges drained = queue.drainInto(cluster, "node-a");
    EXPECT_EQ(drained.touchedServices, c.touched);
    EXPECT_EQ(drained.nodeChanged, c.nodeChanged);
  }
}

TEST(EventQueue, StampsEachChangeWithItsClock) {
  ManualClock clock;
  EventQueue queue(clock, {});
  const Clock::TimePoint t0 = clock.now();
  queue.upsert(Service(makeService("ns", "web").clusterIP("10.96.0.1").port("", 80)));
  clock.advance(std::chrono::milliseconds(5));
  queue.invalid(ObjectError{});  // not a change: no time
  clock.advance(std::chrono::milliseconds(5));
  queue.remove(ObjectKind::EndpointSlice, "ns/web-1");
  ClusterSnapshot cluster;
  const DrainedChanges drained = queue.drainInto(cluster, "node-a");
  EXPECT_EQ(drained.oldestEvent, t0);
  EXPECT_EQ(drained.eventTimes,
            (std::vector<Clock::TimePoint>{t0, t0 + std::chrono::milliseconds(10)}));
  EXPECT_EQ(drained.invalid.size(), 1u);
}

// ---- Random sequences ----

// Small pools, so that random events collide: services share slices, externalIPs and LB IPs,
// slices move between services, endpoints move between nodes and zones.
class RandomCluster {
 public:
  explicit RandomCluster(uint32_t seed) : rng_(seed) {}

  // One to three random events.
  void events(EventSink& sink) {
    const int n = pick(1, 3);
    for (int i = 0; i < n; ++i) event(sink);
  }

 private:
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool chance(int percent) { return pick(1, 100) <= percent; }
  template <typename T>
  T oneOf(const std::vector<T>& v) {
    return v[static_cast<size_t>(pick(0, static_cast<int>(v.size()) - 1))];
  }

  std::string ns() { return oneOf<std::string>({"a", "b"}); }
  std::string serviceName() { return oneOf<std::string>({"s0", "s1", "s2", "s3"}); }
  std::string portName() { return oneOf<std::string>({"", "dns", "dns", "http"}); }
  // Mostly what the name says, so that slice ports often match service ports.
  Protocol protocolOf(const std::string& portName) {
    if (chance(15)) return oneOf<Protocol>({UDP, TCP, SCTP});
    return portName == "http" ? TCP : UDP;
  }

  void event(EventSink& sink) {
    switch (pick(0, 11)) {
      case 0:
      case 1:
      case 2:
      case 3:
        sink.upsert(service());
        break;
      case 4:
        sink.remove(ObjectKind::Service, ns() + "/" + serviceName());
        break;
      case 5:
      case 6:
      case 7:
      case 8:
      case 9:
        sink.upsert(slice());
        break;
      case 10:
        sink.remove(ObjectKind::EndpointSlice,
                    ns() + "/" + oneOf<std::string>({"e0", "e1", "e2", "e3", "e4"}));
        break;
      default:
        if (chance(80))
          sink.upsert(node());
        else
          sink.remove(ObjectKind::Node, oneOf<std::string>({"node-a", "node-b"}));
        break;
    }
  }

  Service service() {
    Service s;
    s.meta.namespace_ = ns();
    s.meta.name = serviceName();
    s.meta.resourceVersion = std::to_string(pick(1, 3));
    s.type = oneOf<ServiceType>({ServiceType::ClusterIP, ServiceType::NodePort,
                                 ServiceType::LoadBalancer, ServiceType::LoadBalancer,
                                 ServiceType::LoadBalancer, ServiceType::ExternalName});
    const int n = static_cast<int>(s.meta.name.back() - '0');
    const std::string v4 =
        "10.96." + std::to_string(s.meta.namespace_ == "a" ? 0 : 1) + "." + std::to_string(10 + n);
    const std::string v6 = "fd00:96::" + std::to_string(10 + n);
    switch (pick(0, 5)) {
      case 0:
        s.headless = true;
        break;
      case 1:
        s.clusterIPs = {ip(v6)};
        break;
      case 2:
        s.clusterIPs = {ip(v4), ip(v6)};
        break;
      case 3:
        s.clusterIPs = {ip(v6), ip(v4)};
        break;
      default:
        s.clusterIPs = {ip(v4)};
        break;
    }
    for (const IPAddr& a : s.clusterIPs) s.ipFamilies.push_back(a.family());
    const int ports = pick(0, 2);
    for (int i = 0; i < ports; ++i) {
      ServicePort p;
      p.name = portName();
      p.protocol = protocolOf(p.name);
      p.port = static_cast<uint16_t>(oneOf<int>({53, 80}));
      p.nodePort = static_cast<uint16_t>(oneOf<int>({0, 30053, 30080}));
      s.ports.push_back(p);
    }
    if (chance(30)) s.externalIPs.push_back(ip(oneOf<std::string>({"192.0.2.1", "2001:db8::1"})));
    if (chance(30)) {
      LoadBalancerIngress in;
      in.ip = ip(oneOf<std::string>({"192.0.2.1", "198.51.100.1", "2001:db8::2"}));
      in.ipMode = oneOf<std::string>({"", "VIP", "Proxy"});
      s.loadBalancerIngress.push_back(in);
    }
    if (chance(20)) s.loadBalancerSourceRanges.push_back(cidr("203.0.113.0/24"));
    s.externalTrafficPolicy = chance(50) ? TrafficPolicy::Local : TrafficPolicy::Cluster;
    s.internalTrafficPolicy = chance(25) ? TrafficPolicy::Local : TrafficPolicy::Cluster;
    if (chance(80)) s.healthCheckNodePort = static_cast<uint16_t>(oneOf<int>({31000, 31001}));
    if (chance(20)) s.sessionAffinity = SessionAffinity::ClientIP;
    if (chance(20)) s.trafficDistribution = "PreferClose";
    if (chance(5)) s.meta.labels[std::string(kServiceProxyNameLabel)] = "other";
    return s;
  }

  EndpointSlice slice() {
    EndpointSlice e;
    e.meta.namespace_ = ns();
    e.meta.name = oneOf<std::string>({"e0", "e1", "e2", "e3", "e4"});
    e.meta.resourceVersion = std::to_string(pick(1, 3));
    e.serviceName = chance(10) ? std::string() : serviceName();
    if (!e.serviceName.empty()) e.meta.labels[std::string(kServiceNameLabel)] = e.serviceName;
    if (chance(5)) e.meta.labels[std::string(kHeadlessLabel)] = "";
    e.addressType = chance(30) ? AddressType::IPv6 : AddressType::IPv4;
    if (chance(3)) e.addressType = AddressType::FQDN;
    const int ports = pick(0, 2);
    for (int i = 0; i < ports; ++i) {
      EndpointPort p;
      const std::string name = portName();
      if (!name.empty() || chance(50)) p.name = name;
      p.protocol = protocolOf(name);
      if (!chance(10)) p.port = static_cast<uint16_t>(oneOf<int>({5353, 8080}));
      e.ports.push_back(p);
    }
    const int endpoints = pick(0, 4);
    for (int i = 0; i < endpoints; ++i) {
      Endpoint ep;
      const int host = pick(1, 4);
      ep.address = {e.addressType == AddressType::IPv6 ? "fd00:244::" + std::to_string(host)
                                                       : "10.244.0." + std::to_string(host)};
      if (chance(20)) ep.conditions.ready = false;
      if (chance(20)) ep.conditions.serving = chance(50);
      if (chance(20)) ep.conditions.terminating = true;
      if (chance(80)) ep.nodeName = oneOf<std::string>({"node-a", "node-b"});
      std::vector<std::string> zones, nodes;
      if (chance(40)) zones = {oneOf<std::string>({"z1", "z2"})};
      if (chance(20)) nodes = {oneOf<std::string>({"node-a", "node-b"})};
      ep.setHints(std::move(zones), std::move(nodes));
      e.endpoints.push_back(ep);
    }
    return e;
  }

  Node node() {
    Node n;
    n.meta.name = oneOf<std::string>({"node-a", "node-a", "node-b"});
    n.meta.resourceVersion = std::to_string(pick(1, 3));
    if (chance(70)) n.meta.labels[std::string(kZoneLabel)] = oneOf<std::string>({"z1", "z2"});
    if (chance(70))
      n.addresses.push_back({"InternalIP", oneOf<std::string>({"192.168.0.1", "192.168.0.2"})});
    if (chance(50))
      n.podCIDRs.push_back(cidr(oneOf<std::string>({"10.244.0.0/24", "10.244.1.0/24"})));
    return n;
  }

  std::mt19937 rng_;
};

std::vector<std::string> filterStrings(const std::vector<ConntrackFilter>& filters) {
  std::vector<std::string> out;
  for (const ConntrackFilter& f : filters) out.push_back(f.str());
  return out;
}

struct UpdaterCase {
  std::string name;
  ProxyConfig config;
};

std::vector<UpdaterCase> updaterCases() {
  ProxyConfig nodeDependent = defaultConfig();
  // The node-wide settings follow the Node: its pod CIDRs and its addresses.
  nodeDependent.detectLocalMode = LocalDetectMode::NodeCIDR;
  nodeDependent.nodePortAddresses = {"primary"};
  ProxyConfig v6Only = defaultConfig();
  v6Only.families = {IPFamily::V6};
  return {{"defaults", defaultConfig()},
          {"node CIDR and primary node port addresses", nodeDependent},
          {"IPv6 only", v6Only}};
}

TEST(StateUpdater, RandomEventsGiveWhatBuildStateGives) {
  constexpr int kSteps = 300;
  const ManualClock clock;
  for (const UpdaterCase& c : updaterCases()) {
    for (uint32_t seed = 1; seed <= 4; ++seed) {
      SCOPED_TRACE(c.name + ", seed " + std::to_string(seed));
      RandomCluster random(seed);
      EventQueue queue(clock, {});
      ClusterSnapshot cluster;
      StateUpdater updater(c.config);
      StateUpdater accumulating(c.config);
      // As the agent keeps them: the record since the last "successful sync" (at random steps).
      StateChanges pending;
      ProxyState applied;
      UdpFrontendIndex frontends;
      health::ServiceHealthTracker health;
      int rebuilds = 0;
      int incremental = 0;  // steps that changed ports without a rebuild
      int withFilters = 0;  // steps with conntrack filters
      int withChecks = 0;   // steps with health-check ports

      for (int step = 0; step < kSteps; ++step) {
        SCOPED_TRACE("step " + std::to_string(step));
        random.events(queue);
        const DrainedChanges drained = queue.drainInto(cluster, c.config.nodeName);
        const ProxyState previous = updater.state();

        StateChanges changes;
        updater.update(cluster, drained.touchedServices, drained.nodeChanged, changes);
        const ProxyState& now = updater.state();
        ASSERT_EQ(now, buildState(cluster, cluster.node(c.config.nodeName), c.config));
        expectSameChanges(changes, changesBetween(previous, now));
        if (changes.global)
          ++rebuilds;
        else if (!changes.before.empty())
          ++incremental;

        // A second updater fed the same events, recording into one StateChanges across steps.
        accumulating.update(cluster, drained.touchedServices, drained.nodeChanged, pending);
        ASSERT_EQ(accumulating.state(), now);
        StateChanges sinceApplied = changesBetween(applied, now);
        pending.global = sinceApplied.global;  // the agent sets it exactly, as here
        expectSameChanges(pending, sinceApplied);

        // What the hooks derive from the changes, against the whole-state forms.
        frontends.update(now, changes);
        EXPECT_EQ(frontends, UdpFrontendIndex(now));
        const auto filters = filterStrings(conntrackCleanup(now, changes, frontends));
        EXPECT_EQ(filters, filterStrings(conntrackCleanup(previous, now)));
        if (!filters.empty()) ++withFilters;
        health.update(now, changes);
        EXPECT_EQ(health.checks(), health::serviceHealth(now));
        if (!health.checks().empty()) ++withChecks;

        ClusterSnapshot reindexed = cluster;
        reindex(reindexed);
        EXPECT_EQ(cluster.slicesByService, reindexed.slicesByService);

        if (step % 7 == 3) {  // a successful sync
          pending = StateChanges{};
          applied = now;
        }
        if (testing::Test::HasFailure()) return;
      }
      // The sequence did exercise something: incremental changes, conntrack filters, health
      // checks and (where the node matters) rebuilds.
      EXPECT_GT(incremental, kSteps / 5);
      EXPECT_GT(withFilters, 0);
      EXPECT_GT(withChecks, kSteps / 10);
      if (c.config.detectLocalMode == LocalDetectMode::NodeCIDR) {
        EXPECT_GT(rebuilds, 5);
      }
    }
  }
}

// updateServices() touches only what it is told to: a service left out keeps its stale ports.
TEST(StateUpdater, LooksOnlyAtTheServicesNamed) {
  const ProxyConfig config = defaultConfig();
  ClusterSnapshot cluster = makeSnapshot(
      {makeService("ns", "web").clusterIP("10.96.0.1").port("", 80),
       makeService("ns", "api").clusterIP("10.96.0.2").port("", 80)},
      {makeSlice("ns", "web-1", "web").port("", 8080).endpoint(makeEndpoint("10.0.0.1"))}, {});
  StateUpdater updater(config);
  StateChanges changes;
  updater.update(cluster, {}, false, changes);  // first: everything
  EXPECT_EQ(changes.before.size(), 2u);

  upsert(cluster,
         EndpointSlice(
             makeSlice("ns", "api-1", "api").port("", 8080).endpoint(makeEndpoint("10.0.0.2"))));
  upsert(cluster,
         EndpointSlice(
             makeSlice("ns", "web-1", "web").port("", 8080).endpoint(makeEndpoint("10.0.0.3"))));
  changes = {};
  updater.update(cluster, {"ns/web"}, false, changes);
  ASSERT_EQ(changes.before.size(), 1u);
  EXPECT_EQ(changes.before.begin()->first.name, "web");
  EXPECT_NE(updater.state(), buildState(cluster, nullptr, config));  // api not looked at
  updater.update(cluster, {"ns/api"}, false, changes);
  EXPECT_EQ(updater.state(), buildState(cluster, nullptr, config));
  EXPECT_EQ(changes.before.size(), 2u);
}

}  // namespace
}  // namespace kpx::test
