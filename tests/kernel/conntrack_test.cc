// ConntrackTable against the real kernel, each test in its own network namespace
// (kpxc-<pid>-<n>): real UDP/TCP flows through DNAT rules of the namespace, or entries created
// through ctnetlink, then conntrackCleanup() + deleteMatching() or a ConntrackReconcile +
// deleteStale(), then `conntrack -L` to check that exactly the stale entries went away.
// Without root or the tools it skips and says why.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ostream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "dataplane/conntrack/conntrack_table.h"
#include "dataplane/conntrack/filter_index.h"
#include "proxy/conntrack_plan.h"
#include "tests/kernel/conntrack_fixture.h"
#include "tests/kernel/state_builder.h"

namespace kpx::testing {
namespace {

using conntrack::ConntrackTable;

const EndpointState kA = endpoint("10.244.1.5", 5353);
const EndpointState kB = endpoint("10.244.2.6", 5353);

TEST_F(ConntrackKernelTest, EndpointGoneDeletesOnlyItsUdpFlows) {
  setUpNode(
      "    ip daddr 10.96.0.10 udp dport 53 udp sport 40001 dnat to 10.244.1.5:5353\n"
      "    ip daddr 10.96.0.10 udp dport 53 udp sport 40002 dnat to 10.244.2.6:5353\n"
      "    ip daddr 10.96.0.10 tcp dport 53 dnat to 10.244.1.5:5353\n"
      "    ip daddr 10.96.0.10 udp dport 54 dnat to 10.244.1.5:5353\n"
      "    ip daddr 10.96.0.11 udp dport 53 dnat to 10.244.1.5:5353\n"
      "    ip daddr 192.168.50.1 udp dport 30053 udp sport 40011 dnat to 10.244.1.5:5353\n"
      "    ip daddr 192.168.50.1 udp dport 30053 udp sport 40012 dnat to 10.244.2.6:5353\n");
  sendUdp("10.96.0.10", 53, 40001);            // ClusterIP -> A: stale
  sendUdp("10.96.0.10", 53, 40002);            // ClusterIP -> B
  send(SOCK_STREAM, "10.96.0.10", 53, 40003);  // TCP to the same VIP:port -> A
  sendUdp("10.96.0.10", 54, 40004);            // another port of the VIP -> A
  sendUdp("10.96.0.11", 53, 40005);            // another service -> A
  sendUdp("192.168.50.1", 30053, 40011);       // NodePort -> A: stale
  sendUdp("192.168.50.1", 30053, 40012);       // NodePort -> B
  const std::set<std::string> all = {"udp/40001", "udp/40002", "tcp/40003", "udp/40004",
                                     "udp/40005", "udp/40011", "udp/40012"};
  ASSERT_EQ(flowsBySourcePort(), all);
  for (const Listed& e : list()) {
    if (e.sport == 40001 || e.sport == 40011) {
      EXPECT_EQ(e.replySrc, "10.244.1.5");  // DNATed
    }
  }

  const ProxyState before = stateOf(
      defaultGlobal({IPFamily::V4}),
      {PortBuilder("ns", "dns", "dns", "10.96.0.10", 53, Protocol::UDP)
           .nodePort(30053)
           .endpoints({kA, kB}),
       PortBuilder("ns", "dns", "dns-tcp", "10.96.0.10", 53, Protocol::TCP).endpoints({kA, kB}),
       PortBuilder("ns", "dns", "alt", "10.96.0.10", 54, Protocol::UDP).endpoints({kA}),
       PortBuilder("ns", "other", "dns", "10.96.0.11", 53, Protocol::UDP).endpoints({kA})});
  ProxyState after = before;
  for (auto& [key, sp] : after.servicePorts) {
    if (key.name == "dns" && key.portName != "alt") {
      sp.internal.endpoints = {kB};
      sp.external.endpoints = {kB};
    }
  }
  const std::vector<ConntrackFilter> filters = conntrackCleanup(before, after);
  ASSERT_EQ(filters.size(), 2u);

  auto deleted = table_->deleteMatching(filters);
  ASSERT_TRUE(deleted) << deleted.error().str();
  EXPECT_EQ(*deleted, 2u);
  EXPECT_EQ(flowsBySourcePort(), (std::set<std::string>{"udp/40002", "tcp/40003", "udp/40004",
                                                        "udp/40005", "udp/40012"}));

  // Idempotent: nothing left to match.
  deleted = table_->deleteMatching(filters);
  ASSERT_TRUE(deleted) << deleted.error().str();
  EXPECT_EQ(*deleted, 0u);
}

TEST_F(ConntrackKernelTest, FirstEndpointLetsStuckFlowsTakeTheNewDnat) {
  // No endpoints yet: nothing DNATs 10.96.0.20. The rule only turns conntrack on, as any
  // node's rules do.
  setUpNode("    ct state new counter\n");
  sendUdp("10.96.0.20", 53, 40021);
  sendUdp("10.96.0.21", 53, 40022);            // a service that stays without endpoints
  send(SOCK_STREAM, "10.96.0.20", 53, 40023);  // TCP: not ours to clean
  ASSERT_EQ(flowsBySourcePort(), (std::set<std::string>{"udp/40021", "udp/40022", "tcp/40023"}));

  // The service gets an endpoint and its rule; the client keeps sending from the same port and
  // stays on its un-NATed entry: the very problem the cleanup exists for.
  loadRules("    ip daddr 10.96.0.20 udp dport 53 dnat to 10.244.1.5:5353\n");
  sendUdp("10.96.0.20", 53, 40021);
  auto replyOf = [&](uint16_t sport) {
    for (const Listed& e : list()) {
      if (e.protocol == "udp" && e.sport == sport) return e.replySrc;
    }
    return std::string("<none>");
  };
  ASSERT_EQ(replyOf(40021), "10.96.0.20");

  const ProxyState before =
      stateOf(defaultGlobal({IPFamily::V4}),
              {PortBuilder("ns", "dns", "dns", "10.96.0.20", 53, Protocol::UDP),
               PortBuilder("ns", "dns", "dns-tcp", "10.96.0.20", 53, Protocol::TCP),
               PortBuilder("ns", "idle", "dns", "10.96.0.21", 53, Protocol::UDP)});
  ProxyState after = before;
  for (auto& [key, sp] : after.servicePorts) {
    if (key.name == "dns") sp.internal.endpoints = sp.external.endpoints = {kA};
  }
  auto deleted = table_->deleteMatching(conntrackCleanup(before, after));
  ASSERT_TRUE(deleted) << deleted.error().str();
  EXPECT_EQ(*deleted, 1u);
  EXPECT_EQ(flowsBySourcePort(), (std::set<std::string>{"udp/40022", "tcp/40023"}));

  sendUdp("10.96.0.20", 53, 40021);
  EXPECT_EQ(replyOf(40021), "10.244.1.5");
}

TEST_F(ConntrackKernelTest, Ipv6AndZonedEntries) {
  const std::vector<Spec> specs = {
      {.family = AF_INET6,
       .protocol = IPPROTO_UDP,
       .src = "fd00:1::1",
       .dst = "fd00:96::10",
       .sport = 41001,
       .dport = 53,
       .replySrc = "fd00:244::5",
       .replySport = 5353},
      {.family = AF_INET6,
       .protocol = IPPROTO_UDP,
       .src = "fd00:1::1",
       .dst = "fd00:96::10",
       .sport = 41002,
       .dport = 53,
       .replySrc = "fd00:244::6",
       .replySport = 5353},
      {.family = AF_INET6,
       .protocol = IPPROTO_TCP,
       .src = "fd00:1::1",
       .dst = "fd00:96::10",
       .sport = 41003,
       .dport = 53,
       .replySrc = "fd00:244::5",
       .replySport = 5353},
      {.family = AF_INET6,
       .protocol = IPPROTO_UDP,
       .src = "fd00:1::1",
       .dst = "fd00:1::2",
       .sport = 41004,
       .dport = 30053,
       .replySrc = "fd00:244::5",
       .replySport = 5353},
      // Same tuple as the first, in zone 7: a delete that forgot the zone would miss it.
      {.family = AF_INET6,
       .protocol = IPPROTO_UDP,
       .src = "fd00:1::1",
       .dst = "fd00:96::10",
       .sport = 41001,
       .dport = 53,
       .replySrc = "fd00:244::5",
       .replySport = 5353,
       .zone = 7},
      // An IPv4 entry with the same ports: another family, left alone.
      {.family = AF_INET,
       .protocol = IPPROTO_UDP,
       .src = "10.1.0.1",
       .dst = "10.96.0.10",
       .sport = 41001,
       .dport = 53,
       .replySrc = "10.244.1.5",
       .replySport = 5353},
  };
  ASSERT_EQ(createEntries(specs), "");
  ASSERT_EQ(tableCount(), specs.size());

  const EndpointState a6 = endpoint("fd00:244::5", 5353), b6 = endpoint("fd00:244::6", 5353);
  const ProxyState before =
      stateOf(defaultGlobal(),
              {PortBuilder("ns", "dns", "dns", "fd00:96::10", 53, Protocol::UDP)
                   .nodePort(30053)
                   .endpoints({a6, b6}),
               PortBuilder("ns", "dns", "dns", "10.96.0.10", 53, Protocol::UDP).endpoints({kA})});
  ProxyState after = before;
  for (auto& [key, sp] : after.servicePorts) {
    if (key.family == IPFamily::V6) sp.internal.endpoints = sp.external.endpoints = {b6};
  }
  // One filter at a time, so that each dump is filtered on its port in the kernel; then all of
  // them at once (one dump of every UDP entry), which finds nothing more.
  const std::vector<ConntrackFilter> filters = conntrackCleanup(before, after);
  ASSERT_EQ(filters.size(), 2u);
  size_t total = 0;
  for (const ConntrackFilter& f : filters) {
    auto deleted = table_->deleteMatching({f});
    ASSERT_TRUE(deleted) << f.str() << ": " << deleted.error().str();
    total += *deleted;
  }
  EXPECT_EQ(total, 3u);  // the ClusterIP flow in both zones, the NodePort flow
  auto again = table_->deleteMatching(filters);
  ASSERT_TRUE(again) << again.error().str();
  EXPECT_EQ(*again, 0u);

  std::set<std::string> left;
  for (const Listed& e : list("ipv6")) left.insert(e.protocol + "/" + std::to_string(e.sport));
  EXPECT_EQ(left, (std::set<std::string>{"udp/41002", "tcp/41003"}));
  EXPECT_EQ(list("ipv4").size(), 1u);
}

TEST_F(ConntrackKernelTest, KernelRefusalIsReportedNotIgnored) {
  ASSERT_EQ(createEntries({{.family = AF_INET,
                            .protocol = IPPROTO_UDP,
                            .src = "10.1.0.1",
                            .dst = "10.96.0.10",
                            .sport = 42001,
                            .dport = 53,
                            .replySrc = "10.244.1.5",
                            .replySport = 5353}}),
            "");
  const ProxyState before = stateOf(
      defaultGlobal({IPFamily::V4}),
      {PortBuilder("ns", "dns", "dns", "10.96.0.10", 53, Protocol::UDP).endpoints({kA, kB})});
  ProxyState after = before;
  for (auto& [key, sp] : after.servicePorts) sp.internal.endpoints = sp.external.endpoints = {kB};
  const std::vector<ConntrackFilter> filters = conntrackCleanup(before, after);
  {
    WithoutNetAdmin unprivileged;
    ASSERT_TRUE(unprivileged.dropped()) << "capset: " << strerror(errno);
    auto refused = table_->deleteMatching(filters);
    ASSERT_FALSE(refused) << "deleted " << *refused << " without CAP_NET_ADMIN";
    EXPECT_EQ(refused.error().errnum, EPERM) << refused.error().str();
    EXPECT_NE(refused.error().str().find("dump IPv4"), std::string::npos) << refused.error().str();
  }
  ASSERT_EQ(tableCount(), 1u);  // nothing was deleted behind our back

  // As documented, a new table after an error; with the capability back it deletes the entry.
  auto fresh = ConntrackTable::open();
  ASSERT_TRUE(fresh) << fresh.error().str();
  auto deleted = fresh->deleteMatching(filters);
  ASSERT_TRUE(deleted) << deleted.error().str();
  EXPECT_EQ(*deleted, 1u);
  EXPECT_EQ(tableCount(), 0u);
}

// The first sync after a start: no "before", the whole table judged against the state. Flows
// to current endpoints stay whatever their age; what would keep a client off the current rules
// goes.
TEST_F(ConntrackKernelTest, ReconcileDeletesOnlyWhatTheStateMakesStale) {
  setUpNode(
      "    ip daddr 10.96.0.10 udp dport 53 udp sport 40031 dnat to 10.244.1.5:5353\n"
      "    ip daddr 10.96.0.10 udp dport 53 udp sport 40032 dnat to 10.244.9.9:5353\n"
      "    ip daddr 10.96.0.10 udp dport 53 udp sport 40033 dnat to 10.244.1.5:5354\n"
      "    ip daddr 10.96.0.10 tcp dport 53 dnat to 10.244.9.9:5353\n"
      "    ip daddr 10.96.0.11 udp dport 53 dnat to 10.244.9.9:5353\n"
      "    ip daddr 10.96.0.20 udp dport 53 dnat to 10.244.9.9:5353\n"
      "    ip daddr 192.168.50.1 udp dport 30053 udp sport 40041 dnat to 10.244.2.6:5353\n"
      "    ip daddr 192.168.50.1 udp dport 30054 dnat to 10.244.9.9:5353\n");
  sendUdp("10.96.0.10", 53, 40031);            // -> A: valid
  sendUdp("10.96.0.10", 53, 40032);            // -> an endpoint the service no longer has
  sendUdp("10.96.0.10", 53, 40033);            // -> A's old target port
  sendUdp("10.96.0.10", 53, 40034);            // never DNATed, the service has endpoints
  send(SOCK_STREAM, "10.96.0.10", 53, 40035);  // TCP: not ours
  sendUdp("10.96.0.11", 53, 40036);            // not a frontend of the state
  sendUdp("10.96.0.20", 53, 40037);            // a VIP without endpoints: nothing valid
  sendUdp("192.168.50.1", 30053, 40041);       // NodePort -> B: valid
  sendUdp("192.168.50.1", 30053, 40042);       // NodePort, never DNATed
  sendUdp("192.168.50.1", 30054, 40043);       // a NodePort without endpoints: skipped
  ASSERT_EQ(flowsBySourcePort().size(), 10u);

  const ProxyState state =
      stateOf(defaultGlobal({IPFamily::V4}),
              {PortBuilder("ns", "dns", "dns", "10.96.0.10", 53, Protocol::UDP)
                   .nodePort(30053)
                   .endpoints({kA, kB}),
               PortBuilder("ns", "dns", "dns-tcp", "10.96.0.10", 53, Protocol::TCP).endpoints({kA}),
               PortBuilder("ns", "idle", "dns", "10.96.0.20", 53, Protocol::UDP).nodePort(30054)});
  const ConntrackReconcile reconcile(state);
  auto deleted = table_->deleteStale(reconcile, {});
  ASSERT_TRUE(deleted) << deleted.error().str();
  EXPECT_EQ(*deleted, 5u);
  EXPECT_EQ(flowsBySourcePort(), (std::set<std::string>{"udp/40031", "tcp/40035", "udp/40036",
                                                        "udp/40041", "udp/40043"}));

  deleted = table_->deleteStale(reconcile, {});
  ASSERT_TRUE(deleted) << deleted.error().str();
  EXPECT_EQ(*deleted, 0u);
}

// A retry: the reconcile of both families and the filters of a gone frontend, in one pass.
TEST_F(ConntrackKernelTest, ReconcileAndFiltersInOnePass) {
  auto udp = [](int family, std::string src, std::string dst, uint16_t sport, uint16_t dport,
                std::string replySrc, uint16_t replySport) {
    return Spec{.family = family,
                .protocol = IPPROTO_UDP,
                .src = std::move(src),
                .dst = std::move(dst),
                .sport = sport,
                .dport = dport,
                .replySrc = std::move(replySrc),
                .replySport = replySport};
  };
  ASSERT_EQ(createEntries({
                udp(AF_INET, "10.1.0.1", "10.96.0.10", 43001, 53, "10.244.1.5", 5353),  // valid
                udp(AF_INET, "10.1.0.1", "10.96.0.12", 43002, 53, "10.244.1.5", 5353),  // gone svc
                udp(AF_INET, "10.1.0.1", "10.96.0.13", 43003, 53, "10.244.1.5", 5353),  // unknown
                udp(AF_INET6, "fd00:1::1", "fd00:96::10", 43004, 53, "fd00:244::5", 5353),  // valid
                udp(AF_INET6, "fd00:1::1", "fd00:96::10", 43005, 53, "fd00:244::6", 5353),  // stale
            }),
            "");
  const ProxyState state =
      stateOf(defaultGlobal(),
              {PortBuilder("ns", "dns", "dns", "10.96.0.10", 53, Protocol::UDP).endpoints({kA}),
               PortBuilder("ns", "dns", "dns", "fd00:96::10", 53, Protocol::UDP)
                   .endpoints({endpoint("fd00:244::5", 5353)})});
  const ConntrackFilter goneService{.family = IPFamily::V4,
                                    .protocol = Protocol::UDP,
                                    .origDst = addr("10.96.0.12"),
                                    .origDstPort = 53,
                                    .replySrc = addr("10.244.1.5")};
  auto deleted = table_->deleteStale(ConntrackReconcile(state), {goneService});
  ASSERT_TRUE(deleted) << deleted.error().str();
  EXPECT_EQ(*deleted, 2u);
  std::set<std::string> left;
  for (const std::string family : {"ipv4", "ipv6"}) {
    for (const Listed& e : list(family)) left.insert(family + "/" + std::to_string(e.sport));
  }
  EXPECT_EQ(left, (std::set<std::string>{"ipv4/43001", "ipv4/43003", "ipv6/43004"}));
}

// 50,000 entries that no filter selects plus 100 stale ones: prints how long the cleanup takes
// (dump + match + delete). The unrelated entries go to other VIPs on the same port as the stale
// ones, UDP or TCP. With filters on one VIP:port the kernel sends only that frontend's entries;
// with a NodePort filter as well, every UDP entry (the worst case: 50,000 sent to user space
// and matched there); TCP entries never cross. Timings are printed, not asserted.
struct ScaleCase {
  const char* name;
  uint8_t protocol;
  bool withNodePort;
};

void PrintTo(const ScaleCase& c, std::ostream* os) {
  *os << c.name;
}

class ConntrackScaleTest : public ConntrackKernelTest,
                           public ::testing::WithParamInterface<ScaleCase> {};

TEST_P(ConntrackScaleTest, CleanupAmong50000UnrelatedEntries) {
  const ScaleCase c = GetParam();
  constexpr size_t kUnrelated = 50000, kStale = 100;
  std::vector<Spec> specs;
  for (size_t i = 0; i < kUnrelated; ++i) {
    const std::string host = std::to_string((i >> 8) & 0xff) + "." + std::to_string(i & 0xff);
    specs.push_back({.family = AF_INET,
                     .protocol = c.protocol,
                     .src = "10.200." + host,
                     .dst = "10.97." + host,
                     .sport = static_cast<uint16_t>(10000 + i),
                     .dport = 53,
                     .replySrc = "10.245." + host,
                     .replySport = 5353});
  }
  for (size_t i = 0; i < kStale; ++i) {
    specs.push_back({.family = AF_INET,
                     .protocol = IPPROTO_UDP,
                     .src = "10.201.0." + std::to_string(i),
                     .dst = "10.96.0.10",
                     .sport = static_cast<uint16_t>(20000 + i),
                     .dport = 53,
                     .replySrc = "10.244.1.5",
                     .replySport = 5353});
  }
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(createEntries(specs), "");
  const auto t1 = std::chrono::steady_clock::now();
  ASSERT_EQ(tableCount(), kUnrelated + kStale);

  ProxyState before = stateOf(
      defaultGlobal({IPFamily::V4}),
      {PortBuilder("ns", "dns", "dns", "10.96.0.10", 53, Protocol::UDP).endpoints({kA, kB})});
  if (c.withNodePort) {
    for (auto& [key, sp] : before.servicePorts) sp.nodePort = 30053;
  }
  ProxyState after = before;
  for (auto& [key, sp] : after.servicePorts) sp.internal.endpoints = sp.external.endpoints = {kB};
  const std::vector<ConntrackFilter> filters = conntrackCleanup(before, after);
  ASSERT_EQ(filters.size(), c.withNodePort ? 2u : 1u);

  const auto t2 = std::chrono::steady_clock::now();
  auto deleted = table_->deleteMatching(filters);
  const auto t3 = std::chrono::steady_clock::now();
  ASSERT_TRUE(deleted) << deleted.error().str();
  EXPECT_EQ(*deleted, kStale);
  EXPECT_EQ(tableCount(), kUnrelated);

  // A second pass finds nothing: the cost of a cleanup that deletes nothing.
  auto again = table_->deleteMatching(filters);
  const auto t4 = std::chrono::steady_clock::now();
  ASSERT_TRUE(again) << again.error().str();
  EXPECT_EQ(*again, 0u);

  using ms = std::chrono::duration<double, std::milli>;
  std::printf(
      "[ conntrack ] %zu unrelated entries, %s (created in %.0f ms): deleting %zu stale took "
      "%.1f ms, a pass that deletes nothing %.1f ms\n",
      kUnrelated, c.name, ms(t1 - t0).count(), kStale, ms(t3 - t2).count(), ms(t4 - t3).count());
}

INSTANTIATE_TEST_SUITE_P(
    Unrelated, ConntrackScaleTest,
    ::testing::Values(ScaleCase{"UDP, filters on one VIP:port", IPPROTO_UDP, false},
                      ScaleCase{"UDP, filters on a VIP:port and a NodePort", IPPROTO_UDP, true},
                      ScaleCase{"TCP, filters on a VIP:port and a NodePort", IPPROTO_TCP, true}),
    [](const auto& info) {
      if (info.param.protocol == IPPROTO_TCP) return std::string("Tcp");
      return std::string(info.param.withNodePort ? "UdpAllSent" : "UdpOneFrontend");
    });

// The reconcile of the first sync among 50,000 UDP entries to addresses that are not frontends
// plus 100 stale ones, against 10,000 UDP services with 10 endpoints each: every UDP entry
// crosses to user space and is judged there. Prints the times (building the reconcile, a pass
// that deletes the 100, a pass that deletes nothing), for comparison with the filtered passes
// of ConntrackScaleTest; not asserted.
TEST_F(ConntrackKernelTest, ReconcileAmong50000UnrelatedEntries) {
  constexpr size_t kUnrelated = 50000, kStale = 100, kServices = 10000, kEndpoints = 10;
  std::vector<Spec> specs;
  for (size_t i = 0; i < kUnrelated; ++i) {
    const std::string host = std::to_string((i >> 8) & 0xff) + "." + std::to_string(i & 0xff);
    specs.push_back({.family = AF_INET,
                     .protocol = IPPROTO_UDP,
                     .src = "10.200." + host,
                     .dst = "10.97." + host,
                     .sport = static_cast<uint16_t>(10000 + i),
                     .dport = 53,
                     .replySrc = "10.245." + host,
                     .replySport = 5353});
  }
  for (size_t i = 0; i < kStale; ++i) {
    specs.push_back({.family = AF_INET,
                     .protocol = IPPROTO_UDP,
                     .src = "10.201.0." + std::to_string(i),
                     .dst = "10.96.0.10",
                     .sport = static_cast<uint16_t>(20000 + i),
                     .dport = 53,
                     .replySrc = "10.244.255.5",  // an endpoint no service has
                     .replySport = 5353});
  }
  ASSERT_EQ(createEntries(specs), "");
  ASSERT_EQ(tableCount(), kUnrelated + kStale);

  ProxyState state;
  state.global = defaultGlobal({IPFamily::V4});
  for (size_t i = 0; i < kServices; ++i) {
    const std::string hi = std::to_string((i >> 8) & 0xff), lo = std::to_string(i & 0xff);
    std::vector<EndpointState> eps;
    for (size_t k = 0; k < kEndpoints; ++k)
      eps.push_back(endpoint("10." + std::to_string(100 + k) + "." + hi + "." + lo, 5353));
    put(state, PortBuilder("ns", "svc-" + std::to_string(i), "dns", "10.96." + hi + "." + lo, 53,
                           Protocol::UDP)
                   .nodePort(static_cast<uint16_t>(i % 2 == 0 ? 0 : 30000 + i / 2))
                   .endpoints(std::move(eps)));
  }
  const auto t0 = std::chrono::steady_clock::now();
  const ConntrackReconcile reconcile(state);
  const auto t1 = std::chrono::steady_clock::now();
  auto deleted = table_->deleteStale(reconcile, {});
  const auto t2 = std::chrono::steady_clock::now();
  ASSERT_TRUE(deleted) << deleted.error().str();
  EXPECT_EQ(*deleted, kStale);
  EXPECT_EQ(tableCount(), kUnrelated);
  auto again = table_->deleteStale(reconcile, {});
  const auto t3 = std::chrono::steady_clock::now();
  ASSERT_TRUE(again) << again.error().str();
  EXPECT_EQ(*again, 0u);

  using ms = std::chrono::duration<double, std::milli>;
  std::printf(
      "[ conntrack ] reconcile of %zu UDP services x %zu endpoints (built in %.1f ms) among %zu "
      "unrelated UDP entries: deleting %zu stale took %.1f ms, a pass that deletes nothing "
      "%.1f ms\n",
      kServices, kEndpoints, ms(t1 - t0).count(), kUnrelated, kStale, ms(t2 - t1).count(),
      ms(t3 - t2).count());
}

// The dumps of a reconcile: every UDP entry of its families, one dump per (family, protocol).
TEST(ConntrackFilterIndex, ReconcileWidensTheUdpDumps) {
  const ConntrackFilter udpVip{.family = IPFamily::V4,
                               .protocol = Protocol::UDP,
                               .origDst = addr("10.96.0.12"),
                               .origDstPort = 53,
                               .replySrc = std::nullopt};
  const ConntrackFilter tcpPort{.family = IPFamily::V4,
                                .protocol = Protocol::TCP,
                                .origDst = std::nullopt,
                                .origDstPort = 80,
                                .replySrc = std::nullopt};
  using Dump = conntrack::FilterIndex::Dump;
  const conntrack::FilterIndex index({udpVip, tcpPort});
  const std::vector<Dump> filtered = {
      {.family = IPFamily::V4, .protocol = IPPROTO_TCP, .port = 80, .address = std::nullopt},
      {.family = IPFamily::V4, .protocol = IPPROTO_UDP, .port = 53, .address = addr("10.96.0.12")}};
  std::vector<Dump> sorted = filtered;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(index.dumps(), sorted);
  EXPECT_EQ(index.dumpsWithUdp({}), sorted);
  std::vector<Dump> widened = {
      {.family = IPFamily::V4, .protocol = IPPROTO_TCP, .port = 80, .address = std::nullopt},
      {.family = IPFamily::V4,
       .protocol = IPPROTO_UDP,
       .port = std::nullopt,
       .address = std::nullopt},
      {.family = IPFamily::V6,
       .protocol = IPPROTO_UDP,
       .port = std::nullopt,
       .address = std::nullopt}};
  std::sort(widened.begin(), widened.end());
  EXPECT_EQ(index.dumpsWithUdp({IPFamily::V4, IPFamily::V6}), widened);
  EXPECT_EQ(conntrack::FilterIndex({}).dumpsWithUdp({IPFamily::V6}),
            (std::vector<Dump>{{.family = IPFamily::V6,
                                .protocol = IPPROTO_UDP,
                                .port = std::nullopt,
                                .address = std::nullopt}}));
}

// The index must answer exactly as a scan of every filter would, whatever the mix of filters
// with and without address, port and reply source.
TEST(ConntrackFilterIndex, AgreesWithLinearScan) {
  std::mt19937 rng(42);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const std::vector<std::string> v4s = {"10.96.0.10", "10.96.0.11", "10.244.1.5", "10.244.2.6"};
  const std::vector<std::string> v6s = {"fd00::10", "fd00::11", "fd00:244::5"};
  const std::vector<uint16_t> ports = {0, 53, 54, 30053};
  auto address = [&](IPFamily f) { return addr(f == IPFamily::V4 ? v4s[pick(4)] : v6s[pick(3)]); };
  for (int round = 0; round < 200; ++round) {
    std::vector<ConntrackFilter> filters;
    for (int i = pick(6); i > 0; --i) {
      ConntrackFilter f;
      f.family = pick(2) ? IPFamily::V4 : IPFamily::V6;
      f.protocol = pick(3) ? Protocol::UDP : Protocol::TCP;
      if (pick(2)) f.origDst = address(f.family);
      if (pick(4)) f.origDstPort = ports[pick(4)];
      if (pick(2)) f.replySrc = address(f.family);
      filters.push_back(f);
    }
    const conntrack::FilterIndex index(filters);
    for (int i = 0; i < 50; ++i) {
      ConntrackFlow flow;
      flow.family = pick(2) ? IPFamily::V4 : IPFamily::V6;
      flow.protocol = pick(3) ? IPPROTO_UDP : IPPROTO_TCP;
      flow.origDst = address(flow.family);
      flow.origDstPort = ports[pick(4)];
      flow.replySrc = address(flow.family);
      bool linear = false;
      for (const ConntrackFilter& f : filters) linear = linear || f.matches(flow);
      ASSERT_EQ(index.matches(flow), linear) << "round " << round;
    }
  }
}

}  // namespace
}  // namespace kpx::testing
