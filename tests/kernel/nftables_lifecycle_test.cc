// The nftables backend's life cycle against the real kernel, each test in its own network
// namespace: restart reconcile (adopt an identical table without writing), foreign tables left
// intact, cleanup, failure atomicity (a rejected batch changes nothing and the next sync is a
// full one; a table deleted from outside comes back), and dump() from another process.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "tests/kernel/backend_fixture.h"

namespace kpx::testing {
namespace {

using nft::Family;
using nftables::NftablesDataplane;

// --- 4. Restart ---------------------------------------------------------------------------------

TEST_F(NftablesBackendTest, RestartAdoptsItsOwnTableWithoutWriting) {
  const Sample s;
  const ProxyState state = s.state();
  {
    auto first = makeDataplane();
    ASSERT_TRUE(first);
    ASSERT_TRUE(first->sync(state, SyncKind::Full).ok);
  }  // the process "exits"; its rules stay
  // A client's affinity, as the packet path records it, must outlive the restart.
  const CommandResult client =
      nft({"add", "element", "ip", "kpx", "affinity", "{ 203.0.113.9 . 0x00000001 timeout 1h }"});
  ASSERT_EQ(client.status, 0) << client.output;
  const Handles v4 = handles(Family::Ip), v6 = handles(Family::Ip6);
  const uint32_t gen = generation();

  auto second = makeDataplane();
  ASSERT_TRUE(second);
  TestSyncResult r = second->sync(state, SyncKind::Full);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(second->stats().adoptedTables, 1U);
  EXPECT_EQ(second->stats().fullSyncs, 1U);
  EXPECT_EQ(second->stats().lastMessages, 0U);
  EXPECT_EQ(r.messages, 0U);
  EXPECT_EQ(generation(), gen) << "no transaction at all";
  EXPECT_EQ(handles(Family::Ip), v4);
  EXPECT_EQ(handles(Family::Ip6), v6);
  EXPECT_NE(nft({"list", "set", "ip", "kpx", "affinity"}).output.find("203.0.113.9"),
            std::string::npos);

  // Adopted means the model is live: the next change is incremental, and only a delta.
  Sample changed = s;
  changed.web.internal.endpoints.push_back(endpoint("10.244.9.9", 8080));
  changed.web.external.endpoints = changed.web.internal.endpoints;
  const ProxyState state2 = changed.state();
  r = second->sync(state2, SyncKind::Incremental);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(second->stats().incrementalSyncs, 1U);
  EXPECT_GT(r.messages, 0U);
  expectKernelMatches(state2);
  EXPECT_EQ(handles(Family::Ip).rules.at(svcChain(s.np)), v4.rules.at(svcChain(s.np)));
}

TEST_F(NftablesBackendTest, RestartWithADifferentStateRewritesTheTable) {
  const Sample s;
  {
    auto first = makeDataplane();
    ASSERT_TRUE(first);
    ASSERT_TRUE(first->sync(s.state(), SyncKind::Full).ok);
  }
  const uint32_t gen = generation();
  Sample changed = s;
  changed.lb.affinityTimeoutSeconds.reset();
  changed.empty.internal.endpoints =
      changed.empty.external.endpoints = {endpoint("10.244.5.5", 8080)};
  const ProxyState state2 = changed.state();

  auto second = makeDataplane();
  ASSERT_TRUE(second);
  const TestSyncResult r = second->sync(state2, SyncKind::Full);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(second->stats().adoptedTables, 0U);
  EXPECT_GT(r.messages, 0U);
  EXPECT_NE(generation(), gen);
  expectKernelMatches(state2);
}

// A restart onto a v4-only configuration must not keep serving the IPv6 services the previous
// run programmed: the ip6 kpx table has to go, as a non-adopting full sync removes it.
TEST_F(NftablesBackendTest, RestartWithAFamilyDroppedRemovesThatFamilysTable) {
  const Sample s;
  {
    auto first = makeDataplane();
    ASSERT_TRUE(first);
    ASSERT_TRUE(first->sync(s.state(), SyncKind::Full).ok);
  }
  ASSERT_TRUE(tableExists(Family::Ip6, "kpx"));
  ProxyState v4only = s.state();
  v4only.global.families = {IPFamily::V4};
  std::erase_if(v4only.servicePorts,
                [](const auto& kv) { return kv.first.family == IPFamily::V6; });

  auto second = makeDataplane();
  ASSERT_TRUE(second);
  const TestSyncResult r = second->sync(v4only, SyncKind::Full);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_FALSE(tableExists(Family::Ip6, "kpx"))
      << "adopted the ip kpx table and left a stale ip6 kpx behind";
  expectKernelMatches(v4only);
}

// A restart after incremental syncs (services removed, changed, added) finds the table it left,
// so it must recognise it: what the kernel holds is what a full sync of that state writes.
TEST_F(NftablesBackendTest, RestartAfterIncrementalChangesAdoptsTheTable) {
  auto a = PortBuilder("ns", "a", "http", "10.96.1.1", 80).endpoints({endpoint("10.244.1.1", 80)});
  auto b = PortBuilder("ns", "b", "http", "10.96.1.2", 80).endpoints({endpoint("10.244.2.1", 80)});
  auto c = PortBuilder("ns", "c", "http", "10.96.1.3", 80)
               .nodePort(30003)
               .endpoints({endpoint("10.244.3.1", 80), endpoint("10.244.3.2", 80)});
  auto d = PortBuilder("ns", "d", "http", "10.96.1.4", 80).endpoints({endpoint("10.244.4.1", 80)});
  ProxyState state = stateOf(defaultGlobal(), {a, b, c});
  {
    auto first = makeDataplane();
    ASSERT_TRUE(first);
    ASSERT_TRUE(first->sync(state, SyncKind::Full).ok);
    state.servicePorts.erase(a.get().key);
    put(state, d);
    state.servicePorts.at(c.get().key).internal.endpoints.pop_back();
    state.servicePorts.at(c.get().key).external.endpoints.pop_back();
    ASSERT_TRUE(first->sync(state, SyncKind::Incremental).ok);
    EXPECT_EQ(first->stats().incrementalSyncs, 1U);
  }
  expectKernelMatches(state);
  const uint32_t gen = generation();
  auto second = makeDataplane();
  ASSERT_TRUE(second);
  ASSERT_TRUE(second->sync(state, SyncKind::Full).ok);
  EXPECT_EQ(second->stats().adoptedTables, 1U);
  EXPECT_EQ(generation(), gen);
}

// The same with session affinity: its rules carry per-endpoint keys, which must not depend on
// the history of syncs, or a restart after a service removal rewrites the whole table (and the
// rewrite empties the affinity set: every client loses its endpoint).
TEST_F(NftablesBackendTest, RestartAfterIncrementalChangesAdoptsTheTableWithAffinity) {
  auto a = PortBuilder("ns", "a", "http", "10.96.1.1", 80).endpoints({endpoint("10.244.1.1", 80)});
  auto b = PortBuilder("ns", "b", "http", "10.96.1.2", 80)
               .affinity(60)
               .endpoints({endpoint("10.244.2.1", 80)});
  ProxyState state = stateOf(defaultGlobal({IPFamily::V4}), {a, b});
  {
    auto first = makeDataplane();
    ASSERT_TRUE(first);
    ASSERT_TRUE(first->sync(state, SyncKind::Full).ok);
    state.servicePorts.erase(a.get().key);
    ASSERT_TRUE(first->sync(state, SyncKind::Incremental).ok);
  }
  expectKernelMatches(state);
  const CommandResult client =
      nft({"add", "element", "ip", "kpx", "affinity", "{ 203.0.113.9 . 0x00000001 timeout 1h }"});
  ASSERT_EQ(client.status, 0) << client.output;
  const uint32_t gen = generation();
  auto second = makeDataplane();
  ASSERT_TRUE(second);
  ASSERT_TRUE(second->sync(state, SyncKind::Full).ok);
  EXPECT_EQ(second->stats().adoptedTables, 1U);
  EXPECT_EQ(generation(), gen) << "the restart rewrote the table";
  EXPECT_NE(nft({"list", "set", "ip", "kpx", "affinity"}).output.find("203.0.113.9"),
            std::string::npos)
      << "the restart emptied the affinity set";
}

// --- 5. Foreign tables --------------------------------------------------------------------------

TEST_F(NftablesBackendTest, ForeignTablesAreLeftByteIdentical) {
  // Someone else's rules, including an inet table also called kpx (kpx owns ip/ip6 kpx only).
  const std::string foreign = R"(
table ip foreign {
  set blocked {
    type ipv4_addr
    elements = { 192.0.2.66 }
  }
  chain input {
    type filter hook input priority 0; policy accept;
    ip saddr @blocked drop
    tcp dport 22 counter accept comment "ssh"
  }
  chain helper {
    ip daddr 10.96.0.10 counter return
  }
}
table inet filter {
  chain forward {
    type filter hook forward priority 0; policy accept;
    ct state established,related accept
  }
}
table inet kpx {
  chain c {
    type nat hook prerouting priority -100; policy accept;
    tcp dport 8080 redirect to :80
  }
}
table ip6 foreign6 {
  chain output {
    type filter hook output priority 0; policy accept;
    meta l4proto ipv6-icmp accept
  }
}
)";
  const std::string path = "/tmp/kpx-foreign-" + netns_->name() + ".nft";
  {
    FILE* f = fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    fputs(foreign.c_str(), f);
    fclose(f);
  }
  const CommandResult load = nft({"-f", path});
  std::remove(path.c_str());
  ASSERT_EQ(load.status, 0) << load.output;

