// buildState().global: detect-local, masquerade and NodePort addresses from config and Node.
#include <gtest/gtest.h>

#include "proxy/build_state.h"
#include "tests/unit/proxy/test_support.h"

namespace kpx::test {
namespace {

struct Case {
  std::string name = {};
  std::optional<Node> node = std::nullopt;
  ProxyConfig config = defaultConfig();
  GlobalState expected = {};
};

ProxyConfig withConfig(void (*change)(ProxyConfig&)) {
  ProxyConfig config = defaultConfig();
  change(config);
  return config;
}

ProxyConfig withNodePortAddresses(std::vector<std::string> spec) {
  ProxyConfig config = defaultConfig();
  config.nodePortAddresses = std::move(spec);
  return config;
}

// What defaultConfig() resolves to; cases change only what they test.
GlobalState defaults() {
  return {.localTrafficCIDRs = {cidr("10.0.0.0/8"), cidr("fd00::/48")},
          .detectLocalMode = LocalDetectMode::ClusterCIDR,
          .localInterface = "",
          .masqueradeAll = false,
          .masqueradeMark = 0x4000,
          .nodePortAddresses = {.allLocal = true, .cidrs = {}},
          .families = {IPFamily::V4, IPFamily::V6}};
}

GlobalState withGlobal(void (*change)(GlobalState&)) {
  GlobalState g = defaults();
  change(g);
  return g;
}

GlobalState withNodePorts(std::vector<CIDR> cidrs) {
  GlobalState g = defaults();
  g.nodePortAddresses = {.allLocal = false, .cidrs = std::move(cidrs)};
  return g;
}

const Node kNode = makeNode(std::string(kNodeName))
                       .address("Hostname", "node-a")
                       .address("ExternalIP", "203.0.113.5")
                       .address("InternalIP", "192.168.1.10")
                       .address("InternalIP", "fd00:1::10")
                       .podCIDR("10.244.1.0/24")
                       .podCIDR("fd00:244:1::/64");

TEST(GlobalStateTest, Table) {
  const std::vector<Case> cases = {
      {.name = "defaults: ClusterCIDR detect-local, mark 0x4000, NodePorts on all addresses",
       .node = kNode,
       .expected = defaults()},
      {.name = "NodeCIDR: the Node's podCIDRs",
       .node = kNode,
       .config = withConfig([](ProxyConfig& c) { c.detectLocalMode = LocalDetectMode::NodeCIDR; }),
       .expected = withGlobal([](GlobalState& g) {
         g.detectLocalMode = LocalDetectMode::NodeCIDR;
         g.localTrafficCIDRs = {cidr("10.244.1.0/24"), cidr("fd00:244:1::/64")};
       })},
      {.name = "NodeCIDR, Node unknown yet: no local CIDRs",
       .config = withConfig([](ProxyConfig& c) { c.detectLocalMode = LocalDetectMode::NodeCIDR; }),
       .expected = withGlobal([](GlobalState& g) {
         g.detectLocalMode = LocalDetectMode::NodeCIDR;
         g.localTrafficCIDRs = {};
       })},
      {.name = "BridgeInterface: the bridge's name, no CIDRs",
       .config = withConfig([](ProxyConfig& c) {
         c.detectLocalMode = LocalDetectMode::BridgeInterface;
         c.bridgeInterface = "cbr0";
       }),
       .expected = withGlobal([](GlobalState& g) {
         g.detectLocalMode = LocalDetectMode::BridgeInterface;
         g.localTrafficCIDRs = {};
         g.localInterface = "cbr0";
       })},
      {.name = "InterfaceNamePrefix: the prefix, no CIDRs",
       .config = withConfig([](ProxyConfig& c) {
         c.detectLocalMode = LocalDetectMode::InterfaceNamePrefix;
         c.interfaceNamePrefix = "veth";
       }),
       .expected = withGlobal([](GlobalState& g) {
         g.detectLocalMode = LocalDetectMode::InterfaceNamePrefix;
         g.localTrafficCIDRs = {};
         g.localInterface = "veth";
       })},
      {.name = "masqueradeAll and another masquerade bit",
       .config = withConfig([](ProxyConfig& c) {
         c.masqueradeAll = true;
         c.masqueradeBit = 12;
       }),
       .expected = withGlobal([](GlobalState& g) {
         g.masqueradeAll = true;
         g.masqueradeMark = 0x1000;
       })},
      {.name = "IPv6-only proxy: families copied, nothing filtered here",
       .config = withConfig([](ProxyConfig& c) { c.families = {IPFamily::V6}; }),
       .expected = withGlobal([](GlobalState& g) { g.families = {IPFamily::V6}; })},
      {.name = "nodePortAddresses all",
       .config = withNodePortAddresses({"all"}),
       .expected = defaults()},
      {.name = "nodePortAddresses: all wins over CIDRs",
       .config = withNodePortAddresses({"192.168.0.0/16", "all"}),
       .expected = defaults()},
      {.name = "nodePortAddresses primary: InternalIP and ExternalIP as host prefixes",
       .node = kNode,
       .config = withNodePortAddresses({"primary"}),
       .expected = withNodePorts(
           {cidr("192.168.1.10/32"), cidr("203.0.113.5/32"), cidr("fd00:1::10/128")})},
      {.name = "nodePortAddresses primary, Node unknown: all local addresses",
       .config = withNodePortAddresses({"primary"}),
       .expected = defaults()},
      {.name = "nodePortAddresses primary, Node without addresses: all local addresses",
       .node = makeNode(std::string(kNodeName)),
       .config = withNodePortAddresses({"primary"}),
       .expected = defaults()},
      {.name = "nodePortAddresses CIDRs, both families, sorted; unparsable skipped",
       .config = withNodePortAddresses({"fd00:1::/64", "bogus", "192.168.0.0/16", "10.0.0.0/8"}),
       .expected =
           withNodePorts({cidr("10.0.0.0/8"), cidr("192.168.0.0/16"), cidr("fd00:1::/64")})},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const ClusterSnapshot cluster = makeSnapshot({}, {}, c.node);
    const Node* node = c.node ? cluster.node(c.node->meta.name) : nullptr;
    EXPECT_EQ(buildState(cluster, node, c.config).global, c.expected);
  }
}

}  // namespace
}  // namespace kpx::test
