// Batches against the real kernel: one transaction creates a whole table, which is read back
// both with kpx's Reader and with `nft list`; a bad message anywhere makes the whole batch
// fail, nothing applied, with the error naming the object.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "dataplane/netlink/matchers.h"
#include "tests/kernel/kernel_fixture.h"
#include "tests/kernel/sample_table.h"

namespace kpx::testing {
namespace {

using namespace std::chrono_literals;
using nft::BaseChainSpec;
using nft::Batch;
using nft::ChainSpec;
using nft::ElementSpec;
using nft::Family;
using nft::Field;
using nft::Hook;
using nft::KeyBuilder;
using nft::KeyField;
using nft::RuleBuilder;
using nft::SetSpec;
using nft::TableSpec;
using nft::Verdict;
using nft::VerdictCode;

class BatchTest : public KernelTest {};

TEST_F(BatchTest, OneBatchCreatesATableThatReaderAndNftAgreeOn) {
  Batch batch;
  addKpxLikeTable(batch);
  auto stats = batch.commit(socket());
  ASSERT_TRUE(stats) << stats.error().str();
  EXPECT_EQ(stats->acks, stats->messages);

  auto contents = reader().table(Family::Ip, kTable);
  ASSERT_TRUE(contents) << contents.error().str();
  EXPECT_EQ(contents->table.comment, "rules for Kubernetes services");

  std::set<std::string> chainNames;
  for (const auto& c : contents->chains) chainNames.insert(c.name);
  EXPECT_EQ(chainNames, (std::set<std::string>{"nat-prerouting", "nat-postrouting", "filter-input",
                                               "services", "mark-for-masquerade", "masquerading",
                                               "reject-chain", kSvcChain, kEp1, kEp2}));
  for (const auto& c : contents->chains) {
    if (c.name == "nat-prerouting") {
      ASSERT_TRUE(c.base.has_value());
      EXPECT_EQ(c.base->type, "nat");
      EXPECT_EQ(c.base->hook, Hook::Prerouting);
      EXPECT_EQ(c.base->priority, -100);
    }
    if (c.name == kSvcChain) {
      EXPECT_EQ(c.comment, "default/web:http");
    }
  }
  std::map<std::string, std::vector<const nft::RuleInfo*>> rulesByChain;
  for (const auto& r : contents->rules) rulesByChain[r.chain].push_back(&r);
  ASSERT_EQ(rulesByChain[kSvcChain].size(), 5U);
  EXPECT_EQ(rulesByChain[kSvcChain][0]->comment, "masquerade off-cluster clients");
  ASSERT_EQ(rulesByChain[kSvcChain][3]->verdicts.size(), 1U);
  EXPECT_EQ(rulesByChain[kSvcChain][3]->verdicts[0], Verdict::goTo(kEp1));
  EXPECT_EQ(rulesByChain[kEp1].back()->comment, "endpoint 10.244.1.2:8080");

  std::map<std::string, const nft::SetInfo*> sets;
  for (const auto& s : contents->sets) sets[s.name] = &s;
  ASSERT_EQ(sets.size(), 3U);
  EXPECT_EQ(sets["service-ips"]->comment, "ClusterIP, external IP and load-balancer IP dispatch");
  EXPECT_EQ(sets["service-ips"]->keyLen, 12U);
  ASSERT_EQ(sets["service-ips"]->elements.size(), 1U);
  const auto& vip = sets["service-ips"]->elements[0];
  EXPECT_EQ(vip.key, vipElement("10.96.0.10", 80, kSvcChain).key);
  EXPECT_EQ(vip.verdict, Verdict::goTo(kSvcChain));
  EXPECT_EQ(vip.comment, "default/web:http");
  ASSERT_EQ(sets["affinity"]->elements.size(), 1U);
  EXPECT_EQ(sets["affinity"]->elements[0].timeoutMs, 600000U);
  EXPECT_GT(sets["affinity"]->elements[0].expirationMs, 0U);
  EXPECT_EQ(sets["affinity"]->elements[0].comment, "seeded");
  EXPECT_EQ(sets["affinity"]->timeoutMs, 3U * 3600 * 1000);

  // nft sees the same objects, and prints them the way nft would have written them.
  requireNft();
  const NftTableText text = nftTable(Family::Ip, kTable);
  std::set<std::string> nftChains;
  for (const auto& [name, chain] : text.chains) nftChains.insert(name);
  EXPECT_EQ(nftChains, chainNames);
  for (const auto& c : contents->chains) {
    EXPECT_EQ(text.chains.at(c.name).rules.size(), rulesByChain[c.name].size()) << c.name;
    EXPECT_EQ(text.chains.at(c.name).comment, c.comment) << c.name;
  }
  EXPECT_EQ(text.chains.at("nat-prerouting").header,
            "type nat hook prerouting priority dstnat; policy accept;");
  EXPECT_EQ(text.chains.at("services").rules,
            (std::vector<std::string>{"ip daddr . meta l4proto . th dport vmap @service-ips"}));
  EXPECT_EQ(text.chains.at("filter-input").rules,
            (std::vector<std::string>{
                "ct state new ip daddr . meta l4proto . th dport vmap @no-endpoint-services"}));
  EXPECT_EQ(text.chains.at("masquerading").rules,
            (std::vector<std::string>{"meta mark & 0x00004000 == 0x00000000 return",
                                      "meta mark set meta mark ^ 0x00004000",
                                      "masquerade fully-random"}));
  EXPECT_EQ(text.chains.at(kSvcChain).rules[0],
            "ip saddr != 10.0.0.0/8 jump mark-for-masquerade comment \"masquerade off-cluster "
            "clients\"");
  EXPECT_EQ(text.chains.at(kEp1).rules,
            (std::vector<std::string>{
                "ip saddr 10.244.1.2 jump mark-for-masquerade",
                "update @affinity { ip saddr . 0x00000064 timeout 3h }",
                "meta l4proto tcp dnat to 10.244.1.2:8080 comment \"endpoint 10.244.1.2:8080\""}));
  ASSERT_EQ(text.sets.size(), sets.size());
  for (const auto& [name, s] : sets) {
    EXPECT_EQ(text.sets.at(name).elements.size(), s->elements.size()) << name;
  }
  EXPECT_EQ(text.sets.at("service-ips").elements,
            (std::vector<std::string>{"10.96.0.10 . tcp . 80 comment \"default/web:http\" : goto " +
                                      std::string(kSvcChain)}));
}

TEST_F(BatchTest, ABadMessageFailsTheWholeBatchAndIsNamed) {
  Batch setup;
  addKpxLikeTable(setup);
  ASSERT_TRUE(setup.commit(socket()));
  const auto before = snapshot(reader(), Family::Ip, kTable);

  // Valid changes before and after a rule that jumps to a chain that does not exist.
  Batch bad;
  bad.addChain(Family::Ip, kTable, regular("new-chain-1"));
  bad.flushChain(Family::Ip, kTable, "services");
  bad.deleteChain(Family::Ip, kTable, "reject-chain-is-not-this");  // also missing: ENOENT
  RuleBuilder r(Family::Ip, kTable, "new-chain-1");
  r.verdict(Verdict::jump("no-such-chain"));
  bad.addRule(std::move(r), "jump to no-such-chain");
  bad.addChain(Family::Ip, kTable, regular("new-chain-2"));
  std::vector<ElementSpec> more = {vipElement("10.96.0.99", 443, kSvcChain)};
  bad.addElements(Family::Ip, kTable, "service-ips", more);
  auto result = bad.commit(socket());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().errnum, ENOENT);
  EXPECT_FALSE(result.error().outcomeUnknown);
  // The first failing message, then the count of the others.
  EXPECT_EQ(result.error().object,
            "delete chain ip kpxt reject-chain-is-not-this (and 1 more errors)");