  const std::vector<std::pair<std::string, std::string>> tables = {
      {"ip", "foreign"}, {"inet", "filter"}, {"inet", "kpx"}, {"ip6", "foreign6"}};
  std::map<std::string, std::string> before;
  for (const auto& [fam, name] : tables) before[fam + " " + name] = listWithHandles(fam, name);
  auto expectUnchanged = [&](const char* when) {
    for (const auto& [fam, name] : tables)
      EXPECT_EQ(listWithHandles(fam, name), before.at(fam + " " + name))
          << "table " << fam << " " << name << " changed after " << when;
  };

  const Sample s;
  ProxyState state = s.state();
  auto dp = makeDataplane();
  ASSERT_TRUE(dp);
  ASSERT_TRUE(dp->sync(state, SyncKind::Full).ok);
  expectKernelMatches(state);
  expectUnchanged("full sync");

  state.servicePorts.erase(s.ext.key);
  ASSERT_TRUE(dp->sync(state, SyncKind::Incremental).ok);
  EXPECT_EQ(dp->stats().incrementalSyncs, 1U);
  expectUnchanged("incremental sync");

  // A full sync that rewrites (not adopts) the table.
  state.servicePorts.erase(s.np.key);
  ASSERT_TRUE(dp->sync(state, SyncKind::Full).ok);
  EXPECT_EQ(dp->stats().fullSyncs, 2U);
  expectUnchanged("second full sync");

