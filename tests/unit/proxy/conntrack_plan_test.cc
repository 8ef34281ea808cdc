// conntrackCleanup(): which UDP conntrack entries a state change makes stale;
// ConntrackFilter::matches(), the predicate the kernel side applies to each entry;
// ConntrackReconcile, what is stale against a whole state (the first sync after a start, and
// the retry of a failed cleanup); retryableFilters(), what of a failed cleanup is retried.
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
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

// UDP frontends of a state and the union of their endpoints, computed here independently of
// the code under test: (family, VIP, port) or (family, unset, NodePort).
using Frontend = std::tuple<IPFamily, std::optional<IPAddr>, uint16_t>;
std::map<Frontend, std::set<std::pair<IPAddr, uint16_t>>> frontendsOf(const ProxyState& s) {
  std::map<Frontend, std::set<std::pair<IPAddr, uint16_t>>> out;
  for (const auto& [key, sp] : s.servicePorts) {
    if (key.protocol != UDP) continue;
    const IPFamily fam = key.family;
    std::vector<Frontend> fs = {{fam, sp.clusterIP, sp.port}};
    for (const IPAddr& a : sp.externalIPs) fs.push_back({fam, a, sp.port});
    for (const IPAddr& a : sp.loadBalancerIPs) fs.push_back({fam, a, sp.port});
    if (sp.nodePort != 0) fs.push_back({fam, std::nullopt, sp.nodePort});
    for (const Frontend& f : fs) {
      auto& eps = out[f];
      for (const auto* t : {&sp.internal, &sp.external})
        for (const EndpointState& e : t->endpoints) eps.emplace(e.ip, e.port);
    }
  }
  return out;
}

// What a restart after `before` -> `after` would find, judged by the reconcile of `after`, must
// agree with the incremental filters wherever both can see the flow:
// - a flow DNATed to an endpoint of a frontend in `before` that `after` still has: deleted by
//   one iff by the other (a NodePort left without endpoints aside: the reconcile skips it);
// - an un-DNATed flow to a frontend that had no endpoints and now has some: deleted by both.
void expectReconcileAgrees(const ProxyState& before, const ProxyState& after,
                           const std::vector<ConntrackFilter>& filters) {
  const ConntrackReconcile reconcile(after);
  const auto now = frontendsOf(after);
  const IPAddr node = ip("192.168.1.1"), node6 = ip("fd00:1::1");
  for (const auto& [frontend, endpoints] : frontendsOf(before)) {
    const auto after_ = now.find(frontend);
    if (after_ == now.end()) continue;  // gone: the reconcile cannot see it
    const auto& [family, vip, port] = frontend;
    const bool isNodePort = !vip;
    // The address the client sent to: the VIP, or one of the node's for a NodePort.
    const IPAddr dst = vip ? *vip : (family == IPFamily::V4 ? node : node6);
    auto flowTo = [&](const IPAddr& replySrc, uint16_t replyPort) {
      return ConntrackFlow{.family = family,
                           .protocol = IPPROTO_UDP,
                           .origDst = dst,
                           .origDstPort = port,
                           .replySrc = replySrc,
                           .replySrcPort = replyPort};
    };
    auto filtered = [&](const ConntrackFlow& f) {
      return std::any_of(filters.begin(), filters.end(),
                         [&](const ConntrackFilter& x) { return x.matches(f); });
    };
    for (const auto& [epIP, epPort] : endpoints) {
      if (isNodePort && after_->second.empty()) continue;
      const ConntrackFlow f = flowTo(epIP, epPort);
      SCOPED_TRACE("flow to " + f.origDst.str() + ":" + std::to_string(f.origDstPort) +
                   " answered by " + epIP.str() + ":" + std::to_string(epPort));
      EXPECT_EQ(reconcile.isStale(f), filtered(f));
    }
    if (endpoints.empty() && !after_->second.empty()) {
      const ConntrackFlow f = flowTo(dst, port);
      EXPECT_TRUE(reconcile.isStale(f)) << "un-DNATed flow to " << dst.str();
      EXPECT_TRUE(filtered(f)) << "un-DNATed flow to " << dst.str();
    }
  }
}

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

    expectReconcileAgrees(c.before, c.after, filters);
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

