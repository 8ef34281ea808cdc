// The conntrack sysctls (dataplane/node) against the real kernel, each test in a namespace of
// its own (kpxn-<pid>-<n>): the per-namespace timeouts and be_liberal are written there and read
// back; nf_conntrack_max is the host's and must be refused; the hash table is never touched
// (the tests point the sysfs root at a temporary tree).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <map>
#include <optional>

#include "dataplane/node/conntrack_sysctls.h"
#include "dataplane/node/int_file.h"
#include "tests/kernel/conntrack_fixture.h"
#include "tests/unit/node/temp_tree.h"

namespace kpx::testing {
namespace {

using namespace std::chrono_literals;
using node::Outcome;
using node::SettingResult;

const std::filesystem::path kNetfilter = "/proc/sys/net/netfilter";
const char* const kPerNamespace[] = {
    "nf_conntrack_tcp_timeout_established", "nf_conntrack_tcp_timeout_close_wait",
    "nf_conntrack_tcp_be_liberal", "nf_conntrack_udp_timeout", "nf_conntrack_udp_timeout_stream"};

std::map<std::string, std::optional<int64_t>> readPerNamespace() {
  std::map<std::string, std::optional<int64_t>> out;
  for (const char* name : kPerNamespace) {
    auto value = node::readIntFile(kNetfilter / name);
    out[name] = value ? std::optional<int64_t>(*value) : std::nullopt;
  }
  return out;
}

bool sameNetns(const char* a, const char* b) {
  struct stat sa {};
  struct stat sb {};
  return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev;
}

class NodeSysctlsKernelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)";
    if (!haveExecutable("ip")) GTEST_SKIP() << "needs `ip` on PATH";
    hostBefore_ = readPerNamespace();  // read only: the host's values are never written
    auto ns = ScratchNetns::create("kpxn");
    ASSERT_TRUE(ns) << ns.error();
    ns_.emplace(std::move(*ns));
    // Belt and braces on top of ScratchNetns' own check: what follows writes sysctls.
    ASSERT_FALSE(sameNetns("/proc/thread-self/ns/net", "/proc/1/ns/net"))
        << "still in the initial network namespace";
    ensureConntrack();
  }

  // The sysctls exist once nf_conntrack is loaded; a ctnetlink request loads it (and
  // nf_conntrack_netlink) on demand, as in the conntrack kernel tests.
  void ensureConntrack() {
    if (std::filesystem::exists(kNetfilter / "nf_conntrack_tcp_be_liberal")) return;
    auto table = conntrack::ConntrackTable::open();
    ASSERT_TRUE(table) << table.error().str();
    const ConntrackFilter nothing{.family = IPFamily::V4,
                                  .protocol = Protocol::UDP,
                                  .origDst = *IPAddr::parse("192.0.2.1"),
                                  .origDstPort = 1,
                                  .replySrc = std::nullopt};
    (void)table->deleteMatching({nothing});
    if (!std::filesystem::exists(kNetfilter / "nf_conntrack_tcp_be_liberal"))
      GTEST_SKIP() << "no nf_conntrack in this kernel";
  }

  std::map<std::string, std::optional<int64_t>> hostBefore_;
  std::optional<ScratchNetns> ns_;
  node::testing::TempTree fakeSys_;  // the sysfs root the code sees: never the real /sys
};

TEST_F(NodeSysctlsKernelTest, TimeoutsAndBeLiberalAreSetInTheNamespaceAndReadBack) {
  // Values no kernel has by default, so that every one is a write.
  const ConntrackConfig config{.maxPerCore = 0,
                               .min = 0,
                               .tcpEstablishedTimeout = 2h,
                               .tcpCloseWaitTimeout = 30min,
                               .tcpBeLiberal = true,
                               .udpTimeout = 45s,
                               .udpStreamTimeout = 150s};
  const node::ConntrackPaths paths{.procSys = "/proc/sys", .sys = fakeSys_.root()};
  const std::vector<SettingResult> results = node::applyConntrackSysctls(config, paths);
  ASSERT_EQ(results.size(), 5u);
  for (const SettingResult& r : results) EXPECT_EQ(r.outcome, Outcome::Applied) << r.str();

  const std::map<std::string, std::optional<int64_t>> want = {
      {"nf_conntrack_tcp_timeout_established", 7200},
      {"nf_conntrack_tcp_timeout_close_wait", 1800},
      {"nf_conntrack_tcp_be_liberal", 1},
      {"nf_conntrack_udp_timeout", 45},
      {"nf_conntrack_udp_timeout_stream", 150}};
  EXPECT_EQ(readPerNamespace(), want);

  // Run again (a restart): the kernel already holds every value, nothing is written.
  for (const SettingResult& r : node::applyConntrackSysctls(config, paths))
    EXPECT_EQ(r.outcome, Outcome::Unchanged) << r.str();

  // Back in the host's namespace its values are as they were.
  ns_.reset();
  const auto hostAfter = readPerNamespace();
  for (const auto& [name, value] : hostBefore_) {
    if (value) {
      EXPECT_EQ(hostAfter.at(name), value) << name;
    }
  }
}

TEST_F(NodeSysctlsKernelTest, NfConntrackMaxIsRefusedOutsideTheHostNamespace) {
  const auto current = node::readIntFile(kNetfilter / "nf_conntrack_max");
  ASSERT_TRUE(current) << current.error().str();
  fakeSys_.put("devices/system/cpu/online", "0\n");
  fakeSys_.put("module/nf_conntrack/parameters/hashsize", "1\n");
  // One CPU x 1 per core, floored at min: exactly a value the kernel does not have.
  const ConntrackConfig config{.maxPerCore = 1,
                               .min = static_cast<int32_t>(*current + 4),
                               .tcpEstablishedTimeout = Duration::zero(),
                               .tcpCloseWaitTimeout = Duration::zero(),
                               .tcpBeLiberal = false,
                               .udpTimeout = Duration::zero(),
                               .udpStreamTimeout = Duration::zero()};
  const std::vector<SettingResult> results =
      node::applyConntrackSysctls(config, {.procSys = "/proc/sys", .sys = fakeSys_.root()});
  ASSERT_FALSE(results.empty());
  EXPECT_EQ(results[0].name, "net/netfilter/nf_conntrack_max");
  EXPECT_EQ(results[0].wanted, *current + 4);
  RecordProperty("nf_conntrack_max", results[0].str());  // which kernel behaviour this was
  if (results[0].outcome == Outcome::Failed) {
    EXPECT_EQ(results[0].errnum, EACCES) << results[0].str();
    EXPECT_NE(results[0].reason.find("read-only outside the host network namespace"),
              std::string::npos)
        << results[0].reason;
    EXPECT_EQ(results.size(), 1u) << "no hash table step after a refused max";
    EXPECT_EQ(fakeSys_.get("module/nf_conntrack/parameters/hashsize"), "1\n");
    EXPECT_EQ(node::readIntFile(kNetfilter / "nf_conntrack_max"), *current);
  } else {
    // A kernel whose nf_conntrack_max is per namespace: then it took the value here, and the
    // hash table step ran against the temporary tree only.
    EXPECT_EQ(results[0].outcome, Outcome::Applied) << results[0].str();
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(results[1].name,
              (fakeSys_.root() / "module/nf_conntrack/parameters/hashsize").string());
  }
}

}  // namespace
}  // namespace kpx::testing
