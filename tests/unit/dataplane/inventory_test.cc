// The decoding half of `kpx dump` for nftables (inventoryOf): tables as the reader returns them,
// made here from what a full sync writes (renderBase, renderPort, the rules' own expressions)
// rather than read from a kernel. tests/kernel checks the same against a real kernel; this
// covers the decoding under the sanitizers, and tables changed by hand that it must survive.
#include "dataplane/nftables/inventory.h"

#include <gtest/gtest.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>

#include <string>
#include <vector>

#include "dataplane/netlink/rule_builder.h"
#include "dataplane/nftables/names.h"
#include "dataplane/nftables/render_base.h"
#include "dataplane/nftables/render_port.h"
#include "dataplane/nftables/rules.h"
#include "dataplane/nftables/table_model.h"
#include "tests/kernel/state_builder.h"

namespace kpx::nftables {
namespace {

using testing::defaultGlobal;
using testing::endpoint;
using testing::PortBuilder;

// A rule as the reader returns it: each expression's name and text, and its verdicts.
nft::RuleInfo ruleInfo(nft::Family family, const std::string& chain, const RuleDef& rule) {
  nft::RuleBuilder b(family, kTable, chain);
  rule.build(b);
  EXPECT_TRUE(b.ok()) << b.error();
  nft::RulePtr built = b.take();
  nft::RuleInfo info;
  info.chain = chain;
  nftnl_expr_foreach(
      built.get(),
      [](nftnl_expr* e, void* data) -> int {
        auto* out = static_cast<nft::RuleInfo*>(data);
        nft::ExprInfo expr{nftnl_expr_get_str(e, NFTNL_EXPR_NAME), nft::renderExpr(e)};
        if (expr.name == "immediate" && nftnl_expr_is_set(e, NFTNL_EXPR_IMM_VERDICT)) {
          nft::Verdict v;
          v.code = static_cast<nft::VerdictCode>(nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT));
          if (nftnl_expr_is_set(e, NFTNL_EXPR_IMM_CHAIN))
            v.chain = nftnl_expr_get_str(e, NFTNL_EXPR_IMM_CHAIN);
          out->verdicts.push_back(v);
        }
        out->exprs.push_back(std::move(expr));
        return 0;
      },
      &info);
  return info;
}

// One family's table as a full sync of `state` writes it, in the reader's shape.
nft::TableContents tableOf(IPFamily family, const ProxyState& state) {
  const nft::Family f = nftFamily(family);
  TableModel model;
  TableDelta delta;
  std::vector<std::string> problems;
  BaseRendering base = renderBase(family, state.global, {});
  model.setBaseChains(std::move(base.chains), &delta);
  for (const auto& [key, sp] : state.servicePorts) {
    if (key.family != family) continue;
    const PortRendering r = renderPort(sp, state.global);
    model.updatePort(key, nullptr, &r, &delta, problems);
  }
  EXPECT_TRUE(problems.empty());
  nft::TableContents t;
  t.table.family = f;
  t.table.name = std::string(kTable);
  for (const auto& [name, chain] : delta.addedChains()) {
    t.chains.push_back(nft::ChainInfo{name, 0, chain.base, 0, ""});
    for (const auto& rule : chain.rules) t.rules.push_back(ruleInfo(f, name, rule));
  }
  for (const auto& spec : base.sets) {
    nft::SetInfo set;
    set.name = spec.name;
    for (const auto& [id, e] : delta.addedElements()) {
      if (e.map != spec.name) continue;
      set.elements.push_back(nft::ElementInfo{e.key, e.verdict, e.data, 0, 0, 0, e.comment});
    }
    t.sets.push_back(std::move(set));
  }
  return t;
}

ProxyState sample() {
  return testing::stateOf(
      defaultGlobal(),
      {
          PortBuilder("default", "web", "http", "10.96.0.10", 80)
              .endpoints({endpoint("10.244.1.2", 8080), endpoint("10.244.2.3", 8080)}),
          PortBuilder("default", "api", "", "10.96.0.11", 443)
              .endpoints({endpoint("10.244.1.9", 6443)}),
          PortBuilder("default", "np", "http", "10.96.0.20", 80)
              .nodePort(30080)
              .endpoints({endpoint("10.244.1.4", 8080)}),
          PortBuilder("default", "npe", "http", "10.96.0.21", 80).nodePort(30081),
          PortBuilder("default", "ext", "dns", "10.96.0.30", 53, Protocol::UDP)
              .externalIP("192.0.2.10")
              .endpoints({endpoint("10.244.1.5", 5353)}),
          PortBuilder("default", "lb", "https", "10.96.0.40", 443)
              .nodePort(30443)
              .loadBalancer("198.51.100.7", {"203.0.113.0/24"})
              .affinity(10800)
              .endpoints({endpoint("10.244.1.6", 8443), endpoint("10.244.2.7", 8443)}),
          PortBuilder("default", "empty", "http", "10.96.0.50", 80),
          PortBuilder("default", "local", "http", "10.96.0.60", 80)
              .nodePort(30060)
              .externalPolicyLocal()
              .endpoints({endpoint("10.244.3.8", 8080)})
              .externalEndpoints({}, EmptyAction::Drop),
          PortBuilder("default", "sig", "sctp", "10.96.0.70", 9999, Protocol::SCTP)
              .endpoints({endpoint("10.244.1.7", 9999)}),
          PortBuilder("default", "web6", "http", "fd00:96::10", 80)
              .nodePort(30090)
              .affinity(60)
              .endpoints({endpoint("fd00:10:244:1::2", 8080), endpoint("fd00:10:244:2::3", 8080)}),
      });
}

TEST(InventoryTest, WhatAFullSyncWritesDecodesToTheExpectedInventory) {
  const ProxyState state = sample();
  const Inventory inv = inventoryOf(
      {{IPFamily::V4, tableOf(IPFamily::V4, state)}, {IPFamily::V6, tableOf(IPFamily::V6, state)}});
  EXPECT_EQ(inventoryDifferences(expectedInventory(state), inv), std::vector<std::string>{})
      << inv.raw;
  EXPECT_EQ(inv, expectedInventory(state));
  const InventoryPort* lb =
      inv.find(ServicePortKey{"default", "lb", "https", Protocol::TCP, IPFamily::V4});
  ASSERT_NE(lb, nullptr);
  EXPECT_EQ(lb->affinitySeconds, std::optional<uint32_t>(10800));
  EXPECT_NE(inv.raw.find("table ip kpx: "), std::string::npos);
  EXPECT_NE(inv.raw.find("table ip6 kpx: "), std::string::npos);
}

TEST(InventoryTest, NoTablesIsAnEmptyInventory) {
  EXPECT_TRUE(inventoryOf({}).ports.empty());
  EXPECT_TRUE(inventoryOf({{IPFamily::V4, nft::TableContents{}}}).ports.empty());
}

// Anything may be in a table someone edited by hand: what cannot be read is left out, and
// nothing throws (the port of an endpoint chain used to go through std::stoul, the affinity
// timeout through std::regex and std::stoull).
TEST(InventoryTest, ObjectsItCannotReadAreLeftOut) {
  const ServicePortKey web{"default", "web", "http", Protocol::TCP, IPFamily::V4};
  nft::TableContents t;
  auto chainNamed = [&](std::string name) {
    t.chains.push_back(nft::ChainInfo{std::move(name), 0, std::nullopt, 0, ""});
  };
  const std::string good = "endpoint-ABCDEFGH-default/web/tcp/http__10.244.1.2/8080";
  chainNamed(good);
  for (const char* bad : {
           "endpoint-ABCDEFGH-default/web/tcp/http__10.244.1.2/99999",
           "endpoint-ABCDEFGH-default/web/tcp/http__10.244.1.2/-1",
           "endpoint-ABCDEFGH-default/web/tcp/http__10.244.1.2/80a",
           "endpoint-ABCDEFGH-default/web/tcp/http__10.244.1.2/",
           "endpoint-ABCDEFGH-default/web/tcp/http__10.244.1.2/184467440737095516160",
           "endpoint-ABCDEFGH-default/web/tcp/http__not-an-ip/80",
           "endpoint-ABCDEFGH-default/web/tcp/http__10.244.1.2",
           "endpoint-ABCDEFGH-default/web/tcp/http",
           "endpoint-ABCDEFGH-default/web/xyz/http__10.244.1.2/80",
           "endpoint-ABCDEFGH-/web/tcp/http__10.244.1.2/80",
           "endpoint-ABC",
           "endpoint-",
           "service-",
           "-",
           "",
       })
    chainNamed(bad);
  // Affinity timeouts, as libnftnl prints a dynset: only "timeout <digits>ms" is read.
  auto dynset = [&](std::string text) {
    nft::RuleInfo r;
    r.chain = good;
    r.exprs.push_back(nft::ExprInfo{"dynset", std::move(text)});
    t.rules.push_back(std::move(r));
  };
  dynset("dynset update reg_key 1 set affinity timeout 99999999999999999999999ms");
  dynset("dynset update reg_key 1 set affinity timeout ms");
  dynset("dynset update reg_key 1 set affinity timeout 12s");
  dynset("timeout");
  dynset("");
  dynset("dynset update reg_key 1 set affinity timeout 600000ms ");
  // Elements with keys too short for their map, verdicts to chains that are not kpx's, comments
  // that name no service.
  nft::SetInfo dispatch;
  dispatch.name = std::string(kServiceIPs);
  dispatch.elements.push_back(nft::ElementInfo{{10, 96}, nft::Verdict::goTo("x"), {}, 0, 0, 0, ""});
  dispatch.elements.push_back(nft::ElementInfo{
      {10, 96, 0, 10, 6, 0, 0, 0, 0, 80, 0, 0}, nft::Verdict::goTo("x"), {}, 0, 0, 0, ""});
  dispatch.elements.push_back(nft::ElementInfo{
      {10, 96, 0, 10, 99, 0, 0, 0, 0, 80, 0, 0}, nft::Verdict::goTo(good), {}, 0, 0, 0, ""});
  t.sets.push_back(dispatch);
  nft::SetInfo noEndpoints;
  noEndpoints.name = std::string(kNoEndpointServices);
  for (const char* comment : {"", "/", "ns/", "/name", "ns/name:", "no slash"})
    noEndpoints.elements.push_back(nft::ElementInfo{
        {10, 96, 0, 11, 6, 0, 0, 0, 0, 80, 0, 0}, nft::Verdict::drop(), {}, 0, 0, 0, comment});
  noEndpoints.elements.push_back(
      nft::ElementInfo{{10, 96, 0}, nft::Verdict::drop(), {}, 0, 0, 0, "default/short:http"});
  t.sets.push_back(noEndpoints);
  nft::SetInfo endpoints;
  endpoints.name = "endpoints-01";
  endpoints.elements.push_back(
      nft::ElementInfo{{}, std::nullopt, {10, 244}, 0, 0, 0, "default/web/tcp/http"});
  endpoints.elements.push_back(
      nft::ElementInfo{{}, std::nullopt, {10, 244, 1, 3, 0x1f, 0x90}, 0, 0, 0, "not/a/key"});
  t.sets.push_back(endpoints);
  nft::SetInfo clusterIPs;
  clusterIPs.name = std::string(kClusterIPs);
  clusterIPs.elements.push_back(nft::ElementInfo{{10}, std::nullopt, {}, 0, 0, 0, ""});
  t.sets.push_back(clusterIPs);

  Inventory inv;
  ASSERT_NO_THROW(inv = inventoryOf({{IPFamily::V4, t}}));
  // What was readable: the good endpoint chain and the one valid affinity timeout, and the
  // no-endpoint element whose comment names a port ("ns/name:" is port "" of ns/name).
  ASSERT_EQ(inv.ports.size(), 2U) << inv.raw;
  const InventoryPort* p = inv.find(web);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(
      p->endpoints,
      (std::vector<InventoryEndpoint>{{testing::addr("10.244.1.2"), 8080, EndpointPhase::Active}}));
  EXPECT_EQ(p->affinitySeconds, std::optional<uint32_t>(600));
  const InventoryPort* named =
      inv.find(ServicePortKey{"ns", "name", "", Protocol::TCP, IPFamily::V4});
  ASSERT_NE(named, nullptr);
  EXPECT_EQ(named->vips.size(), 1U);
}

}  // namespace
}  // namespace kpx::nftables
