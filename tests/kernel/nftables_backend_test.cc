// The nftables backend (NftablesDataplane) against the real kernel, each test in its own network
// namespace: a full sync read back from the kernel (nft and the netlink reader agree with the
// backend's plan), incremental syncs that touch only what changed, and a one-endpoint change
// whose number of messages does not grow with the number of services.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/kernel/backend_fixture.h"

namespace kpx::testing {
namespace {

using nft::Family;
using nftables::NftablesDataplane;

// --- 1. Full sync ------------------------------------------------------------------------------

TEST_F(NftablesBackendTest, FullSyncReadsBackFromTheKernel) {
  const Sample s;
  const ProxyState state = s.state();
  auto dp = makeDataplane();
  ASSERT_TRUE(dp);
  const TestSyncResult r = dp->sync(state, SyncKind::Full);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_GT(r.messages, 0U);
  EXPECT_EQ(dp->stats().fullSyncs, 1U);
  EXPECT_EQ(dp->stats().adoptedTables, 0U);
  EXPECT_EQ(dp->stats().lastMessages, r.messages);

  // Everything the plan says, nft reads back the same.
  expectKernelMatches(state);

  const NftTableText v4 = nftTable(Family::Ip, "kpx");
  // Readable names, kube-proxy style.
  EXPECT_TRUE(
      std::regex_match(svcChain(s.web), std::regex(R"(service-[A-Z2-7]{8}-default/web/tcp/http)")));
  // Base chains hook where kube-proxy's do.
  EXPECT_EQ(v4.chains.at("nat-prerouting").header,
            "type nat hook prerouting priority dstnat; policy accept;");
  EXPECT_EQ(v4.chains.at("nat-prerouting").rules, std::vector<std::string>{"jump services"});
  EXPECT_EQ(v4.chains.at("services").rules,
            (std::vector<std::string>{"ip daddr . meta l4proto . th dport vmap @service-ips",
                                      "fib daddr type local meta l4proto . th dport vmap "
                                      "@service-nodeports"}));

  // ClusterIP: masquerade from outside the pod CIDR, then DNAT to one of two endpoints at
  // random, straight from an endpoint map (layout (c)); no endpoint chains.
  std::vector<std::string> web;
  for (const auto& r : v4.chains.at(svcChain(s.web)).rules) web.push_back(typedTargetId(r));
  EXPECT_EQ(web, (std::vector<std::string>{
                     "ip daddr 10.96.0.10 ip saddr != 10.244.0.0/16 jump mark-for-masquerade",
                     typedTargetId(dnatViaMapText(s.web, "internal", 2))}));
  EXPECT_EQ(mapEndpoints(v4, s.web),
            (std::set<std::string>{"10.244.1.2 . 8080", "10.244.2.3 . 8080"}));
  EXPECT_FALSE(v4.chains.contains(epChain(s.web, s.web.internal.endpoints[0])));
  // NodePort (eTP Cluster, same endpoints): masquerade, then the service chain.
  EXPECT_EQ(v4.chains.at(extChain(s.np)).rules,
            (std::vector<std::string>{"jump mark-for-masquerade", "goto " + svcChain(s.np)}));
  // UDP externalIP.
  EXPECT_EQ(mapEndpoints(v4, s.ext), std::set<std::string>{"10.244.1.5 . 5353"});
  // Hairpin: every endpoint's `ip . ip` pair, checked in postrouting.
  EXPECT_EQ(v4.chains.at("nat-postrouting").rules,
            (std::vector<std::string>{"ip saddr . ip daddr @hairpin jump mark-for-masquerade",
                                      "jump masquerading"}));
  EXPECT_TRUE(v4.sets.at("hairpin").elements.size() >= 4U);
  EXPECT_NE(std::find(v4.sets.at("hairpin").elements.begin(),
                      v4.sets.at("hairpin").elements.end(), "10.244.1.5 . 10.244.1.5"),
            v4.sets.at("hairpin").elements.end());
  // LB with source ranges: the firewall chain; affinity: lookup before numgen, update in the
  // endpoint chain.
  EXPECT_EQ(v4.chains.at(fwChain(s.lb)).rules,
            (std::vector<std::string>{"ip saddr 203.0.113.0/24 return",
                                      "ip saddr 198.51.100.7 return", "drop"}));
  const auto& lb = v4.chains.at(svcChain(s.lb));
  ASSERT_EQ(lb.rules.size(), 5U);
  EXPECT_NE(lb.rules[1].find("@affinity goto " + epChain(s.lb, s.lb.internal.endpoints[0])),
            std::string::npos)
      << lb.rules[1];
  EXPECT_EQ(lb.rules[3], "numgen random mod 2 0 goto " + epChain(s.lb, s.lb.internal.endpoints[0]));
  const auto& lbEp = v4.chains.at(epChain(s.lb, s.lb.internal.endpoints[1])).rules;
  ASSERT_EQ(lbEp.size(), 2U);
  EXPECT_NE(lbEp[0].find("update @affinity"), std::string::npos) << lbEp[0];
  EXPECT_NE(lbEp[0].find("timeout 3h"), std::string::npos) << lbEp[0];
  // No endpoints: no service chain at all.
  EXPECT_FALSE(v4.chains.contains(svcChain(s.empty)));
  // eTP Local without local endpoints: pods and the node still go to the service chain.
  EXPECT_EQ(v4.chains.at(extChain(s.local)).rules,
            (std::vector<std::string>{"ip saddr 10.244.0.0/16 goto " + svcChain(s.local),
                                      "fib saddr type local jump mark-for-masquerade",
                                      "fib saddr type local goto " + svcChain(s.local)}));

  // The maps, element by element.
  auto elements = [&](const NftTableText& t, const std::string& set) {
    std::set<std::string> out;
    for (const auto& e : t.sets.at(set).elements) out.insert(commentLast(e));
    return out;
  };
  EXPECT_EQ(
      elements(v4, "service-ips"),
      (std::set<std::string>{
          "10.96.0.10 . tcp . 80 : goto " + svcChain(s.web) + " comment \"default/web:http\"",
          "10.96.0.20 . tcp . 80 : goto " + svcChain(s.np) + " comment \"default/np:http\"",
          "10.96.0.30 . udp . 53 : goto " + svcChain(s.ext) + " comment \"default/ext:dns\"",
          "192.0.2.10 . udp . 53 : goto " + extChain(s.ext) + " comment \"default/ext:dns\"",
          "10.96.0.40 . tcp . 443 : goto " + svcChain(s.lb) + " comment \"default/lb:https\"",
          "198.51.100.7 . tcp . 443 : goto " + extChain(s.lb) + " comment \"default/lb:https\"",
          "10.96.0.60 . tcp . 80 : goto " + svcChain(s.local) +
              " comment \"default/local:http\""}));
  EXPECT_EQ(elements(v4, "service-nodeports"),
            (std::set<std::string>{
                "tcp . 30080 : goto " + extChain(s.np) + " comment \"default/np:http\"",
                "tcp . 30443 : goto " + extChain(s.lb) + " comment \"default/lb:https\"",
                "tcp . 30060 : goto " + extChain(s.local) + " comment \"default/local:http\""}));
  EXPECT_EQ(elements(v4, "no-endpoint-services"),
            (std::set<std::string>{
                "10.96.0.50 . tcp . 80 : goto reject-chain comment \"default/empty:http\""}));
  EXPECT_EQ(elements(v4, "no-endpoint-nodeports"),
            (std::set<std::string>{"tcp . 30060 : drop comment \"default/local:http\""}));
  EXPECT_EQ(elements(v4, "firewall-ips"),
            (std::set<std::string>{"198.51.100.7 . tcp . 443 : goto " + fwChain(s.lb) +
                                   " comment \"default/lb:https\""}));
  EXPECT_EQ(elements(v4, "cluster-ips"),
            (std::set<std::string>{"10.96.0.10", "10.96.0.20", "10.96.0.30", "10.96.0.40",
                                   "10.96.0.50", "10.96.0.60"}));

  // IPv6 in its own table.
  const NftTableText v6 = nftTable(Family::Ip6, "kpx");
  EXPECT_EQ(mapEndpoints(v6, s.web6), std::set<std::string>{"fd00:10:244:1::2 . 8080"});
  EXPECT_EQ(v6.sets.at("hairpin").elements,
            std::vector<std::string>{"fd00:10:244:1::2 . fd00:10:244:1::2"});
  EXPECT_EQ(elements(v6, "service-ips"),
            (std::set<std::string>{"fd00:96::10 . tcp . 80 : goto " + svcChain(s.web6) +
                                   " comment \"default/web6:http\""}));
  EXPECT_EQ(elements(v6, "cluster-ips"), std::set<std::string>{"fd00:96::10"});
  EXPECT_FALSE(v4.chains.contains(svcChain(s.web6)));

  // dump(): each service port with its VIPs and endpoints.
  expectSampleInventory(dp->dump(), s);
}

// --- 2. Incremental sync -----------------------------------------------------------------------

TEST_F(NftablesBackendTest, IncrementalSyncTouchesOnlyTheChangedServicePort) {
  auto a = PortBuilder("ns", "a", "http", "10.96.1.1", 80)
               .endpoints({endpoint("10.244.1.1", 8080), endpoint("10.244.1.2", 8080)});
  auto b = PortBuilder("ns", "b", "http", "10.96.1.2", 80)
               .nodePort(30002)
               .endpoints({endpoint("10.244.2.1", 8080), endpoint("10.244.2.2", 8080)});
  auto c = PortBuilder("ns", "c", "", "10.96.1.3", 53, Protocol::UDP)
               .endpoints({endpoint("10.244.3.1", 53)});
  auto v6 = PortBuilder("ns", "six", "http", "fd00:96::1", 80)
                .endpoints({endpoint("fd00:10:244::1", 8080)});
  ProxyState state = stateOf(defaultGlobal(), {a, b, c, v6});
  auto dp = makeDataplane();
  ASSERT_TRUE(dp);
  ASSERT_TRUE(dp->sync(state, SyncKind::Full).ok);
  const Handles before = handles(Family::Ip);
  const Handles before6 = handles(Family::Ip6);

  // a: endpoint 10.244.1.2 is replaced by 10.244.1.3.
  const EndpointState gone = endpoint("10.244.1.2", 8080), added = endpoint("10.244.1.3", 8080);
  ServicePortState a2 = a.get();
  a2.internal.endpoints = a2.external.endpoints = {endpoint("10.244.1.1", 8080), added};
  put(state, a2);
  TestSyncResult r = dp->sync(state, SyncKind::Incremental);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(dp->stats().incrementalSyncs, 1U);
  EXPECT_EQ(dp->stats().fullSyncs, 1U);
  EXPECT_EQ(dp->stats().lastMessages, r.messages);
  expectKernelMatches(state);

  // Layout (c): the endpoint map's elements change, and no chain or rule at all (so the kernel
  // does not revalidate the table). Every chain and rule keeps its handle.
  EXPECT_EQ(handles(Family::Ip), before);
  EXPECT_EQ(mapEndpoints(nftTable(Family::Ip, "kpx"), a2),
            (std::set<std::string>{"10.244.1.1 . 8080", "10.244.1.3 . 8080"}));
  EXPECT_EQ(handles(Family::Ip6), before6) << "the IPv6 table is not touched";
  (void)gone;

  // Remove c: its chains and elements go, nothing else changes.
  state.servicePorts.erase(c.get().key);
  r = dp->sync(state, SyncKind::Incremental);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(dp->stats().incrementalSyncs, 2U);
  expectKernelMatches(state);
  const Handles afterRemove = handles(Family::Ip);
  EXPECT_FALSE(afterRemove.chains.contains(svcChain(c)));
  EXPECT_TRUE(mapEndpoints(nftTable(Family::Ip, "kpx"), c).empty());
  EXPECT_EQ(afterRemove.rules.at(svcChain(b)), before.rules.at(svcChain(b)));
  const std::string v4ips = nft({"list", "map", "ip", "kpx", "service-ips"}).output;
  EXPECT_EQ(v4ips.find("10.96.1.3"), std::string::npos) << v4ips;
  EXPECT_EQ(nft({"list", "set", "ip", "kpx", "cluster-ips"}).output.find("10.96.1.3"),
            std::string::npos);

  // Add d (an LB with affinity, so firewall and affinity rules come in incrementally too).
  auto d = PortBuilder("ns", "d", "https", "10.96.1.4", 443)
               .nodePort(30004)
               .loadBalancer("198.51.100.4", {"203.0.113.0/24"})
               .affinity(60)
               .endpoints({endpoint("10.244.4.1", 8443)});
  put(state, d);
  r = dp->sync(state, SyncKind::Incremental);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(dp->stats().incrementalSyncs, 3U);
  EXPECT_EQ(dp->stats().fullSyncs, 1U);
  expectKernelMatches(state);
  const Handles afterAdd = handles(Family::Ip);
  EXPECT_TRUE(afterAdd.chains.contains(svcChain(d)));
  EXPECT_TRUE(afterAdd.chains.contains(extChain(d)));
  EXPECT_TRUE(afterAdd.chains.contains(fwChain(d)));
  EXPECT_EQ(afterAdd.rules.at(svcChain(b)), before.rules.at(svcChain(b)));

  // Nothing changed: nothing sent.
  r = dp->sync(state, SyncKind::Incremental);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.messages, 0U);
  EXPECT_EQ(handles(Family::Ip), afterAdd);

