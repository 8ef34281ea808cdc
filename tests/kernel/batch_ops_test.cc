// Batches against the real kernel: deletes and flushes, big batches (tens of thousands of
// messages, several MB), ack modes and lost acks.
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

class BatchOpsTest : public KernelTest {};

TEST_F(BatchOpsTest, DeleteAndFlush) {
  Batch setup;
  addKpxLikeTable(setup);
  ASSERT_TRUE(setup.commit(socket()));

  // Flush one chain, flush one map, delete one element, delete one rule by handle.
  auto rules = reader().rules(Family::Ip, kTable, kEp2);
  ASSERT_TRUE(rules);
  ASSERT_EQ(rules->size(), 3U);
  Batch change;
  change.flushChain(Family::Ip, kTable, "masquerading");
  change.flushSet(Family::Ip, kTable, "no-endpoint-services");
  std::vector<ElementSpec> gone = {vipElement("10.96.0.10", 80, kSvcChain)};
  change.deleteElements(Family::Ip, kTable, "service-ips", gone);
  change.deleteRule(Family::Ip, kTable, kEp2, (*rules)[1].handle);
  auto changed = change.commit(socket());
  ASSERT_TRUE(changed) << changed.error().str();

  auto contents = reader().table(Family::Ip, kTable);
  ASSERT_TRUE(contents);
  size_t masqueradingRules = 0;
  size_t ep2Rules = 0;
  for (const auto& r : contents->rules) {
    masqueradingRules += r.chain == "masquerading";
    ep2Rules += r.chain == kEp2;
  }
  EXPECT_EQ(masqueradingRules, 0U);
  EXPECT_EQ(ep2Rules, 2U);
  for (const auto& s : contents->sets) {
    if (s.name == "service-ips" || s.name == "no-endpoint-services") {
      EXPECT_TRUE(s.elements.empty()) << s.name;
    }
  }

  // Deleting what is not there fails, as in nft: the caller's model was wrong.
  Batch missing;
  missing.deleteElements(Family::Ip, kTable, "service-ips", gone);
  auto notThere = missing.commit(socket());
  ASSERT_FALSE(notThere);
  EXPECT_EQ(notThere.error().errnum, ENOENT);

  // A chain still referenced cannot go; once unreferenced, it can, with its rules.
  Batch busy;
  busy.deleteChain(Family::Ip, kTable, kEp2);
  auto refused = busy.commit(socket());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().errnum, EBUSY);
  EXPECT_EQ(refused.error().object, "delete chain ip kpxt " + std::string(kEp2));
  Batch unref;
  unref.flushChain(Family::Ip, kTable, kSvcChain);
  unref.deleteChain(Family::Ip, kTable, kEp2);
  EXPECT_TRUE(unref.commit(socket()));

  // Flush the table (all rules), then delete it and everything left in it.
  Batch flush;
  flush.flushTable(Family::Ip, kTable);
  ASSERT_TRUE(flush.commit(socket()));
  auto noRules = reader().rules(Family::Ip, kTable);
  ASSERT_TRUE(noRules);
  EXPECT_TRUE(noRules->empty());
  Batch drop;
  drop.deleteTable(Family::Ip, kTable);
  ASSERT_TRUE(drop.commit(socket()));
  auto gone2 = reader().table(Family::Ip, kTable);
  ASSERT_FALSE(gone2);
  EXPECT_EQ(gone2.error().errnum, ENOENT);
}

TEST_F(BatchOpsTest, FiftyThousandElementsInOneBatch) {
  constexpr uint32_t kCount = 50000;
  Batch batch;
  batch.addTable(Family::Ip, TableSpec{.name = kTable, .comment = {}});
  batch.addChain(Family::Ip, kTable, regular("target"));
  batch.addSet(
      Family::Ip, kTable,
      SetSpec::verdictMap("big", nft::keyLayout({KeyField::ipv4Addr(), KeyField::inetProto(),
                                                 KeyField::inetService()})));
  std::vector<ElementSpec> elems;
  elems.reserve(kCount);
  for (uint32_t i = 0; i < kCount; ++i) {
    ElementSpec e;
    const uint8_t addr[4] = {10, static_cast<uint8_t>(96 + (i >> 16)),
                             static_cast<uint8_t>((i >> 8) & 0xff), static_cast<uint8_t>(i & 0xff)};
    e.key = KeyBuilder().bytes(addr).u8(IPPROTO_TCP).be16(80).take();
    e.verdict = Verdict::goTo("target");
    e.comment = "ns" + std::to_string(i) + "/svc:http";
    elems.push_back(std::move(e));
  }
  batch.addElements(Family::Ip, kTable, "big", elems);
  auto stats = batch.commit(socket());
  ASSERT_TRUE(stats) << stats.error().str();
  EXPECT_GT(stats->bytes, 2U * 1024 * 1024);  // several MB, more than one 2 MiB page
  EXPECT_GT(stats->pages, 1U);
  EXPECT_EQ(stats->acks, stats->messages);

  auto read = reader().elements(Family::Ip, kTable, "big");
  ASSERT_TRUE(read) << read.error().str();
  ASSERT_EQ(read->size(), kCount);
  std::set<std::vector<uint8_t>> keys;
  for (const auto& e : *read) keys.insert(e.key);
  EXPECT_EQ(keys.size(), kCount);
}

