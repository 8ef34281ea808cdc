// TableModel and TableDelta (dataplane/nftables/table_model.h): what a sync sends, who holds an
// element, and the stamp that lets a restart recognise its own table. No kernel: the model is
// pure bookkeeping over renderings.
#include "dataplane/nftables/table_model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "dataplane/nftables/render_port.h"
#include "tests/kernel/state_builder.h"

namespace kpx::nftables {
namespace {

using testing::defaultGlobal;
using testing::endpoint;
using testing::PortBuilder;

ElementDef el(std::string map, uint8_t key, Sharing sharing, std::string comment = {}) {
  return ElementDef{std::move(map),     {key}, std::nullopt, "k" + std::to_string(key),
                    std::move(comment), {},    "",           sharing};
}

ChainDef chain(std::string name, std::vector<std::string> rules) {
  ChainDef c{std::move(name), std::nullopt, {}};
  for (auto& r : rules) c.rules.push_back(RuleDef{std::move(r), [](nft::RuleBuilder&) {}});
  return c;
}

ServicePortKey portKey(std::string name) {
  return ServicePortKey{"ns", std::move(name), "http", Protocol::TCP, IPFamily::V4};
}

std::vector<std::string> addedIds(const TableDelta& d) {
  std::vector<std::string> out;
  for (const auto& [id, e] : d.addedElements()) out.push_back(e.map + " " + e.keyText);
  return out;
}

std::vector<std::string> removedIds(const TableDelta& d) {
  std::vector<std::string> out;
  for (const auto& e : d.removedElements()) out.push_back(e.map + " " + e.keyText);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> names(const std::map<std::string, ChainDef>& chains) {
  std::vector<std::string> out;
  for (const auto& [name, c] : chains) out.push_back(name);
  return out;
}

TEST(TableDeltaTest, MergesWithinOneSync) {
  TableDelta d;
  EXPECT_TRUE(d.empty());
  d.addElement(el("m", 1, Sharing::Exclusive));
  d.removeElement(el("m", 1, Sharing::Exclusive));  // added in this sync: never sent
  EXPECT_TRUE(d.empty());
  d.removeElement(el("m", 2, Sharing::Exclusive));
  EXPECT_EQ(removedIds(d), (std::vector<std::string>{"m k2"}));

  d.addChain(chain("new", {"drop"}));
  d.removeChain("new");  // created in this sync: never sent
  EXPECT_TRUE(d.addedChains().empty());
  EXPECT_TRUE(d.removedChains().empty());

  d.removeChain("old");
  d.addChain(chain("old", {"accept"}));  // the kernel still has it: a rewrite
  EXPECT_TRUE(d.removedChains().empty());
  EXPECT_EQ(names(d.rewrittenChains()), (std::vector<std::string>{"old"}));
  EXPECT_TRUE(d.addedChains().empty());

  d.addChain(chain("fresh", {"drop"}));
  d.rewriteChain(chain("fresh", {"accept"}));  // still a new chain, with the latest rules
  ASSERT_EQ(names(d.addedChains()), (std::vector<std::string>{"fresh"}));
  EXPECT_EQ(d.addedChains().at("fresh").rules.at(0).text, "accept");

  d.clear();
  EXPECT_TRUE(d.empty());
}

TEST(TableDeltaTest, ElementIdSortsAsMapThenKey) {
  EXPECT_LT(elementId(el("a", 9, Sharing::Unique)), elementId(el("b", 1, Sharing::Unique)));
  EXPECT_LT(elementId(el("a", 1, Sharing::Unique)), elementId(el("a", 2, Sharing::Unique)));
  // A map whose name is a prefix of another's does not mix with it.
  EXPECT_LT(elementId(el("a", 0xff, Sharing::Unique)), elementId(el("ab", 0, Sharing::Unique)));
}

TEST(TableModelTest, ExclusiveElementsGoToTheFirstClaimantAndMoveWhenItLeaves) {
  TableModel model;
  std::vector<std::string> conflicts;
  const PortRendering a{{chain("svc-a", {"goto x"})}, {el("service-ips", 1, Sharing::Exclusive)}};
  const PortRendering b{{chain("svc-b", {"goto y"})}, {el("service-ips", 1, Sharing::Exclusive)}};
  TableDelta first;
  model.updatePort(portKey("a"), nullptr, &a, &first, conflicts);
  model.updatePort(portKey("b"), nullptr, &b, &first, conflicts);
  EXPECT_EQ(addedIds(first), (std::vector<std::string>{"service-ips k1"}));
  EXPECT_EQ(names(first.addedChains()), (std::vector<std::string>{"svc-a", "svc-b"}));
  ASSERT_EQ(conflicts.size(), 1U);
  EXPECT_EQ(conflicts[0], "ns/b:http: service-ips element k1 is already used by ns/a:http");
  EXPECT_EQ(model.conflictedPorts(), (std::vector<ServicePortKey>{portKey("b")}));

  // a leaves; b's retry (as incrementalSync does for conflicted ports) takes the element.
  TableDelta second;
  conflicts.clear();
  model.updatePort(portKey("a"), &a, nullptr, &second, conflicts);
  EXPECT_EQ(removedIds(second), (std::vector<std::string>{"service-ips k1"}));
  for (const auto& key : model.conflictedPorts()) model.updatePort(key, &b, &b, &second, conflicts);
  EXPECT_TRUE(conflicts.empty());
  EXPECT_TRUE(model.conflictedPorts().empty());
  // Deleted with a's verdict, then added with b's, in that order (batch_writer.h).
  EXPECT_EQ(addedIds(second), (std::vector<std::string>{"service-ips k1"}));
  EXPECT_EQ(removedIds(second), (std::vector<std::string>{"service-ips k1"}));
  EXPECT_EQ(std::vector<std::string>(second.removedChains().begin(), second.removedChains().end()),
            (std::vector<std::string>{"svc-a"}));
}

TEST(TableModelTest, SharedElementsStayWhileAnyPortWantsThem) {
  TableModel model;
  std::vector<std::string> conflicts;
  const PortRendering http{{}, {el("cluster-ips", 7, Sharing::Shared)}};
  const PortRendering https{{}, {el("cluster-ips", 7, Sharing::Shared)}};
  TableDelta d;
  model.updatePort(portKey("http"), nullptr, &http, &d, conflicts);
  model.updatePort(portKey("https"), nullptr, &https, &d, conflicts);
  EXPECT_EQ(addedIds(d), (std::vector<std::string>{"cluster-ips k7"}));
  d.clear();
  model.updatePort(portKey("http"), &http, nullptr, &d, conflicts);
  EXPECT_TRUE(d.empty());
  model.updatePort(portKey("https"), &https, nullptr, &d, conflicts);
  EXPECT_EQ(removedIds(d), (std::vector<std::string>{"cluster-ips k7"}));
  EXPECT_TRUE(conflicts.empty());
  EXPECT_EQ(model.stamp(), 0U);  // nothing left: the stamp of an empty table
}

TEST(TableModelTest, UniqueElementsAreReplacedWhenTheirDataChanges) {
  TableModel model;
  std::vector<std::string> conflicts;
  ElementDef before = el("endpoints-01", 3, Sharing::Unique);
  before.dataText = "10.244.1.2 . 8080";
  before.data = {1};
  ElementDef after = before;
  after.dataText = "10.244.1.3 . 8080";
  after.data = {2};
  const PortRendering was{{}, {before}};
  const PortRendering now{{}, {after}};
  model.updatePort(portKey("a"), nullptr, &was, nullptr, conflicts);
  TableDelta d;
  model.updatePort(portKey("a"), &was, &now, &d, conflicts);
  // The old element is deleted and the new one added under the same key (deletions are sent
  // first: batch_writer.h).
  ASSERT_EQ(d.addedElements().size(), 1U);
  EXPECT_EQ(d.addedElements().begin()->second.dataText, "10.244.1.3 . 8080");
  ASSERT_EQ(d.removedElements().size(), 1U);
  EXPECT_EQ(d.removedElements()[0].dataText, "10.244.1.2 . 8080");
  d.clear();
  model.updatePort(portKey("a"), &now, &now, &d, conflicts);
  EXPECT_TRUE(d.empty());
}

TEST(TableModelTest, TheStampIsAHashOfTheContentWhateverTheOrder) {
  const GlobalState g = defaultGlobal({IPFamily::V4});
  const std::vector<ServicePortState> ports = {
      PortBuilder("default", "web", "http", "10.96.0.10", 80)
          .endpoints({endpoint("10.244.1.2", 8080), endpoint("10.244.2.3", 8080)}),
      PortBuilder("default", "np", "http", "10.96.0.20", 80)
          .nodePort(30080)
          .endpoints({endpoint("10.244.1.4", 8080)}),
      PortBuilder("default", "aff", "http", "10.96.0.30", 80)
          .affinity(600)
          .endpoints({endpoint("10.244.1.5", 8080), endpoint("10.244.1.6", 8080)}),
  };
  std::vector<std::string> conflicts;
  auto stampOf = [&](std::vector<size_t> order) {
    TableModel model;
    for (size_t i : order) {
      const PortRendering r = renderPort(ports[i], g);
      model.updatePort(ports[i].key, nullptr, &r, nullptr, conflicts);
    }
    return model.stamp();
  };
  const uint64_t stamp = stampOf({0, 1, 2});
  EXPECT_NE(stamp, 0U);
  EXPECT_EQ(stampOf({2, 0, 1}), stamp);
  EXPECT_EQ(stampOf({1, 2, 0}), stamp);
  EXPECT_NE(stampOf({0, 1}), stamp);

  // A change and its undoing bring the stamp back; the change alone moves it.
  TableModel model;
  std::vector<PortRendering> rendered;
  for (const auto& p : ports) rendered.push_back(renderPort(p, g));
  for (size_t i = 0; i < ports.size(); ++i)
    model.updatePort(ports[i].key, nullptr, &rendered[i], nullptr, conflicts);
  ServicePortState moved = ports[0];
  moved.internal.endpoints[1] = endpoint("10.244.9.9", 8080);
  moved.external = moved.internal;
  const PortRendering next = renderPort(moved, g);
  TableDelta d;
  model.updatePort(moved.key, &rendered[0], &next, &d, conflicts);
  EXPECT_NE(model.stamp(), stamp);
  // An endpoint change without affinity is element updates only: no chain is touched.
  EXPECT_TRUE(d.addedChains().empty());
  EXPECT_TRUE(d.rewrittenChains().empty());
  EXPECT_FALSE(d.addedElements().empty());
  model.updatePort(moved.key, &next, &rendered[0], &d, conflicts);
  EXPECT_EQ(model.stamp(), stamp);
  EXPECT_TRUE(conflicts.empty());
}

TEST(TableModelTest, BaseElementsAndChainsAreReplacedAsAWhole) {
  TableModel model;
  TableDelta d;
  model.setBaseChains({chain("nat-prerouting", {"jump services"}), chain("services", {"a"})}, &d);
  model.setBaseElements("nodeport-ips", {el("nodeport-ips", 1, Sharing::Unique)}, &d);
  EXPECT_EQ(names(d.addedChains()), (std::vector<std::string>{"nat-prerouting", "services"}));
  EXPECT_EQ(addedIds(d), (std::vector<std::string>{"nodeport-ips k1"}));
  EXPECT_EQ(model.baseChains().size(), 2U);

  d.clear();
  model.setBaseChains({chain("nat-prerouting", {"jump services"}), chain("services", {"b"})}, &d);
  model.setBaseElements("nodeport-ips", {el("nodeport-ips", 2, Sharing::Unique)}, &d);
  EXPECT_EQ(names(d.rewrittenChains()), (std::vector<std::string>{"services"}));
  EXPECT_EQ(addedIds(d), (std::vector<std::string>{"nodeport-ips k2"}));
  EXPECT_EQ(removedIds(d), (std::vector<std::string>{"nodeport-ips k1"}));

  d.clear();
  model.setBaseChains({chain("services", {"b"})}, &d);
  EXPECT_EQ(std::vector<std::string>(d.removedChains().begin(), d.removedChains().end()),
            (std::vector<std::string>{"nat-prerouting"}));
  model.setBaseElements("nodeport-ips", {}, &d);
  model.setBaseChains({}, &d);
  EXPECT_EQ(model.stamp(), 0U);
}

TEST(TableModelTest, ChainsListedTwiceInOneRenderingCountOnce) {
  TableModel model;
  std::vector<std::string> conflicts;
  const PortRendering twice{{chain("c", {"drop"}), chain("c", {"drop"})},
                            {el("m", 1, Sharing::Exclusive), el("m", 1, Sharing::Exclusive)}};
  TableDelta d;
  model.updatePort(portKey("a"), nullptr, &twice, &d, conflicts);
  EXPECT_EQ(d.addedChains().size(), 1U);
  EXPECT_EQ(d.addedElements().size(), 1U);
  EXPECT_TRUE(conflicts.empty());
  model.updatePort(portKey("a"), &twice, nullptr, &d, conflicts);
  EXPECT_TRUE(d.empty());
  EXPECT_EQ(model.stamp(), 0U);
}

}  // namespace
}  // namespace kpx::nftables