  // dump() sees only kpx's own tables.
  const Inventory inv = dp->dump();
  EXPECT_EQ(inv.raw.find("foreign"), std::string::npos);

  ASSERT_TRUE(dp->cleanup().ok);
  expectUnchanged("cleanup");
  EXPECT_FALSE(tableExists(Family::Ip, "kpx"));
  EXPECT_TRUE(tableExists(Family::Inet, "kpx"));
}

// --- 6. Cleanup ---------------------------------------------------------------------------------

TEST_F(NftablesBackendTest, CleanupRemovesOnlyKpxTablesAndIsIdempotent) {
  const CommandResult other = nft({"add", "table", "ip", "other"});
  ASSERT_EQ(other.status, 0) << other.output;
  const Sample s;
  auto dp = makeDataplane();
  ASSERT_TRUE(dp);
  ASSERT_TRUE(dp->sync(s.state(), SyncKind::Full).ok);
  ASSERT_TRUE(tableExists(Family::Ip, "kpx"));
  ASSERT_TRUE(tableExists(Family::Ip6, "kpx"));

  TestSyncResult r = dp->cleanup();
  ASSERT_TRUE(r.ok) << r.error;
  const CommandResult tables = nft({"list", "tables"});
  EXPECT_EQ(tables.output, "table ip other\n");
  EXPECT_FALSE(tableExists(Family::Ip, "kpx"));
  EXPECT_FALSE(tableExists(Family::Ip6, "kpx"));

  // Again, with nothing left: fine. And from a process that never synced.
  r = dp->cleanup();
  EXPECT_TRUE(r.ok) << r.error;
  auto fresh = makeDataplane();
  ASSERT_TRUE(fresh);
  r = fresh->cleanup();
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(nft({"list", "tables"}).output, "table ip other\n");

  const Inventory inv = dp->dump();
  EXPECT_TRUE(inv.ports.empty());

  // After a cleanup the next sync, whatever its kind, rebuilds everything.
  r = dp->sync(s.state(), SyncKind::Incremental);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(dp->stats().fullSyncs, 2U);
  expectKernelMatches(s.state());
}

// --- 7. Failures --------------------------------------------------------------------------------

TEST_F(NftablesBackendTest, TableDeletedFromOutsideFailsTheDeltaAndTheNextSyncRestoresIt) {
  const Sample s;
  ProxyState state = s.state();
  auto dp = makeDataplane();
  ASSERT_TRUE(dp);
  ASSERT_TRUE(dp->sync(state, SyncKind::Full).ok);
  const Handles v6 = handles(Family::Ip6);

  const CommandResult del = nft({"delete", "table", "ip", "kpx"});
  ASSERT_EQ(del.status, 0) << del.output;

  // A delta against a table that is gone: the kernel rejects it, naming the object.
  Sample changed = s;
  const EndpointState added = endpoint("10.244.7.7", 8080);
  changed.web.internal.endpoints.push_back(added);
  changed.web.external.endpoints = changed.web.internal.endpoints;
  state = changed.state();
  TestSyncResult r = dp->sync(state, SyncKind::Incremental);
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.find("flush chain ip kpx " + svcChain(changed.web)), std::string::npos)
      << r.error;
  EXPECT_NE(r.error.find("No such file or directory"), std::string::npos) << r.error;
  EXPECT_EQ(dp->stats().incrementalSyncs, 0U);
  EXPECT_FALSE(tableExists(Family::Ip, "kpx")) << "nothing of the failed batch applied";
  EXPECT_EQ(handles(Family::Ip6), v6);