TEST_F(BatchOpsTest, ErrorsOnlyModeStillNamesTheFailingObject) {
  Batch good(nft::BatchOptions{.ackMode = nft::AckMode::ErrorsOnly});
  good.addTable(Family::Ip, TableSpec{.name = kTable, .comment = {}});
  good.addChain(Family::Ip, kTable, regular("a"));
  auto ok = good.commit(socket());
  ASSERT_TRUE(ok) << ok.error().str();
  EXPECT_EQ(ok->acks, 0U);  // no per-message acks asked for

  Batch bad(nft::BatchOptions{.ackMode = nft::AckMode::ErrorsOnly});
  bad.addChain(Family::Ip, kTable, regular("b"));
  bad.deleteChain(Family::Ip, kTable, "missing");
  auto failed = bad.commit(socket());
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().object, "delete chain ip kpxt missing");
  auto chains = reader().chains(Family::Ip, kTable);
  ASSERT_TRUE(chains);
  EXPECT_EQ(chains->size(), 1U);
}

TEST_F(BatchOpsTest, LostAcksAreReportedAsOutcomeUnknown) {
  // With no receive-buffer budget, 20,000 acks overflow the socket's default buffer: the
  // kernel drops some and flags ENOBUFS. The batch itself was committed; the caller cannot
  // know that from the acks, so the error says the outcome is unknown (resync).
  Batch batch(nft::BatchOptions{.ackMode = nft::AckMode::EveryMessage, .ackBudgetPerMessage = 0});
  batch.addTable(Family::Ip, TableSpec{.name = kTable, .comment = {}});
  for (int i = 0; i < 20000; ++i)
    batch.addChain(Family::Ip, kTable, regular("c" + std::to_string(i)));
  auto result = batch.commit(socket());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().errnum, ENOBUFS);
  EXPECT_TRUE(result.error().outcomeUnknown);
  auto chains = reader().chains(Family::Ip, kTable);
  ASSERT_TRUE(chains) << chains.error().str();
  EXPECT_EQ(chains->size(), 20000U);

  // The socket is usable afterwards: stale acks are drained and ignored.
  Batch next;
  next.addChain(Family::Ip, kTable, regular("after"));
  auto ok = next.commit(socket());
  ASSERT_TRUE(ok) << ok.error().str();
  EXPECT_EQ(ok->acks, 1U);
}

TEST_F(BatchOpsTest, ManyThousandsOfChainsAndRulesInOneBatch) {
  // Tens of thousands of messages, each acked and checked.
  constexpr int kChains = 20000;
  Batch batch;
  batch.addTable(Family::Ip, TableSpec{.name = kTable, .comment = {}});
  for (int i = 0; i < kChains; ++i) {
    const std::string name = "chain-" + std::to_string(i);
    batch.addChain(Family::Ip, kTable, regular(name));
    RuleBuilder r(Family::Ip, kTable, name);
    nft::matchL4proto(r, IPPROTO_UDP);
    nft::dnatTo(r, Family::Ip, ipv4("10.1.2.3"), 53);
    batch.addRule(std::move(r));
  }
  auto stats = batch.commit(socket());
  ASSERT_TRUE(stats) << stats.error().str();
  EXPECT_EQ(stats->messages, 2U * kChains + 1);
  EXPECT_EQ(stats->acks, stats->messages);
  auto rules = reader().rules(Family::Ip, kTable);
  ASSERT_TRUE(rules);
  EXPECT_EQ(rules->size(), static_cast<size_t>(kChains));
}

}  // namespace
}  // namespace kpx::testing
