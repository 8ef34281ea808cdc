// conntrackCleanup(): which UDP conntrack entries a state change makes stale, and
// ConntrackFilter::matches(), the predicate the kernel side applies to each entry.
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <algorithm>
#include <string>
#include <vector>

#include "proxy/conntrack_plan.h"
#include "tests/unit/proxy/test_support.h"

namespace kpx::test {
namespace {

EndpointState ep(std::string_view address, uint16_t port = 5353) {
  EndpointState e;
  e.ip = ip(address);
  e.port = port;
  return e;
}

// The same endpoint shutting down: serving, not ready, terminating.
EndpointState makeTerminatingState(EndpointState e) {
  e.ready = false;
  e.terminating = true;
  return e;
}

// One service port "ns/<name>:<portName>" with the same endpoints for both traffic classes
// unless set apart, as build_state() makes them for policy Cluster.
class Port {
 public:
  Port(std::string name, std::string_view clusterIP, uint16_t port, Protocol protocol = UDP) {
    sp_.key = {.namespace_ = "ns",
               .name = std::move(name),
               .portName = "dns",
               .protocol = protocol,
               .family = ip(clusterIP).family()};
    sp_.clusterIP = ip(clusterIP);
    sp_.port = port;
  }
  Port& portName(std::string n) {
    sp_.key.portName = std::move(n);
    return *this;
  }
  Port& endpoints(std::vector<EndpointState> eps) {
    sp_.internal.endpoints = eps;
    sp_.external.endpoints = std::move(eps);
    return *this;
  }
  Port& internal(std::vector<EndpointState> eps) {
    sp_.internal.endpoints = std::move(eps);
    return *this;
  }
  Port& external(std::vector<EndpointState> eps) {
    sp_.external.endpoints = std::move(eps);
    return *this;
  }
  Port& nodePort(uint16_t p) {
    sp_.type = ServiceType::NodePort;
    sp_.nodePort = p;
    return *this;
  }
  Port& externalIP(std::string_view a) {
    sp_.externalIPs.push_back(ip(a));
    return *this;
  }
  Port& loadBalancer(std::string_view a) {
    sp_.type = ServiceType::LoadBalancer;
    sp_.loadBalancerIPs.push_back(ip(a));
    return *this;
  }
  operator ServicePortState() const { return sp_; }  // NOLINT: tables read as lists