  // The next sync, although asked for as incremental, is a full one and restores the table.
  r = dp->sync(state, SyncKind::Incremental);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(dp->stats().fullSyncs, 2U);
  EXPECT_EQ(dp->stats().incrementalSyncs, 0U);
  expectKernelMatches(state);
  expectSampleInventory(dp->dump(), changed);

  // And then incremental again.
  state.servicePorts.erase(s.web6.key);
  r = dp->sync(state, SyncKind::Incremental);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(dp->stats().incrementalSyncs, 1U);
  expectKernelMatches(state);
}

TEST_F(NftablesBackendTest, TableDeletedFromOutsideIsRestoredByAFullSync) {
  const Sample s;
  const ProxyState state = s.state();
  auto dp = makeDataplane();
  ASSERT_TRUE(dp);
  ASSERT_TRUE(dp->sync(state, SyncKind::Full).ok);
  ASSERT_EQ(nft({"delete", "table", "ip", "kpx"}).status, 0);
  ASSERT_EQ(nft({"delete", "table", "ip6", "kpx"}).status, 0);

  // The same state as before: a full sync must not trust its model and skip the write.
  const TestSyncResult r = dp->sync(state, SyncKind::Full);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_GT(r.messages, 0U);
  expectKernelMatches(state);

  // A process restarting onto a missing table writes it too.
  ASSERT_EQ(nft({"delete", "table", "ip", "kpx"}).status, 0);
  auto restarted = makeDataplane();
  ASSERT_TRUE(restarted);
  ASSERT_TRUE(restarted->sync(state, SyncKind::Full).ok);
  EXPECT_EQ(restarted->stats().adoptedTables, 0U);
  expectKernelMatches(state);
}

TEST_F(NftablesBackendTest, VerifyLeavesAnIntactTableAloneAndRewritesAChangedOne) {
  const Sample s;
  const ProxyState state = s.state();
  auto dp = makeDataplane();
  ASSERT_TRUE(dp);
  ASSERT_TRUE(dp->sync(state, SyncKind::Full).ok);
  const uint32_t gen = generation();

  // Nothing changed anywhere: a read, no transaction.
  TestSyncResult r = dp->sync(state, SyncKind::Verify);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_FALSE(r.full);
  EXPECT_EQ(r.messages, 0U);
  EXPECT_EQ(dp->stats().repairs, 0U);
  EXPECT_EQ(generation(), gen) << "an intact table is not rewritten";

  // A change comes with the check: applied as a delta.
  Sample changed = s;
  changed.web.internal.endpoints.push_back(endpoint("10.244.9.9", 8080));
  changed.web.external.endpoints = changed.web.internal.endpoints;
  const ProxyState state2 = changed.state();
  r = dp->sync(state2, SyncKind::Verify);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_FALSE(r.full);
  EXPECT_EQ(dp->stats().incrementalSyncs, 2U);
  expectKernelMatches(state2);

  // Someone flushes kpx's IPv6 table (its stamp goes with it): the next check rewrites both.
  ASSERT_EQ(nft({"flush", "table", "ip6", "kpx"}).status, 0);
  r = dp->sync(state2, SyncKind::Verify);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.full);
  EXPECT_GT(r.messages, 0U);
  EXPECT_EQ(dp->stats().repairs, 1U);
  expectKernelMatches(state2);

  // And a table deleted outright.
  ASSERT_EQ(nft({"delete", "table", "ip", "kpx"}).status, 0);
  r = dp->sync(state2, SyncKind::Verify);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.full);
  EXPECT_EQ(dp->stats().repairs, 2U);
  expectKernelMatches(state2);
}

