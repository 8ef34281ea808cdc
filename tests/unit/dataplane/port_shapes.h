// Shared by the renderer's unit tests: one service port of each shape the renderer branches on,
// a rendering as comparable lines, and a check that every rule builds into netlink expressions.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "dataplane/netlink/rule_builder.h"
#include "dataplane/nftables/names.h"
#include "dataplane/nftables/rendering.h"
#include "dataplane/nftables/rules.h"
#include "tests/kernel/state_builder.h"

namespace kpx::nftables::shapes_test {

using testing::defaultGlobal;
using testing::endpoint;
using testing::PortBuilder;
using Lines = std::vector<std::string>;

// A rendering as lines: "<chain>: <rule>" in order, then "<map>: <element>" in order.
inline Lines lines(const PortRendering& r) {
  Lines out;
  for (const auto& c : r.chains)
    for (const auto& rule : c.rules) out.push_back(c.name + ": " + rule.text);
  for (const auto& e : r.elements)
    out.push_back(e.map + ": " + e.text() + (e.comment.empty() ? "" : " # " + e.comment));
  return out;
}

// KPX_PRINT_RENDERINGS=1 prints what is rendered, to review and paste as goldens.
inline Lines checked(const std::string& name, const PortRendering& r) {
  Lines out = lines(r);
  if (std::getenv("KPX_PRINT_RENDERINGS") != nullptr) {
    std::cout << "--- " << name << "\n";
    for (const auto& l : out) std::cout << "      \"" << l << "\",\n";
  }
  return out;
}

// Every rule of a rendering built into netlink expressions, as a sync does.
inline void expectRulesBuild(const std::vector<ChainDef>& chains, IPFamily family) {
  for (const auto& c : chains) {
    for (const auto& rule : c.rules) {
      nft::RuleBuilder b(nftFamily(family), kTable, c.name);
      ASSERT_TRUE(rule.build) << rule.text;
      EXPECT_NO_THROW(rule.build(b)) << rule.text;
      EXPECT_TRUE(b.ok()) << rule.text << ": " << b.error();
      EXPECT_GT(b.expressionCount(), 0U) << rule.text;
      EXPECT_FALSE(b.render().empty()) << rule.text;
    }
  }
}

struct Shape {
  std::string name;
  ServicePortState sp;
  GlobalState global;
};

// One of each shape a port takes: what the renderer branches on.
inline std::vector<Shape> shapes() {
  const GlobalState g = defaultGlobal();
  GlobalState masqAll = g;
  masqAll.masqueradeAll = true;
  GlobalState bridge = g;
  bridge.detectLocalMode = LocalDetectMode::BridgeInterface;
  bridge.localInterface = "cbr0";
  GlobalState prefix = g;
  prefix.detectLocalMode = LocalDetectMode::InterfaceNamePrefix;
  prefix.localInterface = "veth";
  GlobalState noLocal = g;
  noLocal.localTrafficCIDRs.clear();
  const auto web = PortBuilder("default", "web", "http", "10.96.0.10", 80)
                       .endpoints({endpoint("10.244.1.2", 8080), endpoint("10.244.2.3", 8080)});
  return {
      {"clusterip", web, g},
      {"clusterip-unnamed-port",
       PortBuilder("default", "api", "", "10.96.0.11", 443)
           .endpoints({endpoint("10.244.1.9", 6443)}),
       g},
      {"no-endpoints", PortBuilder("default", "empty", "http", "10.96.0.50", 80), g},
      {"nodeport",
       PortBuilder("default", "np", "http", "10.96.0.20", 80)
           .nodePort(30080)
           .endpoints({endpoint("10.244.1.4", 8080)}),
       g},
      {"nodeport-no-endpoints",
       PortBuilder("default", "npe", "http", "10.96.0.21", 80).nodePort(30081), g},
      {"externalip-udp",
       PortBuilder("default", "ext", "dns", "10.96.0.30", 53, Protocol::UDP)
           .externalIP("192.0.2.10")
           .endpoints({endpoint("10.244.1.5", 5353)}),
       g},
      {"loadbalancer-ranges-affinity",
       PortBuilder("default", "lb", "https", "10.96.0.40", 443)
           .nodePort(30443)
           .loadBalancer("198.51.100.7", {"203.0.113.0/24"})
           .affinity(10800)
           .endpoints({endpoint("10.244.1.6", 8443), endpoint("10.244.2.7", 8443)}),
       g},
      {"local-policy-no-local-endpoint",
       PortBuilder("default", "local", "http", "10.96.0.60", 80)
           .nodePort(30060)
           .externalPolicyLocal()
           .endpoints({endpoint("10.244.3.8", 8080)})
           .externalEndpoints({}, EmptyAction::Drop),
       g},
      {"local-policy-local-endpoint",
       PortBuilder("default", "loc2", "http", "10.96.0.61", 80)
           .externalIP("192.0.2.11")
           .externalPolicyLocal()
           .endpoints({endpoint("10.244.3.8", 8080, true), endpoint("10.244.4.9", 8080)})
           .externalEndpoints({endpoint("10.244.3.8", 8080, true)}, EmptyAction::Drop),
       g},
      {"ipv6",
       PortBuilder("default", "web6", "http", "fd00:96::10", 80)
           .nodePort(30090)
           .affinity(60)
           .endpoints({endpoint("fd00:10:244:1::2", 8080)}),
       g},
      {"sctp",
       PortBuilder("default", "sig", "sctp", "10.96.0.70", 9999, Protocol::SCTP)
           .endpoints({endpoint("10.244.1.7", 9999)}),
       g},
      {"masquerade-all", web, masqAll},
      {"bridge-interface", web, bridge},
      {"interface-prefix", web, prefix},
      {"no-local-detection", web, noLocal},
  };
}

inline const Shape& shape(const std::vector<Shape>& all, const std::string& name) {
  return *std::find_if(all.begin(), all.end(), [&](const Shape& s) { return s.name == name; });
}

}  // namespace kpx::nftables::shapes_test