// A flow as the kernel holds it: to dst:dport, answered by replySrc:replyPort (an endpoint after
// DNAT, dst:dport itself without).
ConntrackFlow answered(std::string_view dst, uint16_t dport, std::string_view replySrc,
                       uint16_t replyPort, uint8_t proto = IPPROTO_UDP) {
  return {.family = ip(dst).family(),
          .protocol = proto,
          .origDst = ip(dst),
          .origDstPort = dport,
          .replySrc = ip(replySrc),
          .replySrcPort = replyPort};
}

TEST(ConntrackReconcile, Table) {
  const ProxyState state = stateOf({
      Port("dns", "10.96.0.10", 53)
          .externalIP("192.0.2.10")
          .loadBalancer("198.51.100.10")
          .nodePort(30053)
          .endpoints({kA, kB}),
      // No endpoints: every entry to the VIP is stale, the NodePort is not looked at.
      Port("idle", "10.96.0.20", 53).nodePort(30054),
      // Its only endpoint is in the external set (eTP=Local, a policy change): still valid.
      Port("local", "10.96.0.40", 53).internal({}).external({kC}),
      // A fallback to a terminating endpoint is an endpoint.
      Port("ending", "10.96.0.50", 53).endpoints({makeTerminatingState(kA)}),
      // A VIP port that is also a NodePort number: judged by the VIP frontend only.
      Port("high", "10.96.0.30", 30053).endpoints({kC}),
      // Two ports sharing an externalIP: the union of their endpoints.
      Port("a", "10.96.0.60", 53).externalIP("192.0.2.60").endpoints({kA}),
      Port("b", "10.96.0.61", 53).externalIP("192.0.2.60").endpoints({kB}),
      Port("web", "10.96.0.70", 80, TCP).endpoints({kA}),
      Port("sig", "10.96.0.80", 3868, SCTP).endpoints({kA}),
      Port("dns6", "fd00:96::10", 53).nodePort(30053).endpoints({ep("fd00:244::5")}),
  });
  struct Row {
    ConntrackFlow flow;
    bool stale;
    const char* why;
  };
  const std::vector<Row> rows = {
      {answered("10.96.0.10", 53, "10.244.1.5", 5353), false, "DNATed to a current endpoint"},
      {answered("10.96.0.10", 53, "10.244.2.6", 5353), false, "DNATed to the other one"},
      {answered("10.96.0.10", 53, "10.244.9.9", 5353), true, "DNATed to a gone endpoint"},
      {answered("10.96.0.10", 53, "10.244.1.5", 5354), true, "same IP, old target port"},
      {answered("10.96.0.10", 53, "10.96.0.10", 53), true, "never DNATed"},
      {answered("192.0.2.10", 53, "10.96.0.10", 53), true, "externalIP, never DNATed"},
      {answered("192.0.2.10", 53, "10.244.2.6", 5353), false, "externalIP to an endpoint"},
      {answered("198.51.100.10", 53, "198.51.100.10", 53), true, "LB IP, never DNATed"},
      {answered("198.51.100.10", 53, "10.244.9.9", 5353), true, "LB IP, gone endpoint"},
      {answered("192.168.1.1", 30053, "10.244.1.5", 5353), false, "NodePort to an endpoint"},
      {answered("127.0.0.1", 30053, "10.244.2.6", 5353), false, "NodePort on loopback"},
      {answered("192.168.1.1", 30053, "10.244.9.9", 5353), true, "NodePort, gone endpoint"},
      {answered("192.168.1.1", 30053, "192.168.1.1", 30053), true, "NodePort, never DNATed"},
      {answered("10.96.0.10", 54, "10.244.9.9", 5353), false, "not a frontend port"},
      {answered("10.96.0.11", 53, "10.244.9.9", 5353), false, "not a frontend address"},
      {answered("10.96.0.10", 53, "10.244.9.9", 5353, IPPROTO_TCP), false, "TCP"},
      {answered("10.96.0.80", 3868, "10.244.9.9", 5353, IPPROTO_SCTP), false, "SCTP"},
      {answered("10.96.0.70", 80, "10.244.9.9", 8080, IPPROTO_UDP), false, "UDP to a TCP port"},
      {answered("10.96.0.20", 53, "10.244.9.9", 5353), true, "no endpoints: DNATed before"},
      {answered("10.96.0.20", 53, "10.96.0.20", 53), true, "no endpoints: never DNATed"},
      {answered("192.168.1.1", 30054, "10.244.9.9", 5353), false, "NodePort without endpoints"},
      {answered("10.96.0.40", 53, "10.244.3.7", 5353), false, "endpoint of the external set"},
      {answered("10.96.0.50", 53, "10.244.1.5", 5353), false, "terminating fallback"},
      {answered("10.96.0.30", 30053, "10.244.3.7", 5353), false, "VIP port = a NodePort number"},
      {answered("10.96.0.30", 30053, "10.244.1.5", 5353), true, "... judged by the VIP only"},
      {answered("192.0.2.60", 53, "10.244.1.5", 5353), false, "shared externalIP, port a"},
      {answered("192.0.2.60", 53, "10.244.2.6", 5353), false, "shared externalIP, port b"},
      {answered("192.0.2.60", 53, "10.244.3.7", 5353), true, "shared externalIP, neither"},
      {answered("fd00:96::10", 53, "fd00:244::5", 5353), false, "IPv6 endpoint"},
      {answered("fd00:96::10", 53, "fd00:96::10", 53), true, "IPv6 never DNATed"},
      {answered("fd00:1::1", 30053, "fd00:244::6", 5353), true, "IPv6 NodePort, gone endpoint"},
      {answered("fd00:1::1", 30054, "fd00:244::6", 5353), false, "30054 is IPv4 only"},
  };
  const ConntrackReconcile reconcile(state);
  for (const Row& r : rows) {
    SCOPED_TRACE(r.why);
    EXPECT_EQ(reconcile.isStale(r.flow), r.stale);
  }
  EXPECT_EQ(reconcile.families(), (std::vector<IPFamily>{IPFamily::V4, IPFamily::V6}));
}