  // Endpoints gone: the service flips to the no-endpoints map, its chains go.
  ServicePortState b2 = b.get();
  b2.internal.endpoints.clear();
  b2.external.endpoints.clear();
  put(state, b2);
  r = dp->sync(state, SyncKind::Incremental);
  ASSERT_TRUE(r.ok) << r.error;
  expectKernelMatches(state);
  EXPECT_FALSE(handles(Family::Ip).chains.contains(svcChain(b2)));
  EXPECT_EQ(dp->stats().fullSyncs, 1U);
}

// Two service ports claiming the same externalIP:port/protocol: the first one the backend meets
// gets the map element, the other is reported and left out. When the owner goes, the other one
// must get the VIP, as a full sync of the new state gives it.
TEST_F(NftablesBackendTest, IncrementalSyncHandsAFreedVipToTheOtherClaimant) {
  auto a = PortBuilder("ns", "a", "http", "10.96.1.1", 80)
               .externalIP("192.0.2.1")
               .endpoints({endpoint("10.244.1.1", 8080)});
  auto b = PortBuilder("ns", "b", "http", "10.96.1.2", 80)
               .externalIP("192.0.2.1")
               .endpoints({endpoint("10.244.2.1", 8080)});
  ProxyState state = stateOf(defaultGlobal({IPFamily::V4}), {a, b});
  auto dp = makeDataplane();
  ASSERT_TRUE(dp);
  ASSERT_TRUE(dp->sync(state, SyncKind::Full).ok);
  expectKernelMatches(state);

  state.servicePorts.erase(a.get().key);
  const TestSyncResult r = dp->sync(state, SyncKind::Incremental);
  ASSERT_TRUE(r.ok) << r.error;
  const std::string map = nft({"list", "map", "ip", "kpx", "service-ips"}).output;
  EXPECT_NE(map.find("192.0.2.1 . tcp . 80"), std::string::npos)
      << "ns/b's externalIP is not served after ns/a released it:\n"
      << map;
  expectKernelMatches(state);
}

// --- 3. Message count is independent of the number of services --------------------------------

TEST_F(NftablesBackendTest, OneEndpointChangeCostsTheSameMessagesWhateverTheClusterSize) {
  struct Measure {
    size_t fullMessages = 0;
    std::vector<size_t> swapMessages;
    double swapMs = 0;  // the slowest of the swaps
  };
  auto measure = [&](size_t services) -> Measure {
    Measure m;
    auto ns = TestNetns::create();  // its own namespace, nested in the test's
    EXPECT_TRUE(ns) << (ns ? "" : ns.error());
    if (!ns) return m;
    {
      auto dp = makeDataplane();
      if (!dp) return m;
      ProxyState state = manyServices(services, 3);
      const TestSyncResult full = dp->sync(state, SyncKind::Full);
      EXPECT_TRUE(full.ok) << full.error;
      m.fullMessages = full.messages;
      // Replace one endpoint of one service (in the middle of the table), then one of
      // another service, then add one endpoint to a third and remove one from a fourth.
      auto swap = [&](size_t index, auto&& edit) {
        auto it = state.servicePorts.begin();
        std::advance(it, static_cast<long>(index));
        edit(it->second.internal.endpoints);
        it->second.external.endpoints = it->second.internal.endpoints;
        const auto t0 = std::chrono::steady_clock::now();
        const TestSyncResult r = dp->sync(state, SyncKind::Incremental);
        m.swapMs = std::max(m.swapMs, std::chrono::duration<double, std::milli>(
                                          std::chrono::steady_clock::now() - t0)
                                          .count());
        EXPECT_TRUE(r.ok) << r.error;
        EXPECT_EQ(r.messages, dp->stats().lastMessages);
        m.swapMessages.push_back(r.messages);
      };
      swap(services / 2, [](auto& eps) { eps[1] = endpoint("10.200.0.1", 8080); });
      swap(services / 3, [](auto& eps) { eps[0] = endpoint("10.200.0.2", 8080); });
      swap(services / 4, [](auto& eps) { eps.push_back(endpoint("10.200.0.3", 8080)); });
      swap(services / 5, [](auto& eps) { eps.pop_back(); });
      EXPECT_EQ(dp->stats().incrementalSyncs, 4U);
      EXPECT_EQ(dp->stats().fullSyncs, 1U);
      // The kernel holds the chains a full sync of the final state would create (read with the
      // netlink reader: nft takes seconds to list 2,000 services).
      auto sock = nft::Socket::open();  // in the nested namespace
      EXPECT_TRUE(sock);
      if (!sock) return m;
      auto chains = nft::Reader(*sock).chains(Family::Ip, "kpx");
      EXPECT_TRUE(chains);
      if (chains) {
        std::set<std::string> got, want;
        for (const auto& c : *chains) got.insert(c.name);
        std::istringstream plan(renderText(state));
        for (std::string line; std::getline(plan, line);) {
          if (line.starts_with("\tchain ") && line.ends_with(" {"))
            want.insert(line.substr(7, line.size() - 9));
        }
        EXPECT_EQ(got.size(), 16 + services);  // one chain per service: no endpoint chains
        EXPECT_TRUE(got == want) << "the kernel's chains differ from the plan's";
      }
    }
    return m;  // ns is left and deleted here
  };
  const Measure small = measure(100);
  const Measure large = measure(2000);
  ASSERT_EQ(small.swapMessages.size(), 4U);
  ASSERT_EQ(large.swapMessages.size(), 4U);
  EXPECT_GT(large.fullMessages, 10 * small.fullMessages);
  // Exactly the same messages for 100 and 2,000 services: a swap is the endpoint map's element
  // delete and add, the hairpin pair's delete and add, and the stamp.
  EXPECT_EQ(small.swapMessages, large.swapMessages);
  EXPECT_EQ(small.swapMessages[0], small.swapMessages[1]);
  EXPECT_LE(small.swapMessages[0], 16U);
  RecordProperty("swap_messages", std::to_string(small.swapMessages[0]));
  RecordProperty("slowest_swap_ms_100_services", std::to_string(small.swapMs));
  RecordProperty("slowest_swap_ms_2000_services", std::to_string(large.swapMs));
  std::printf(
      "one-endpoint swap: %zu messages; slowest of 4 swaps: %.1f ms (100 services), "
      "%.1f ms (2,000 services); full sync: %zu / %zu messages\n",
      small.swapMessages[0], small.swapMs, large.swapMs, small.fullMessages, large.fullMessages);
}

}  // namespace
}  // namespace kpx::testing
