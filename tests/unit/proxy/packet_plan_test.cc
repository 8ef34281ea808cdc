// The packet plan, in the style of upstream kube-proxy's packet-flow tests: services and
// endpoint slices in, then for each flow (source, what it is addressed to) the endpoints it may
// reach, REJECT or DROP, and whether it is masqueraded. buildState() and planPort() together:
// every per-packet decision a backend translates.
#include "proxy/packet_plan.h"

#include <gtest/gtest.h>

#include "proxy/build_state.h"
#include "tests/unit/proxy/test_support.h"

namespace kpx::test {
namespace {

const std::string kThisNode(kNodeName);
constexpr const char* kNodeIP = "192.168.0.2";       // the node itself (fib saddr type local)
constexpr const char* kPod = "10.0.1.1";             // a pod on this node (cluster CIDR 10.0.0.0/8)
constexpr const char* kOutside = "203.0.113.5";      // a client outside the cluster
constexpr const char* kAllowed = "198.51.100.9";     // inside the LB source range
constexpr const char* kLbIP = "192.0.2.100";
constexpr const char* kExternalIP = "192.0.2.200";

enum class To { ClusterIP, ExternalIP, LoadBalancer, NodePort };

struct Flow {
  Flow(std::string name, std::string source, To to, std::string output, bool masq,
       std::string iif = "eth0")
      : name(std::move(name)), source(std::move(source)), to(to), output(std::move(output)),
        masq(masq), iif(std::move(iif)) {}
  std::string name;
  std::string source;
  To to;
  std::string output;  // "10.180.0.1:80, 10.180.0.2:80", "REJECT" or "DROP"
  bool masq;
  std::string iif;
};

struct FlowCase {
  std::string name = {};
  std::vector<Service> services = {};
  std::vector<EndpointSlice> slices = {};
  ProxyConfig config = defaultConfig();
  std::vector<Flow> flows = {};
};

Packet packetOf(const Flow& f) {
  Packet p;
  p.source = ip(f.source);
  p.inputInterface = f.iif;
  p.sourceIsNodeLocal = f.source == kNodeIP;
  switch (f.to) {
    case To::ClusterIP:
      p.to = VipKind::ClusterIP;
      break;
    case To::ExternalIP:
      p.to = VipKind::External;
      break;
    case To::LoadBalancer:
      p.to = VipKind::External;
      p.toLoadBalancerIP = true;
      break;
    case To::NodePort:
      p.to = VipKind::NodePort;
      break;
  }
  return p;
}

void runFlows(const std::vector<FlowCase>& cases) {
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const ClusterSnapshot cluster = makeSnapshot(c.services, c.slices, std::nullopt);
    const ProxyState state = buildState(cluster, nullptr, c.config);
    ASSERT_FALSE(state.servicePorts.empty());
    const ServicePortState& sp = state.servicePorts.begin()->second;
    const PortPlan plan = planPort(sp, state.global);
    for (const auto& f : c.flows) {
      SCOPED_TRACE(f.name);
      const PacketFate fate = tracePacket(plan, packetOf(f));
      std::string output = fate.str();
      if (fate.masquerade) output.resize(output.size() - std::string(" masq").size());
      EXPECT_EQ(output, f.output);
      EXPECT_EQ(fate.masquerade, f.masq);
    }
  }
}

ServiceBuilder web(ServiceType type = ServiceType::ClusterIP) {
  auto s = makeService("ns", "web").type(type).clusterIP("172.30.0.41").port("p80", 80);
  if (type != ServiceType::ClusterIP) s.nodePort(30080);
  return s;
}

// 10.180.0.1 on this node, 10.180.0.2 elsewhere.
SliceBuilder bothNodes() {
  return makeSlice("ns", "web-1", "web")
      .port("p80", 80)
      .endpoint(makeEndpoint("10.180.0.1").node(kThisNode))
      .endpoint(makeEndpoint("10.180.0.2").node("node-b"));
}

SliceBuilder otherNodeOnly() {
  return makeSlice("ns", "web-1", "web").port("p80", 80).endpoint(
      makeEndpoint("10.180.0.2").node("node-b"));
}

const std::string kBoth = "10.180.0.1:80, 10.180.0.2:80";
const std::string kLocal = "10.180.0.1:80";
const std::string kRemote = "10.180.0.2:80";

TEST(PacketPlan, ClusterIP) {
  ProxyConfig noDetect = defaultConfig();
  noDetect.clusterCIDRs.clear();
  ProxyConfig masqAll = defaultConfig();
  masqAll.masqueradeAll = true;
  ProxyConfig bridge = defaultConfig();
  bridge.detectLocalMode = LocalDetectMode::BridgeInterface;
  bridge.bridgeInterface = "cbr0";
  ProxyConfig prefix = defaultConfig();
  prefix.detectLocalMode = LocalDetectMode::InterfaceNamePrefix;
  prefix.interfaceNamePrefix = "veth";
  runFlows({
      {.name = "cluster CIDR detects pods",
       .services = {web()},
       .slices = {bothNodes()},
       .flows = {{"pod to ClusterIP", kPod, To::ClusterIP, kBoth, false},
                 {"node to ClusterIP", kNodeIP, To::ClusterIP, kBoth, true},
                 {"outside to ClusterIP", kOutside, To::ClusterIP, kBoth, true}}},
      {.name = "without a way to detect pods nothing is masqueraded",
       .services = {web()},
       .slices = {bothNodes()},
       .config = noDetect,
       .flows = {{"pod to ClusterIP", kPod, To::ClusterIP, kBoth, false},
                 {"outside to ClusterIP", kOutside, To::ClusterIP, kBoth, false}}},
      {.name = "masqueradeAll",
       .services = {web()},
       .slices = {bothNodes()},
       .config = masqAll,
       .flows = {{"pod to ClusterIP", kPod, To::ClusterIP, kBoth, true}}},
      {.name = "bridge interface",
       .services = {web()},
       .slices = {bothNodes()},
       .config = bridge,
       .flows = {{"pod via the bridge", kPod, To::ClusterIP, kBoth, false, "cbr0"},
                 {"pod address on another interface", kPod, To::ClusterIP, kBoth, true, "eth0"},
                 {"bridge name as a prefix only", kPod, To::ClusterIP, kBoth, true, "cbr01"}}},
      {.name = "interface name prefix",
       .services = {web()},
       .slices = {bothNodes()},
       .config = prefix,
       .flows = {{"pod via veth", kPod, To::ClusterIP, kBoth, false, "veth1234"},
                 {"other interface", kOutside, To::ClusterIP, kBoth, true, "eth0"}}},
      {.name = "no endpoints: reject",
       .services = {web()},
       .flows = {{"pod to ClusterIP", kPod, To::ClusterIP, "REJECT", false},
                 {"outside to ClusterIP", kOutside, To::ClusterIP, "REJECT", false}}},
      {.name = "internalTrafficPolicy Local: this node's endpoints only",
       .services = {web().internalPolicy(TrafficPolicy::Local)},
       .slices = {bothNodes()},
       .flows = {{"pod to ClusterIP", kPod, To::ClusterIP, kLocal, false}}},
      {.name = "internalTrafficPolicy Local, none here: drop",
       .services = {web().internalPolicy(TrafficPolicy::Local)},
       .slices = {otherNodeOnly()},
       .flows = {{"pod to ClusterIP", kPod, To::ClusterIP, "DROP", false}}},
  });
}

TEST(PacketPlan, ExternalTrafficPolicyCluster) {
  runFlows({
      {.name = "NodePort, eTP=Cluster: everyone masqueraded, every endpoint",
       .services = {web(ServiceType::NodePort)},
       .slices = {bothNodes()},
       .flows = {{"outside to NodePort", kOutside, To::NodePort, kBoth, true},
                 {"pod to NodePort", kPod, To::NodePort, kBoth, true},
                 {"node to NodePort", kNodeIP, To::NodePort, kBoth, true},
                 {"pod to ClusterIP", kPod, To::ClusterIP, kBoth, false}}},
      {.name = "externalIP, eTP=Cluster",
       .services = {web().externalIP(kExternalIP)},
       .slices = {bothNodes()},
       .flows = {{"outside to externalIP", kOutside, To::ExternalIP, kBoth, true},
                 {"pod to externalIP", kPod, To::ExternalIP, kBoth, true}}},
      {.name = "NodePort without endpoints: reject",
       .services = {web(ServiceType::NodePort)},
       .flows = {{"outside to NodePort", kOutside, To::NodePort, "REJECT", false}}},
  });
}

TEST(PacketPlan, ExternalTrafficPolicyLocal) {
  runFlows({
      {.name = "eTP=Local with a local endpoint",
       .services = {web(ServiceType::NodePort).externalPolicy(TrafficPolicy::Local)},
       .slices = {bothNodes()},
       .flows = {{"outside: local endpoint, source kept", kOutside, To::NodePort, kLocal, false},
                 {"pod: short-circuited to every endpoint, unmasqueraded", kPod, To::NodePort,
                  kBoth, false},
                 {"node: short-circuited, masqueraded", kNodeIP, To::NodePort, kBoth, true}}},
      {.name = "eTP=Local without a local endpoint",
       .services = {web(ServiceType::NodePort).externalPolicy(TrafficPolicy::Local)},
       .slices = {otherNodeOnly()},
       .flows = {{"outside: dropped", kOutside, To::NodePort, "DROP", false},
                 {"pod: still reaches the service", kPod, To::NodePort, kRemote, false},
                 {"node: still reaches the service", kNodeIP, To::NodePort, kRemote, true}}},
      {.name = "eTP=Local without any endpoint",
       .services = {web(ServiceType::NodePort).externalPolicy(TrafficPolicy::Local)},
       .flows = {{"outside: rejected", kOutside, To::NodePort, "REJECT", false},
                 {"pod: rejected", kPod, To::NodePort, "REJECT", false}}},
  });
}

TEST(PacketPlan, LoadBalancerSourceRanges) {
  auto lb = [] {
    return web(ServiceType::LoadBalancer).ingress(kLbIP).sourceRange("198.51.100.0/24");
  };
  runFlows({
      {.name = "source ranges guard the LB IP, for every source",
       .services = {lb()},
       .slices = {bothNodes()},
       .flows = {{"allowed source", kAllowed, To::LoadBalancer, kBoth, true},
                 {"other source", kOutside, To::LoadBalancer, "DROP", false},
                 {"pod outside the ranges", kPod, To::LoadBalancer, "DROP", false},
                 {"the LB IP itself (cloud SNAT)", kLbIP, To::LoadBalancer, kBoth, true},
                 {"the NodePort bypasses the ranges", kOutside, To::NodePort, kBoth, true},
                 {"the ClusterIP bypasses the ranges", kPod, To::ClusterIP, kBoth, false}}},
      {.name = "source ranges with eTP=Local",
       .services = {lb().externalPolicy(TrafficPolicy::Local)},
       .slices = {bothNodes()},
       .flows = {{"allowed source: local endpoint", kAllowed, To::LoadBalancer, kLocal, false},
                 {"other source", kOutside, To::LoadBalancer, "DROP", false}}},
      {.name = "no source ranges: open",
       .services = {web(ServiceType::LoadBalancer).ingress(kLbIP)},
       .slices = {bothNodes()},
       .flows = {{"any source", kOutside, To::LoadBalancer, kBoth, true}}},
  });
}

TEST(PacketPlan, PlanFields) {
  // The plan itself, for the cases backends must translate literally.
  const ClusterSnapshot cluster = makeSnapshot(
      {web(ServiceType::LoadBalancer).ingress(kLbIP).sourceRange("198.51.100.0/24").externalPolicy(TrafficPolicy::Local)},
      {bothNodes()}, std::nullopt);
  const ProxyState state = buildState(cluster, nullptr, defaultConfig());
  const PortPlan plan = planPort(state.servicePorts.begin()->second, state.global);
  EXPECT_EQ(plan.localTraffic.kind, LocalTrafficMatch::Kind::SourceCIDR);
  EXPECT_EQ(plan.localTraffic.cidr, cidr("10.0.0.0/8"));
  EXPECT_EQ(plan.internal.masquerade, InternalPlan::Masquerade::UnlessLocal);
  ASSERT_EQ(plan.external.shortCircuits.size(), 2U);
  EXPECT_EQ(plan.external.shortCircuits[0], (ShortCircuit{SourceClass::LocalTraffic, false}));
  EXPECT_EQ(plan.external.shortCircuits[1], (ShortCircuit{SourceClass::NodeLocal, true}));
  EXPECT_FALSE(plan.external.masquerade);
  EXPECT_EQ(plan.firewall.allowSources, std::vector<CIDR>{cidr("198.51.100.0/24")});
  EXPECT_EQ(plan.firewall.allowAddresses, std::vector<IPAddr>{ip(kLbIP)});
  EXPECT_TRUE(plan.hairpinMasquerade);
}

}  // namespace
}  // namespace kpx::test