TEST(ConntrackReconcile, WhatNeedsNoDump) {
  struct Case {
    const char* name;
    ProxyState state;
    std::vector<IPFamily> families;
  };
  const std::vector<Case> cases = {
      {"empty state", {}, {}},
      {"TCP and SCTP only",
       stateOf({Port("web", "10.96.0.70", 80, TCP).endpoints({kA}),
                Port("sig", "10.96.0.80", 3868, SCTP).endpoints({kA})}),
       {}},
      {"a UDP VIP without endpoints is still checked",
       stateOf({Port("idle", "10.96.0.20", 53)}),
       {IPFamily::V4}},
      {"IPv6 only",
       stateOf({Port("dns6", "fd00:96::10", 53).endpoints({ep("fd00:244::5")})}),
       {IPFamily::V6}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const ConntrackReconcile reconcile(c.state);
    EXPECT_EQ(reconcile.families(), c.families);
    EXPECT_EQ(reconcile.empty(), c.families.empty());
  }
}

ConntrackFilter pairFilter(std::optional<std::string_view> vip, uint16_t port,
                           std::optional<std::string_view> replySrc,
                           Protocol protocol = Protocol::UDP) {
  ConntrackFilter f;
  f.family = ip(replySrc ? *replySrc : (vip ? *vip : "0.0.0.0")).family();
  f.protocol = protocol;
  if (vip) f.origDst = ip(*vip);
  f.origDstPort = port;
  if (replySrc) f.replySrc = ip(*replySrc);
  return f;
}

TEST(RetryableFilters, Table) {
  struct Case {
    std::string name;
    std::vector<ConntrackFilter> failed;
    ProxyState after;
    std::vector<std::string> kept;  // ConntrackFilter::str()
  };
  const Port dns("dns", "10.96.0.10", 53);
  const std::vector<Case> cases = {
      {.name = "endpoint still gone: kept",
       .failed = {pairFilter("10.96.0.10", 53, "10.244.1.5")},
       .after = stateOf({Port(dns).endpoints({kB})}),
       .kept = {"IPv4 udp orig-dst=10.96.0.10 orig-port-dst=53 reply-src=10.244.1.5"}},
      {.name = "endpoint back: dropped, it would delete valid flows",
       .failed = {pairFilter("10.96.0.10", 53, "10.244.1.5")},
       .after = stateOf({Port(dns).endpoints({kA, kB})}),
       .kept = {}},
      {.name = "endpoint back on another port: dropped (the filter names the IP only)",
       .failed = {pairFilter("10.96.0.10", 53, "10.244.1.5")},
       .after = stateOf({Port(dns).endpoints({ep("10.244.1.5", 5354)})}),
       .kept = {}},
      {.name = "endpoint back in the external set only: dropped",
       .failed = {pairFilter("10.96.0.10", 53, "10.244.1.5")},
       .after = stateOf({Port(dns).internal({kB}).external({kA, kB})}),
       .kept = {}},
      {.name = "first-endpoint filter (no reply-src): dropped, the reconcile covers it",
       .failed = {pairFilter("10.96.0.10", 53, std::nullopt)},
       .after = stateOf({Port(dns).endpoints({kA})}),
       .kept = {}},
      {.name = "service deleted meanwhile: its frontends' filters are kept",
       .failed = {pairFilter("10.96.0.10", 53, "10.244.1.5"),
                  pairFilter(std::nullopt, 30053, "10.244.1.5")},
       .after = {},
       .kept = {"IPv4 udp orig-dst=10.96.0.10 orig-port-dst=53 reply-src=10.244.1.5",
                "IPv4 udp orig-port-dst=30053 reply-src=10.244.1.5"}},
      {.name = "NodePort left without endpoints: kept (the reconcile skips it)",
       .failed = {pairFilter(std::nullopt, 30053, "10.244.1.5")},
       .after = stateOf({Port(dns).nodePort(30053)}),
       .kept = {"IPv4 udp orig-port-dst=30053 reply-src=10.244.1.5"}},
      {.name = "NodePort endpoint back: dropped",
       .failed = {pairFilter(std::nullopt, 30053, "10.244.1.5")},
       .after = stateOf({Port(dns).nodePort(30053).endpoints({kA})}),
       .kept = {}},
      {.name = "another service's endpoint at the same IP does not count",
       .failed = {pairFilter("10.96.0.10", 53, "10.244.1.5")},
       .after =
           stateOf({Port(dns).endpoints({kB}), Port("other", "10.96.0.11", 53).endpoints({kA})}),
       .kept = {"IPv4 udp orig-dst=10.96.0.10 orig-port-dst=53 reply-src=10.244.1.5"}},
      {.name = "IPv6",
       .failed = {pairFilter("fd00:96::10", 53, "fd00:244::5"),
                  pairFilter("fd00:96::10", 53, "fd00:244::6")},
       .after = stateOf({Port("dns6", "fd00:96::10", 53).endpoints({ep("fd00:244::6")})}),
       .kept = {"IPv6 udp orig-dst=fd00:96::10 orig-port-dst=53 reply-src=fd00:244::5"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::vector<ConntrackFilter> kept =
        retryableFilters(c.failed, c.after, UdpFrontendIndex(c.after));
    EXPECT_TRUE(std::is_sorted(kept.begin(), kept.end()));
    std::vector<std::string> got;
    for (const ConntrackFilter& f : kept) got.push_back(f.str());
    std::vector<std::string> want = c.kept;
    std::sort(got.begin(), got.end());
    std::sort(want.begin(), want.end());
    EXPECT_EQ(got, want);
  }
}

}  // namespace
}  // namespace kpx::test