  // Nothing was applied: not the chains before the error, not the flush, not the elements.
  EXPECT_EQ(snapshot(reader(), Family::Ip, kTable), before);
}

TEST_F(BatchTest, TheErrorNamesTheRule) {
  Batch batch;
  batch.addTable(Family::Ip, TableSpec{.name = kTable, .comment = {}});
  batch.addChain(Family::Ip, kTable, regular("a"));
  RuleBuilder r(Family::Ip, kTable, "a");
  r.verdict(Verdict::goTo("missing"));
  batch.addRule(std::move(r), "goto missing");
  batch.addChain(Family::Ip, kTable, regular("b"));
  auto result = batch.commit(socket());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().errnum, ENOENT);
  EXPECT_EQ(result.error().object, "add rule ip kpxt a: goto missing");
  EXPECT_NE(result.error().str().find("No such file or directory"), std::string::npos);
  // The table was part of the failed batch: it does not exist.
  auto tables = reader().tables(Family::Ip);
  ASSERT_TRUE(tables);
  EXPECT_TRUE(tables->empty());
}

TEST_F(BatchTest, TheErrorNamesTheElement) {
  Batch batch;
  batch.addTable(Family::Ip, TableSpec{.name = kTable, .comment = {}});
  batch.addChain(Family::Ip, kTable, regular("target"));
  batch.addSet(Family::Ip, kTable, SetSpec::verdictMap("m", nft::keyLayout({KeyField::mark()})));
  std::vector<ElementSpec> elems;
  for (uint32_t i = 0; i < 3000; ++i) {
    ElementSpec e;
    e.key = KeyBuilder().hostU32(i).take();
    e.verdict = Verdict::goTo(i == 2345 ? "missing-target" : "target");
    e.label = "slot " + std::to_string(i);
    elems.push_back(std::move(e));
  }
  batch.addElements(Family::Ip, kTable, "m", elems);
  ASSERT_GT(batch.messageCount(), 4U);  // the elements span several messages
  auto result = batch.commit(socket());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().errnum, ENOENT);
  // The extended ack points inside the element list; the batch maps it to the element.
  EXPECT_NE(result.error().object.find("elements of ip kpxt m: element slot 2345 [29090000 : "
                                       "goto missing-target]"),
            std::string::npos)
      << result.error().str();

  // Without labels, the element is named from the message bytes: key and verdict.
  Batch unlabeled;
  unlabeled.addTable(Family::Ip, TableSpec{.name = kTable, .comment = {}});
  unlabeled.addChain(Family::Ip, kTable, regular("target"));
  unlabeled.addSet(Family::Ip, kTable,
                   SetSpec::verdictMap("m", nft::keyLayout({KeyField::mark()})));
  for (auto& e : elems) e.label.clear();
  unlabeled.addElements(Family::Ip, kTable, "m", elems);
  auto again = unlabeled.commit(socket());
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().object.find(": element 29090000 : goto missing-target"),
            std::string::npos)
      << again.error().str();
}