TEST_F(NftablesBackendTest, BatchRejectedMidwayAppliesNothing) {
  const Sample s;
  ProxyState state = s.state();
  auto dp = makeDataplane();
  ASSERT_TRUE(dp);
  ASSERT_TRUE(dp->sync(state, SyncKind::Full).ok);

  // The stamp element is deleted (and re-added) at the very end of every incremental batch;
  // with it gone from the kernel, the kernel rejects the batch after processing everything else.
  ASSERT_EQ(nft({"flush", "set", "ip", "kpx", "stamp"}).status, 0);
  const Handles v4 = handles(Family::Ip), v6 = handles(Family::Ip6);
  const std::string text4 = listWithHandles("ip", "kpx");
  const uint32_t gen = generation();

  Sample changed = s;
  changed.web.internal.endpoints[1] = endpoint("10.244.8.8", 8080);
  changed.web.external.endpoints = changed.web.internal.endpoints;
  state = changed.state();
  state.servicePorts.erase(s.lb.key);  // and a removal: chain and element deletes
  TestSyncResult r = dp->sync(state, SyncKind::Incremental);
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.find("stamp"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("No such file or directory"), std::string::npos) << r.error;
  EXPECT_GT(dp->stats().lastMessages, 10U) << "the batch was refused after most of it was sent";
  EXPECT_EQ(generation(), gen) << "the transaction was aborted";
  EXPECT_EQ(handles(Family::Ip), v4);
  EXPECT_EQ(handles(Family::Ip6), v6);
  EXPECT_EQ(listWithHandles("ip", "kpx"), text4);

  r = dp->sync(state, SyncKind::Incremental);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(dp->stats().fullSyncs, 2U);
  EXPECT_EQ(dp->stats().incrementalSyncs, 0U);
  expectKernelMatches(state);
}

// --- 8. dump() from another process -------------------------------------------------------------

TEST_F(NftablesBackendTest, DumpFromAnotherInstanceSeesTheSameServicePorts) {
  const Sample s;
  auto writer = makeDataplane();
  ASSERT_TRUE(writer);
  ASSERT_TRUE(writer->sync(s.state(), SyncKind::Full).ok);
  const Inventory own = writer->dump();

  auto reader = makeDataplane();  // never synced: no model, only the kernel
  ASSERT_TRUE(reader);
  const Inventory other = reader->dump();
  expectSampleInventory(other, s);
  EXPECT_EQ(other, own);
  EXPECT_EQ(other.raw, own.raw);
  EXPECT_EQ(reader->stats().fullSyncs, 0U);

  // Empty kernel: an empty inventory, not an error.
  ASSERT_TRUE(writer->cleanup().ok);
  const Inventory none = reader->dump();
  EXPECT_TRUE(none.ports.empty());
}

// A service port with served VIPs and a no-endpoint element at once (eTP=Local with no local
// endpoint: the ClusterIP is served, the NodePort drops) is one row of `kpx dump`, not two.
TEST_F(NftablesBackendTest, DumpListsEachServicePortOnce) {
  const Sample s;
  auto dp = makeDataplane();
  ASSERT_TRUE(dp);
  ASSERT_TRUE(dp->sync(s.state(), SyncKind::Full).ok);
  const Inventory inv = dp->dump();
  EXPECT_EQ(countEntries(inv, "default/local:http"), 1U) << inv.raw;
  EXPECT_EQ(inv.ports.size(), 7U);
  const InventoryPort* local = findEntry(inv, "default/local:http", IPFamily::V4);
  ASSERT_NE(local, nullptr);
  EXPECT_EQ(texts(local->vips), sorted({"10.96.0.60:80(cluster)", "*:30060(nodeport, drop)"}));
  EXPECT_EQ(texts(local->endpoints), endpointTexts(s.local));
}

}  // namespace
}  // namespace kpx::testing
