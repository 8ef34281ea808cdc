// The conntrack sysctl decisions against a temporary tree standing in for /proc/sys and /sys.
#include "dataplane/node/conntrack_sysctls.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "temp_tree.h"

namespace kpx::node {
namespace {

using namespace std::chrono_literals;
using testing::TempTree;

constexpr const char* kNetfilter = "proc/sys/net/netfilter/";
constexpr const char* kHashsize = "sys/module/nf_conntrack/parameters/hashsize";

// A node as a fresh kernel leaves it, with `cpus` online CPUs.
void putKernel(const TempTree& tree, const std::string& cpus) {
  const std::string nf = kNetfilter;
  tree.put(nf + "nf_conntrack_max", "65536\n");
  tree.put(nf + "nf_conntrack_tcp_timeout_established", "432000\n");
  tree.put(nf + "nf_conntrack_tcp_timeout_close_wait", "60\n");
  tree.put(nf + "nf_conntrack_tcp_be_liberal", "0\n");
  tree.put(nf + "nf_conntrack_udp_timeout", "30\n");
  tree.put(nf + "nf_conntrack_udp_timeout_stream", "120\n");
  tree.put(kHashsize, "16384\n");
  tree.put("sys/devices/system/cpu/online", cpus + "\n");
}

ConntrackPaths pathsOf(const TempTree& tree) {
  return {.procSys = tree.root() / "proc/sys", .sys = tree.root() / "sys"};
}

const SettingResult* find(const std::vector<SettingResult>& results, std::string_view suffix) {
  for (const SettingResult& r : results)
    if (r.name.ends_with(suffix)) return &r;
  return nullptr;
}

TEST(ConntrackMax, PerCoreTimesCpusWithMinAsFloor) {
  ConntrackConfig c;  // kube-proxy's defaults: 32768 per core, min 131072
  EXPECT_EQ(conntrackMax(c, 2), 131072);
  EXPECT_EQ(conntrackMax(c, 4), 131072);
  EXPECT_EQ(conntrackMax(c, 8), 262144);
  c.maxPerCore = 0;  // leave the kernel's value, min included
  EXPECT_EQ(conntrackMax(c, 64), 0);
  c.maxPerCore = 2'000'000'000;  // int32 x CPUs does not overflow
  EXPECT_EQ(conntrackMax(c, 4), 8'000'000'000);
}

TEST(OnlineCpus, KernelCpuLists) {
  EXPECT_EQ(countCpuList("0-1\n"), 2);
  EXPECT_EQ(countCpuList("0"), 1);
  EXPECT_EQ(countCpuList("0-3,8-11"), 8);
  EXPECT_EQ(countCpuList("0,2,4-5"), 4);
  EXPECT_EQ(countCpuList(""), std::nullopt);
  EXPECT_EQ(countCpuList("3-1"), std::nullopt);
  EXPECT_EQ(countCpuList("x"), std::nullopt);
  EXPECT_EQ(countCpuList("0-"), std::nullopt);

  TempTree tree;
  tree.put("devices/system/cpu/online", "0-5,7\n");
  EXPECT_EQ(onlineCpus(tree.root()), 7);
  TempTree empty;
  EXPECT_GE(onlineCpus(empty.root()), 1) << "falls back to sysconf";
}

TEST(ConntrackSysctls, DefaultsAndWholeSeconds) {
  const ConntrackConfig defaults;
  EXPECT_EQ(conntrackSysctls(defaults, 8),
            (std::vector<SysctlValue>{
                {"net/netfilter/nf_conntrack_max", 262144},
                {"net/netfilter/nf_conntrack_tcp_timeout_established", 86400},
                {"net/netfilter/nf_conntrack_tcp_timeout_close_wait", 3600},
            }));
  ConntrackConfig all{.maxPerCore = 0,
                      .min = 0,
                      .tcpEstablishedTimeout = Duration::zero(),
                      .tcpCloseWaitTimeout = 90500ms,  // truncated, as Go's d / time.Second
                      .tcpBeLiberal = true,
                      .udpTimeout = 30s,
                      .udpStreamTimeout = 2min};
  EXPECT_EQ(conntrackSysctls(all, 8), (std::vector<SysctlValue>{
                                          {"net/netfilter/nf_conntrack_tcp_timeout_close_wait", 90},
                                          {"net/netfilter/nf_conntrack_tcp_be_liberal", 1},
                                          {"net/netfilter/nf_conntrack_udp_timeout", 30},
                                          {"net/netfilter/nf_conntrack_udp_timeout_stream", 120},
                                      }));
}

TEST(ApplyConntrackSysctls, WritesWhatDiffersAndRaisesTheHashTable) {
  TempTree tree;
  putKernel(tree, "0-3");
  ConntrackConfig c;
  c.tcpBeLiberal = true;
  c.udpTimeout = 30s;  // already the kernel's
  c.udpStreamTimeout = 3min;
  const auto results = applyConntrackSysctls(c, pathsOf(tree));
  ASSERT_EQ(results.size(), 7u);
  // Upstream's order: nf_conntrack_max, its hash table, then the rest.
  EXPECT_EQ(results[0].name, "net/netfilter/nf_conntrack_max");
  EXPECT_EQ(results[0].outcome, Outcome::Applied);
  EXPECT_EQ(results[0].previous, 65536);
  EXPECT_EQ(results[0].wanted, 131072);  // 4 CPUs x 32768, the min
  EXPECT_EQ(results[1].name, (tree.root() / kHashsize).string());
  EXPECT_EQ(results[1].outcome, Outcome::Applied);
  EXPECT_EQ(results[1].wanted, 32768);
  EXPECT_EQ(results[6].name, "net/netfilter/nf_conntrack_udp_timeout_stream");
  EXPECT_EQ(find(results, "udp_timeout")->outcome, Outcome::Unchanged);

  const std::string nf = kNetfilter;
  EXPECT_EQ(tree.get(nf + "nf_conntrack_max"), "131072\n");
  EXPECT_EQ(tree.get(kHashsize), "32768\n");
  EXPECT_EQ(tree.get(nf + "nf_conntrack_tcp_timeout_established"), "86400\n");
  EXPECT_EQ(tree.get(nf + "nf_conntrack_tcp_timeout_close_wait"), "3600\n");
  EXPECT_EQ(tree.get(nf + "nf_conntrack_tcp_be_liberal"), "1\n");
  EXPECT_EQ(tree.get(nf + "nf_conntrack_udp_timeout"), "30\n") << "not rewritten";
  EXPECT_EQ(tree.get(nf + "nf_conntrack_udp_timeout_stream"), "180\n");

  // A second run (a restart) finds everything in place and writes nothing.
  for (const SettingResult& r : applyConntrackSysctls(c, pathsOf(tree)))
    EXPECT_EQ(r.outcome, Outcome::Unchanged) << r.str();
}

TEST(ApplyConntrackSysctls, HashTableIsNeverShrunk) {
  TempTree tree;
  putKernel(tree, "0-15");  // 16 x 32768 = 524288: wants 131072 buckets
  tree.put(kHashsize, "262144\n");
  const auto results = applyConntrackSysctls(ConntrackConfig{}, pathsOf(tree));
  const SettingResult* hash = find(results, "hashsize");
  ASSERT_NE(hash, nullptr);
  EXPECT_EQ(hash->outcome, Outcome::Unchanged);
  EXPECT_EQ(hash->previous, 262144);
  EXPECT_EQ(hash->str(), hash->name + " stays 262144 (at least 131072 wanted)");
  EXPECT_EQ(tree.get(kHashsize), "262144\n");
}

TEST(ApplyConntrackSysctls, MaxPerCoreZeroLeavesMaxAndHashTableAlone) {
  TempTree tree;
  putKernel(tree, "0-3");
  ConntrackConfig c;
  c.maxPerCore = 0;
  const auto results = applyConntrackSysctls(c, pathsOf(tree));
  EXPECT_EQ(find(results, "nf_conntrack_max"), nullptr);
  EXPECT_EQ(find(results, "hashsize"), nullptr);
  EXPECT_EQ(results.size(), 2u);  // the two TCP timeouts
  EXPECT_EQ(tree.get(std::string(kNetfilter) + "nf_conntrack_max"), "65536\n");
  EXPECT_EQ(tree.get(kHashsize), "16384\n");
}

TEST(ApplyConntrackSysctls, OneFailureDoesNotStopTheOthers) {
  TempTree tree;
  putKernel(tree, "0-3");
  // nf_conntrack_max cannot be written (a directory: EISDIR, whoever runs the test), and the
  // kernel has no UDP stream timeout.
  std::filesystem::remove(tree.root() / kNetfilter / "nf_conntrack_max");
  std::filesystem::create_directories(tree.root() / kNetfilter / "nf_conntrack_max");
  std::filesystem::remove(tree.root() / kNetfilter / "nf_conntrack_udp_timeout_stream");
  ConntrackConfig c;
  c.udpStreamTimeout = 3min;
  const auto results = applyConntrackSysctls(c, pathsOf(tree));
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(results[0].outcome, Outcome::Failed);
  EXPECT_EQ(results[0].errnum, EISDIR);
  EXPECT_EQ(find(results, "hashsize"), nullptr) << "no max, no hash table change";
  EXPECT_EQ(tree.get(kHashsize), "16384\n");
  EXPECT_EQ(results[1].outcome, Outcome::Applied);
  EXPECT_EQ(results[2].outcome, Outcome::Applied);
  EXPECT_EQ(results[3].outcome, Outcome::Failed);
  EXPECT_EQ(results[3].errnum, ENOENT);
  EXPECT_FALSE(
      std::filesystem::exists(tree.root() / kNetfilter / "nf_conntrack_udp_timeout_stream"))
      << "a missing sysctl is never created";
  EXPECT_EQ(results[3].str(),
            "cannot set net/netfilter/nf_conntrack_udp_timeout_stream to 180 (is unreadable): "
            "open " +
                (tree.root() / kNetfilter / "nf_conntrack_udp_timeout_stream").string() +
                ": No such file or directory (errno 2)");
}

TEST(ApplyConntrackSysctls, UnreadableHashsizeIsReported) {
  TempTree tree;
  putKernel(tree, "0-3");
  std::filesystem::remove(tree.root() / kHashsize);
  const auto results = applyConntrackSysctls(ConntrackConfig{}, pathsOf(tree));
  const SettingResult* hash = find(results, "hashsize");
  ASSERT_NE(hash, nullptr);
  EXPECT_EQ(hash->outcome, Outcome::Failed);
  EXPECT_EQ(hash->errnum, ENOENT);
  EXPECT_EQ(results[0].outcome, Outcome::Applied) << "nf_conntrack_max itself was set";
}

TEST(SettingResult, LogLines) {
  SettingResult r;
  r.name = "net/netfilter/nf_conntrack_max";
  r.wanted = 262144;
  r.previous = 131072;
  r.outcome = Outcome::Applied;
  EXPECT_EQ(r.str(), "set net/netfilter/nf_conntrack_max to 262144 (was 131072)");
  r.outcome = Outcome::Unchanged;
  r.previous = 262144;
  EXPECT_EQ(r.str(), "net/netfilter/nf_conntrack_max is already 262144");
  r.outcome = Outcome::Failed;
  r.previous = 131072;
  r.reason = "write x: Permission denied (errno 13)";
  EXPECT_EQ(r.str(),
            "cannot set net/netfilter/nf_conntrack_max to 262144 (is 131072): write x: Permission "
            "denied (errno 13)");
}

}  // namespace
}  // namespace kpx::node