TEST_F(BatchTest, CreateModeReportsAnExistingObject) {
  Batch first;
  first.addTable(Family::Ip, TableSpec{.name = kTable, .comment = {}}, Batch::Mode::Create);
  ASSERT_TRUE(first.commit(socket()));
  Batch again;  // Add mode: idempotent
  again.addTable(Family::Ip, TableSpec{.name = kTable, .comment = {}});
  EXPECT_TRUE(again.commit(socket()));
  Batch create;
  create.addTable(Family::Ip, TableSpec{.name = kTable, .comment = {}}, Batch::Mode::Create);
  auto result = create.commit(socket());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().errnum, EEXIST);
  EXPECT_EQ(result.error().object, "add table ip kpxt");
}

TEST_F(BatchTest, EmptyAndRepeatedCommits) {
  Batch empty;
  auto stats = empty.commit(socket());
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->messages, 0U);
  auto again = empty.commit(socket());
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().errnum, EALREADY);
}

TEST_F(BatchTest, OneSocketServesManyBatchesIncludingFailedOnes) {
  for (int i = 0; i < 5; ++i) {
    Batch good;
    good.addTable(Family::Ip, TableSpec{.name = kTable, .comment = {}});
    good.addChain(Family::Ip, kTable, regular("c" + std::to_string(i)));
    auto ok = good.commit(socket());
    ASSERT_TRUE(ok) << ok.error().str();
    EXPECT_EQ(ok->acks, 2U);
    Batch bad;
    bad.deleteChain(Family::Ip, kTable, "never-there");
    auto failed = bad.commit(socket());
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().object, "delete chain ip kpxt never-there");
  }
  auto chains = reader().chains(Family::Ip, kTable);
  ASSERT_TRUE(chains);
  EXPECT_EQ(chains->size(), 5U);
}

}  // namespace
}  // namespace kpx::testing