 private:
  ServicePortState sp_;
};

ProxyState stateOf(std::vector<ServicePortState> ports) {
  ProxyState s;
  for (ServicePortState& sp : ports) {
    ServicePortKey k = sp.key;
    s.servicePorts.emplace(std::move(k), std::move(sp));
  }
  return s;
}

struct Case {
  std::string name;
  ProxyState before;
  ProxyState after;
  std::vector<std::string> expected;  // ConntrackFilter::str(), any order
};

const EndpointState kA = ep("10.244.1.5");
const EndpointState kB = ep("10.244.2.6");
const EndpointState kC = ep("10.244.3.7");

TEST(ConntrackCleanup, Table) {
  const Port dns("dns", "10.96.0.10", 53);
  const Port full = Port("dns", "10.96.0.10", 53)
                        .externalIP("192.0.2.10")
                        .loadBalancer("198.51.100.10")
                        .nodePort(30053);
  const std::vector<Case> cases = {
      {.name = "empty to empty", .before = {}, .after = {}, .expected = {}},
      {.name = "no change",
       .before = stateOf({Port(dns).endpoints({kA, kB})}),
       .after = stateOf({Port(dns).endpoints({kA, kB})}),
       .expected = {}},
      {.name = "endpoint gone: its flows to the ClusterIP:port",
       .before = stateOf({Port(dns).endpoints({kA, kB})}),
       .after = stateOf({Port(dns).endpoints({kB})}),
       .expected = {"IPv4 udp orig-dst=10.96.0.10 orig-port-dst=53 reply-src=10.244.1.5"}},
      {.name = "endpoint gone: every virtual address, and the NodePort on any address",
       .before = stateOf({Port(full).endpoints({kA, kB})}),
       .after = stateOf({Port(full).endpoints({kB})}),
       .expected = {"IPv4 udp orig-dst=10.96.0.10 orig-port-dst=53 reply-src=10.244.1.5",
                    "IPv4 udp orig-dst=192.0.2.10 orig-port-dst=53 reply-src=10.244.1.5",
                    "IPv4 udp orig-dst=198.51.100.10 orig-port-dst=53 reply-src=10.244.1.5",
                    "IPv4 udp orig-port-dst=30053 reply-src=10.244.1.5"}},
      {.name = "two endpoints gone, one replaced",
       .before = stateOf({Port(dns).endpoints({kA, kB})}),
       .after = stateOf({Port(dns).endpoints({kC})}),
       .expected = {"IPv4 udp orig-dst=10.96.0.10 orig-port-dst=53 reply-src=10.244.1.5",
                    "IPv4 udp orig-dst=10.96.0.10 orig-port-dst=53 reply-src=10.244.2.6"}},
      {.name = "last endpoint gone: its flows only, no broader filter",
       .before = stateOf({Port(dns).endpoints({kA})}),
       .after = stateOf({Port(dns)}),
       .expected = {"IPv4 udp orig-dst=10.96.0.10 orig-port-dst=53 reply-src=10.244.1.5"}},
      {.name = "TCP endpoint gone: TCP resets, nothing to clean",
       .before = stateOf({Port("web", "10.96.0.20", 80, TCP).endpoints({kA, kB})}),
       .after = stateOf({Port("web", "10.96.0.20", 80, TCP).endpoints({kB})}),
       .expected = {}},
      {.name = "SCTP endpoint gone: upstream cleans UDP only",
       .before = stateOf({Port("sig", "10.96.0.30", 3868, SCTP).endpoints({kA, kB})}),
       .after = stateOf({Port("sig", "10.96.0.30", 3868, SCTP).endpoints({kB})}),
       .expected = {}},
      {.name = "TCP first endpoint: nothing",
       .before = stateOf({Port("web", "10.96.0.20", 80, TCP)}),
       .after = stateOf({Port("web", "10.96.0.20", 80, TCP).endpoints({kA})}),
       .expected = {}},
      {.name = "first endpoint: every frontend, any reply source",
       .before = stateOf({Port(full)}),
       .after = stateOf({Port(full).endpoints({kA})}),
       .expected = {"IPv4 udp orig-dst=10.96.0.10 orig-port-dst=53",
                    "IPv4 udp orig-dst=192.0.2.10 orig-port-dst=53",
                    "IPv4 udp orig-dst=198.51.100.10 orig-port-dst=53",
                    "IPv4 udp orig-port-dst=30053"}},
      {.name = "new service with endpoints counts as a first endpoint (restart, new service)",
       .before = {},
       .after = stateOf({Port(dns).endpoints({kA})}),
       .expected = {"IPv4 udp orig-dst=10.96.0.10 orig-port-dst=53"}},
      {.name = "new service without endpoints: nothing yet",
       .before = {},
       .after = stateOf({Port(full)}),
       .expected = {}},
      {.name = "service removed: the flows DNATed to its endpoints",
       .before = stateOf({Port(dns).nodePort(30053).endpoints({kA})}),
       .after = {},
       .expected = {"IPv4 udp orig-dst=10.96.0.10 orig-port-dst=53 reply-src=10.244.1.5",
                    "IPv4 udp orig-port-dst=30053 reply-src=10.244.1.5"}},
      {.name = "service without endpoints removed: nothing",
       .before = stateOf({Port(full)}),
       .after = {},
       .expected = {}},
      {.name = "endpoint only in the external set (eTP=Local) gone",
       .before = stateOf({Port(dns).nodePort(30053).internal({kB}).external({kA, kB})}),
       .after = stateOf({Port(dns).nodePort(30053).internal({kB}).external({kB})}),
       .expected = {"IPv4 udp orig-dst=10.96.0.10 orig-port-dst=53 reply-src=10.244.1.5",
                    "IPv4 udp orig-port-dst=30053 reply-src=10.244.1.5"}},
      {.name = "endpoint moves between traffic classes only (policy change): nothing",
       .before = stateOf({Port(dns).nodePort(30053).internal({kA, kB}).external({kB})}),
       .after = stateOf({Port(dns).nodePort(30053).internal({kB}).external({kA, kB})}),
       .expected = {}},
      {.name = "endpoint changes state but stays selected: nothing",
       .before = stateOf({Port(dns).endpoints({kA})}),
       .after = stateOf({Port(dns).endpoints({makeTerminatingState(kA)})}),
       .expected = {}},
      {.name = "endpoint port changes: the old DNAT target is stale",
       .before = stateOf({Port(dns).endpoints({ep("10.244.1.5", 5353)})}),
       .after = stateOf({Port(dns).endpoints({ep("10.244.1.5", 5354)})}),
       .expected = {"IPv4 udp orig-dst=10.96.0.10 orig-port-dst=53 reply-src=10.244.1.5"}},
      {.name = "externalIP removed: flows to it through every endpoint",
       .before = stateOf({Port(dns).externalIP("192.0.2.10").endpoints({kA, kB})}),
       .after = stateOf({Port(dns).endpoints({kA, kB})}),
       .expected = {"IPv4 udp orig-dst=192.0.2.10 orig-port-dst=53 reply-src=10.244.1.5",
                    "IPv4 udp orig-dst=192.0.2.10 orig-port-dst=53 reply-src=10.244.2.6"}},
      {.name = "externalIP added to a service with endpoints: its un-NATed flows",
       .before = stateOf({Port(dns).endpoints({kA})}),
       .after = stateOf({Port(dns).externalIP("192.0.2.10").endpoints({kA})}),
       .expected = {"IPv4 udp orig-dst=192.0.2.10 orig-port-dst=53"}},
      {.name = "NodePort number changes",
       .before = stateOf({Port(dns).nodePort(30053).endpoints({kA})}),
       .after = stateOf({Port(dns).nodePort(30054).endpoints({kA})}),
       .expected = {"IPv4 udp orig-port-dst=30053 reply-src=10.244.1.5",
                    "IPv4 udp orig-port-dst=30054"}},
      {.name = "port renamed (new key, same frontend and endpoints): nothing",
       .before = stateOf({Port(dns).portName("dns").endpoints({kA})}),
       .after = stateOf({Port(dns).portName("domain").endpoints({kA})}),
       .expected = {}},
      {.name = "same IP listed twice with two ports, both gone: one filter",
       .before = stateOf({Port(dns).endpoints({ep("10.244.1.5", 53), ep("10.244.1.5", 5353)})}),
       .after = stateOf({Port(dns).endpoints({kB})}),
       .expected = {"IPv4 udp orig-dst=10.96.0.10 orig-port-dst=53 reply-src=10.244.1.5"}},
      {.name = "a shared frontend keeps the endpoint another port still reaches",
       .before = stateOf({Port("a", "10.96.0.10", 53).externalIP("192.0.2.10").endpoints({kA}),
                          Port("b", "10.96.0.11", 53).externalIP("192.0.2.10").endpoints({kA})}),
       .after = stateOf({Port("a", "10.96.0.10", 53).externalIP("192.0.2.10").endpoints({kB}),
                         Port("b", "10.96.0.11", 53).externalIP("192.0.2.10").endpoints({kA})}),
       .expected = {"IPv4 udp orig-dst=10.96.0.10 orig-port-dst=53 reply-src=10.244.1.5"}},
      {.name = "IPv6: the family is data",
       .before = stateOf({Port("dns6", "fd00:96::10", 53)
                              .nodePort(30053)
                              .endpoints({ep("fd00:244::5"), ep("fd00:244::6")})}),
       .after = stateOf(
           {Port("dns6", "fd00:96::10", 53).nodePort(30053).endpoints({ep("fd00:244::6")})}),
       .expected = {"IPv6 udp orig-dst=fd00:96::10 orig-port-dst=53 reply-src=fd00:244::5",
                    "IPv6 udp orig-port-dst=30053 reply-src=fd00:244::5"}},
      {.name = "unrelated services in the same state are left alone",
       .before =
           stateOf({Port(dns).endpoints({kA}), Port("other", "10.96.0.11", 53).endpoints({kA})}),
       .after = stateOf({Port(dns), Port("other", "10.96.0.11", 53).endpoints({kA})}),
       .expected = {"IPv4 udp orig-dst=10.96.0.10 orig-port-dst=53 reply-src=10.244.1.5"}},
  };

  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::vector<ConntrackFilter> filters = conntrackCleanup(c.before, c.after);
    EXPECT_TRUE(std::is_sorted(filters.begin(), filters.end()));
    EXPECT_EQ(std::adjacent_find(filters.begin(), filters.end()), filters.end());
    std::vector<std::string> got;
    for (const ConntrackFilter& f : filters) got.push_back(f.str());
    std::vector<std::string> want = c.expected;
    std::sort(got.begin(), got.end());
    std::sort(want.begin(), want.end());
    EXPECT_EQ(got, want);

    // The form the agent uses, from `after` and the changes only, gives the same filters, with
    // the frontend index kept up to date from the changes as well as built whole.
    const StateChanges changes = changesBetween(c.before, c.after);
    UdpFrontendIndex frontends(c.before);
    frontends.update(c.after, changes);
    EXPECT_EQ(frontends, UdpFrontendIndex(c.after));
    EXPECT_EQ(conntrackCleanup(c.after, changes, frontends), filters);
  }
}

ConntrackFlow flow(std::string_view dst, uint16_t port, std::string_view replySrc,
                   uint8_t proto = IPPROTO_UDP) {
  return {.family = ip(dst).family(),
          .protocol = proto,
          .origDst = ip(dst),
          .origDstPort = port,
          .replySrc = ip(replySrc)};
}

TEST(ConntrackFilter, Matches) {
  const ConntrackFilter exact{.family = IPFamily::V4,
                              .protocol = Protocol::UDP,
                              .origDst = ip("10.96.0.10"),
                              .origDstPort = 53,
                              .replySrc = ip("10.244.1.5")};
  const ConntrackFilter anyReply{.family = IPFamily::V4,
                                 .protocol = Protocol::UDP,
                                 .origDst = ip("10.96.0.10"),
                                 .origDstPort = 53,
                                 .replySrc = std::nullopt};
  const ConntrackFilter nodePort{.family = IPFamily::V4,
                                 .protocol = Protocol::UDP,
                                 .origDst = std::nullopt,
                                 .origDstPort = 30053,
                                 .replySrc = ip("10.244.1.5")};
  const ConntrackFilter v6{.family = IPFamily::V6,
                           .protocol = Protocol::UDP,
                           .origDst = std::nullopt,
                           .origDstPort = 30053,
                           .replySrc = std::nullopt};
  struct Row {
    const ConntrackFilter* filter;
    ConntrackFlow flow;
    bool expected;
  };
  const std::vector<Row> rows = {
      {&exact, flow("10.96.0.10", 53, "10.244.1.5"), true},
      {&exact, flow("10.96.0.10", 53, "10.244.2.6"), false},  // another endpoint
      {&exact, flow("10.96.0.10", 54, "10.244.1.5"), false},  // another port
      {&exact, flow("10.96.0.11", 53, "10.244.1.5"), false},  // another VIP
      {&exact, flow("10.96.0.10", 53, "10.244.1.5", IPPROTO_TCP), false},
      {&anyReply, flow("10.96.0.10", 53, "10.96.0.10"), true},  // never NATed
      {&anyReply, flow("10.96.0.10", 53, "10.244.2.6"), true},
      {&anyReply, flow("10.96.0.10", 5353, "10.96.0.10"), false},
      {&nodePort, flow("192.168.1.1", 30053, "10.244.1.5"), true},
      {&nodePort, flow("127.0.0.1", 30053, "10.244.1.5"), true},
      {&nodePort, flow("192.168.1.1", 30053, "10.244.2.6"), false},
      {&nodePort, flow("fd00::1", 30053, "10.244.1.5"), false},  // wrong family
      {&v6, flow("fd00::1", 30053, "fd00:244::5"), true},
      {&v6, flow("192.168.1.1", 30053, "10.244.1.5"), false},
  };
  for (const Row& r : rows) {
    SCOPED_TRACE(r.filter->str() + " vs " + r.flow.origDst.str() + ":" +
                 std::to_string(r.flow.origDstPort) + " reply " + r.flow.replySrc.str());
    EXPECT_EQ(r.filter->matches(r.flow), r.expected);
  }
}

}  // namespace
}  // namespace kpx::test
