// Whole tables without a kernel: the fixed layout (renderBase) against golden nft lines, a
// table written into a batch as a full sync writes it, and NftablesDataplane::render (no socket)
// read back with the parser the kernel tests use on `nft list table`.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "dataplane/netlink/batch.h"
#include "dataplane/nftables/batch_writer.h"
#include "dataplane/nftables/names.h"
#include "dataplane/nftables/nftables_dataplane.h"
#include "dataplane/nftables/render_base.h"
#include "dataplane/nftables/render_port.h"
#include "dataplane/nftables/table_model.h"
#include "tests/kernel/nft_text.h"
#include "tests/unit/dataplane/port_shapes.h"

namespace kpx::nftables {
namespace {

using namespace shapes_test;  // NOLINT: the shared shapes and helpers of these tests

TEST(RenderBaseTest, TheFixedLayout) {
  for (IPFamily family : {IPFamily::V4, IPFamily::V6}) {
    SCOPED_TRACE(family == IPFamily::V4 ? "ip" : "ip6");
    const BaseRendering b = renderBase(family, defaultGlobal(), {});
    // Nine named sets and maps, and the endpoint maps: a constant whatever the services.
    EXPECT_EQ(b.sets.size(), 9U + kEndpointMaps);
    EXPECT_EQ(b.sets.back().name, "endpoints-63");
    EXPECT_TRUE(b.elements.empty());  // NodePorts on every local address
    expectRulesBuild(b.chains, family);
    Lines chains;
    for (const auto& c : b.chains) {
      std::string line = c.name;
      if (c.base)
        line += " (" + c.base->type + " " + std::string(nft::hookName(c.base->hook)) + " " +
                std::to_string(c.base->priority) + ")";
      for (const auto& r : c.rules) line += " | " + r.text;
      chains.push_back(line);
    }
    const std::string ip(ipKeyword(family));
    EXPECT_EQ(chains,
              (Lines{
                  "filter-prerouting-pre-dnat (filter prerouting -110) | ct state new jump "
                  "firewall-check",
                  "filter-output-pre-dnat (filter output -110) | ct state new jump firewall-check",
                  "filter-input (filter input 0) | ct state new jump nodeport-endpoints-check | ct "
                  "state new jump service-endpoints-check",
                  "filter-forward (filter forward 0) | ct state new jump service-endpoints-check | "
                  "ct state new jump cluster-ips-check",
                  "filter-output (filter output 0) | ct state new jump service-endpoints-check | "
                  "ct state new jump cluster-ips-check",
                  "nat-prerouting (nat prerouting -100) | jump services",
                  "nat-output (nat output -100) | jump services",
                  "nat-postrouting (nat postrouting 100) | " + ip + " saddr . " + ip +
                      " daddr @hairpin jump mark-for-masquerade | jump masquerading",
                  "firewall-check | " + ip + " daddr . meta l4proto . th dport vmap @firewall-ips",
                  "service-endpoints-check | " + ip +
                      " daddr . meta l4proto . th dport vmap @no-endpoint-services",
                  "nodeport-endpoints-check | fib daddr type local meta l4proto . th dport vmap "
                  "@no-endpoint-nodeports",
                  "cluster-ips-check | " + ip + " daddr @cluster-ips goto reject-chain",
                  "services | " + ip +
                      " daddr . meta l4proto . th dport vmap @service-ips | fib daddr type local "
                      "meta l4proto . th dport vmap @service-nodeports",
                  "masquerading | meta mark & 0x00004000 == 0x00000000 return | meta mark set meta "
                  "mark ^ 0x00004000 | masquerade fully-random",
                  "mark-for-masquerade | meta mark set meta mark | 0x00004000",
                  "reject-chain | meta l4proto tcp reject with tcp reset | reject",
              }));
  }
}

TEST(RenderBaseTest, NodePortsOnListedAddressesUseTheNodeportIpsSet) {
  GlobalState g = defaultGlobal();
  g.nodePortAddresses.allLocal = false;
  const std::vector<IPAddr> ips = {testing::addr("192.0.2.1"), testing::addr("192.0.2.1"),
                                   testing::addr("2001:db8::1"), testing::addr("192.0.2.2")};
  const BaseRendering b = renderBase(IPFamily::V4, g, ips);
  Lines elements;
  for (const auto& e : b.elements) elements.push_back(e.map + ": " + e.text());
  EXPECT_EQ(elements, (Lines{"nodeport-ips: 192.0.2.1", "nodeport-ips: 192.0.2.2"}));
  const auto services = std::find_if(b.chains.begin(), b.chains.end(),
                                     [](const ChainDef& c) { return c.name == "services"; });
  ASSERT_NE(services, b.chains.end());
  EXPECT_EQ(services->rules.at(1).text,
            "ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports");
  expectRulesBuild(b.chains, IPFamily::V4);
}

// A whole table, as a full sync writes it (batch_writer.h), built into one batch: every message
// kind the backend sends, encoded without a kernel.
TEST(BatchWriterTest, AWholeTableGoesIntoOneBatchWithoutErrors) {
  std::vector<std::string> problems;
  for (IPFamily family : {IPFamily::V4, IPFamily::V6}) {
    TableModel model;
    TableDelta delta;
    const GlobalState g = defaultGlobal();
    BaseRendering base = renderBase(family, g, {});
    model.setBaseChains(std::move(base.chains), &delta);
    std::set<ServicePortKey> ports;  // some shapes share a port, under other settings
    for (const Shape& s : shapes()) {
      if (s.sp.key.family != family || !ports.insert(s.sp.key).second) continue;
      const PortRendering r = renderPort(s.sp, g);
      model.updatePort(s.sp.key, nullptr, &r, &delta, problems);
    }
    nft::Batch batch;
    for (const auto& set : base.sets) batch.addSet(nftFamily(family), kTable, set);
    writeDelta(batch, nftFamily(family), delta);
    EXPECT_FALSE(batch.buildError()) << batch.buildError()->str();
    EXPECT_GT(batch.messageCount(), delta.addedChains().size());

    // The same table emptied again: flushes, deletions, element removals.
    TableDelta removal;
    ports.clear();
    for (const Shape& s : shapes()) {
      if (s.sp.key.family != family || !ports.insert(s.sp.key).second) continue;
      const PortRendering r = renderPort(s.sp, g);
      model.updatePort(s.sp.key, &r, nullptr, &removal, problems);
    }
    nft::Batch remove;
    writeDelta(remove, nftFamily(family), removal);
    EXPECT_FALSE(remove.buildError());
    EXPECT_FALSE(removal.removedChains().empty());
    EXPECT_FALSE(removal.removedElements().empty());
  }
  EXPECT_TRUE(problems.empty());
}

TEST(BatchWriterTest, ARuleWithoutItsBuilderFailsTheBatch) {
  nft::Batch batch;
  EXPECT_NO_THROW(writeRule(batch, nft::Family::Ip, "c", RuleDef{"drop", {}}));
  ASSERT_TRUE(batch.buildError());
  EXPECT_NE(batch.buildError()->object.find("add rule ip kpx c drop"), std::string::npos)
      << batch.buildError()->object;
}

// The whole table as `kpx plan --mode nftables` prints it (NftablesDataplane::render, no
// socket), read back with the parser the kernel tests use on `nft list table`.
TEST(DataplaneRenderTest, TheWholeTableInNftSyntax) {
  const auto all = shapes();
  ProxyState state = testing::stateOf(
      defaultGlobal(), {shape(all, "clusterip").sp, shape(all, "no-endpoints").sp,
                        shape(all, "loadbalancer-ranges-affinity").sp, shape(all, "ipv6").sp});
  const NftablesDataplane dp(BackendOptions{});
  const auto text = dp.render(state);
  ASSERT_TRUE(text) << text.error().str();
  // One block per family, each starting at a line "table <family> kpx {".
  std::vector<std::string> tables;
  for (size_t at = text->find("table "); at != std::string::npos;) {
    const size_t next = text->find("\ntable ", at);
    tables.push_back(text->substr(at, next == std::string::npos ? next : next + 1 - at));
    at = next == std::string::npos ? next : next + 1;
  }
  ASSERT_EQ(tables.size(), 2U) << *text;
  EXPECT_EQ(tables[0].substr(0, tables[0].find('\n')), "table ip kpx {");
  EXPECT_EQ(tables[1].substr(0, tables[1].find('\n')), "table ip6 kpx {");

  const testing::NftTableText v4 = testing::parseNftTable(tables[0]);
  EXPECT_EQ(v4.sets.size(), 9U + kEndpointMaps);
  EXPECT_TRUE(v4.sets.at("service-ips").isMap);
  EXPECT_FALSE(v4.sets.at("cluster-ips").isMap);
  EXPECT_EQ(v4.sets.at("service-ips").elements,
            (Lines{"10.96.0.10 . tcp . 80 : goto service-GB7ZZQEM-default/web/tcp/http comment "
                   "\"default/web:http\"",
                   "10.96.0.40 . tcp . 443 : goto service-BGX5J2M6-default/lb/tcp/https comment "
                   "\"default/lb:https\"",
                   "198.51.100.7 . tcp . 443 : goto external-BGX5J2M6-default/lb/tcp/https "
                   "comment \"default/lb:https\""}));
  EXPECT_EQ(v4.sets.at("cluster-ips").elements, (Lines{"10.96.0.10", "10.96.0.40", "10.96.0.50"}));
  EXPECT_EQ(v4.sets.at("endpoints-26").elements,
            (Lines{"0x835c2bcc . 0x0c08331a . 0x00000000 : 10.244.1.2 . 8080 comment "
                   "\"default/web/tcp/http\"",
                   "0x835c2bcc . 0x0c08331a . 0x00000001 : 10.244.2.3 . 8080 comment "
                   "\"default/web/tcp/http\""}));
  EXPECT_EQ(v4.chains.at("nat-prerouting").header,
            "type nat hook prerouting priority -100; policy accept;");
  EXPECT_EQ(v4.chains.at("nat-prerouting").rules, (Lines{"jump services"}));
  EXPECT_EQ(v4.chains.at("firewall-BGX5J2M6-default/lb/tcp/https").rules,
            (Lines{"ip saddr 203.0.113.0/24 return", "ip saddr 198.51.100.7 return", "drop"}));
  // 16 fixed chains; web: 1; lb: service, external, firewall, 2 endpoints.
  EXPECT_EQ(v4.chains.size(), 16U + 1 + 5);

  const testing::NftTableText v6 = testing::parseNftTable(tables[1]);
  EXPECT_EQ(v6.sets.at("service-ips").elements,
            (Lines{"fd00:96::10 . tcp . 80 : goto service-2ZWWFU4T-default/web6/tcp/http comment "
                   "\"default/web6:http\""}));
  EXPECT_EQ(v6.chains.size(), 16U + 3);

  // A family the node does not serve has no table.
  state.global.families = {IPFamily::V6};
  const auto v6only = dp.render(state);
  ASSERT_TRUE(v6only);
  EXPECT_EQ(v6only->find("table ip kpx"), std::string::npos);
  EXPECT_EQ(v6only->rfind("table ip6 kpx {", 0), 0U);
}

TEST(DataplaneRenderTest, TwoPortsClaimingOneAddressAreReportedNotThrown) {
  const auto all = shapes();
  ServicePortState twin = shape(all, "clusterip").sp;
  twin.key.name = "twin";
  const ProxyState state =
      testing::stateOf(defaultGlobal({IPFamily::V4}), {shape(all, "clusterip").sp, twin});
  const auto text = NftablesDataplane(BackendOptions{}).render(state);
  ASSERT_TRUE(text) << text.error().str();
  // Ports are visited in key order: default/twin takes the address, default/web is skipped.
  EXPECT_NE(text->find("\t# skipped: default/web:http: service-ips element 10.96.0.10 . tcp . 80 : "
                       "goto service-GB7ZZQEM-default/web/tcp/http is already used by "
                       "default/twin:http\n"),
            std::string::npos)
      << *text;
}

}  // namespace
}  // namespace kpx::nftables
