// The shared state/agent flags and --config: a flag given explicitly wins over the file, the
// file over the defaults; bad values name their flag. Parsed through CLI11 as `kpx run` is.
#include "proxy/cmd/state_options.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace kpx::cmd {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A config file in a fresh temporary directory, removed at the end of the test.
class ConfigFile {
 public:
  explicit ConfigFile(const std::string& body) {
    std::string pattern = (std::filesystem::temp_directory_path() / "kpx-opts-XXXXXX").string();
    dir_ = mkdtemp(pattern.data()) ? pattern : std::string();
    path_ = dir_ / "kube-proxy.yaml";
    std::ofstream(path_) << "apiVersion: kubeproxy.config.k8s.io/v1alpha1\n"
                            "kind: KubeProxyConfiguration\n"
                         << body;
  }
  ~ConfigFile() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path dir_;
  std::filesystem::path path_;
};

// `kpx run <args>`: the options as main() declares them, parsed, then merged.
tl::expected<AgentConfig, std::string> run(const std::string& args,
                                           std::vector<std::string>* warnings = nullptr) {
  CLI::App app("test");
  StateOptions options;
  std::string mode = "nftables";
  app.add_option("--mode", mode);
  addStateOptions(app, options);
  addAgentOptions(app, options);
  app.parse(args, false);
  if (app.count("--mode") > 0) options.mode = mode;
  return toAgentConfig(options, warnings);
}

AgentConfig runOk(const std::string& args) {
  auto config = run(args);
  EXPECT_TRUE(config) << args << ": " << config.error();
  return config ? *config : AgentConfig{};
}

std::string runError(const std::string& args) {
  auto config = run(args);
  EXPECT_FALSE(config) << args;
  return config ? std::string() : config.error();
}

class StateOptionsTest : public ::testing::Test {
 protected:
  void SetUp() override { setenv("NODE_NAME", "env-node", 1); }
  void TearDown() override { unsetenv("NODE_NAME"); }
};

TEST_F(StateOptionsTest, DefaultsWithoutConfigOrFlags) {
  const AgentConfig c = runOk("");
  const AgentConfig defaults;
  EXPECT_EQ(c.mode, ProxyMode::NFTables);
  EXPECT_EQ(c.proxy.nodeName, "env-node");
  EXPECT_EQ(c.minSyncPeriod, seconds(1));
  EXPECT_EQ(c.syncPeriod, seconds(30));
  EXPECT_EQ(c.healthzBindAddress, "0.0.0.0:10256");
  EXPECT_EQ(c.metricsBindAddress, "127.0.0.1:10249");
  EXPECT_FALSE(c.proxy.masqueradeAll);
  EXPECT_TRUE(c.proxy.clusterCIDRs.empty());
  EXPECT_EQ(c.kubeconfig, "");
}

const char* const kFileBody =
    "mode: nftables\nhostnameOverride: file-node\nclusterCIDR: 10.244.0.0/16\n"
    "nodePortAddresses: [192.168.0.0/16]\n"
    "nftables:\n  minSyncPeriod: 2s\n  syncPeriod: 1m\n  masqueradeAll: true\n"
    "healthzBindAddress: 10.0.0.1:1234\nmetricsBindAddress: 0.0.0.0\n"
    "clientConnection:\n  kubeconfig: /etc/kp/kubeconfig\n";

TEST_F(StateOptionsTest, TheFileAppliesWhereNoFlagIsGiven) {
  ConfigFile file(kFileBody);
  const AgentConfig c = runOk("--config " + file.path());
  EXPECT_EQ(c.proxy.nodeName, "file-node");
  EXPECT_EQ(c.proxy.clusterCIDRs.at(0).str(), "10.244.0.0/16");
  EXPECT_EQ(c.proxy.nodePortAddresses, std::vector<std::string>{"192.168.0.0/16"});
  EXPECT_EQ(c.minSyncPeriod, seconds(2));
  EXPECT_EQ(c.syncPeriod, seconds(60));
  EXPECT_TRUE(c.proxy.masqueradeAll);
  EXPECT_EQ(c.healthzBindAddress, "10.0.0.1:1234");
  EXPECT_EQ(c.metricsBindAddress, "0.0.0.0:10249");
  EXPECT_EQ(c.kubeconfig, "/etc/kp/kubeconfig");
}

TEST_F(StateOptionsTest, FlagsGivenWinOverTheFile) {
  ConfigFile file(kFileBody);
  const AgentConfig c =
      runOk("--config " + file.path() +
            " --node-name Flag-Node --cluster-cidr 10.1.0.0/16,fd00::/64 --masquerade-all=false"
            " --nodeport-addresses primary --min-sync-period 250ms --sync-period 45s"
            " --healthz-bind-address 127.0.0.1 --metrics-bind-address [::1]:9000"
            " --kubeconfig /root/.kube/config --master https://10.0.0.1:6443 --mode iptables");
  EXPECT_EQ(c.proxy.nodeName, "flag-node");
  ASSERT_EQ(c.proxy.clusterCIDRs.size(), 2u);
  EXPECT_EQ(c.proxy.clusterCIDRs[1].str(), "fd00::/64");
  EXPECT_FALSE(c.proxy.masqueradeAll);
  EXPECT_EQ(c.proxy.nodePortAddresses, std::vector<std::string>{"primary"});
  EXPECT_EQ(c.minSyncPeriod, milliseconds(250));
  EXPECT_EQ(c.syncPeriod, seconds(45));
  EXPECT_EQ(c.healthzBindAddress, "127.0.0.1:10256");
  EXPECT_EQ(c.metricsBindAddress, "[::1]:9000");
  EXPECT_EQ(c.kubeconfig, "/root/.kube/config");
  EXPECT_EQ(c.master, "https://10.0.0.1:6443");
  EXPECT_EQ(c.mode, ProxyMode::IPTables);
}

TEST_F(StateOptionsTest, OneFlagOverridesOnlyItsOwnSetting) {
  ConfigFile file(kFileBody);
  const AgentConfig c = runOk("--config " + file.path() + " --sync-period 2m");
  EXPECT_EQ(c.syncPeriod, seconds(120));
  EXPECT_EQ(c.minSyncPeriod, seconds(2));  // still the file's
  EXPECT_TRUE(c.proxy.masqueradeAll);
  EXPECT_EQ(c.mode, ProxyMode::NFTables);
}

TEST_F(StateOptionsTest, MasqueradeAllFlagAloneTurnsItOn) {
  EXPECT_TRUE(runOk("--masquerade-all").proxy.masqueradeAll);
  EXPECT_FALSE(runOk("").proxy.masqueradeAll);
}

TEST_F(StateOptionsTest, HostnameOverrideIsAnAliasOfNodeName) {
  EXPECT_EQ(runOk("--hostname-override worker-7").proxy.nodeName, "worker-7");
}

TEST_F(StateOptionsTest, FileWarningsAreReturned) {
  ConfigFile file("mode: nftables\nbogusField: 1\n");
  std::vector<std::string> warnings;
  ASSERT_TRUE(run("--config " + file.path(), &warnings));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_TRUE(warnings[0].starts_with("bogusField: ")) << warnings[0];
}

struct BadFlag {
  const char* args;
  const char* error;  // the message starts with it
};

class StateOptionsBadFlag : public ::testing::TestWithParam<BadFlag> {};

TEST_P(StateOptionsBadFlag, NamesTheFlag) {
  const std::string error = runError(GetParam().args);
  EXPECT_TRUE(error.starts_with(GetParam().error)) << error;
}

INSTANTIATE_TEST_SUITE_P(
    Flags, StateOptionsBadFlag,
    ::testing::Values(
        BadFlag{"--min-sync-period 5", "--min-sync-period: time: missing unit in duration \"5\""},
        BadFlag{"--sync-period 1d", "--sync-period: time: unknown unit \"d\""},
        BadFlag{"--sync-period 0s", "--sync-period: 0s: must be greater than 0"},
        BadFlag{"--min-sync-period -1s", "--min-sync-period: -1s"},
        BadFlag{"--min-sync-period 1m --sync-period 30s", "--sync-period 30s must be"},
        BadFlag{"--healthz-bind-address myhost:10256", "--healthz-bind-address: \"myhost:10256\""},
        BadFlag{"--metrics-bind-address 0.0.0.0:70000", "--metrics-bind-address: "},
        BadFlag{"--cluster-cidr 10.0.0.1", "--cluster-cidr: \"10.0.0.1\" is not a CIDR"},
        BadFlag{"--cluster-cidr 10.0.0.0/8,11.0.0.0/8", "--cluster-cidr: more than one IPv4"},
        BadFlag{"--nodeport-addresses eth0", "--nodeport-addresses: \"eth0\""},
        BadFlag{"--config /nonexistent/kube-proxy.yaml",
                "--config /nonexistent/kube-proxy.yaml: No such file"}));

TEST_F(StateOptionsTest, ConfigErrorsNameTheFileAndField) {
  ConfigFile file("iptables:\n  syncPeriod: 30 seconds\n");
  const std::string error = runError("--config " + file.path());
  EXPECT_TRUE(error.starts_with("--config " + file.path() + ": iptables.syncPeriod: ")) << error;
}

TEST_F(StateOptionsTest, FlagsCanRepairTheFilesPeriods) {
  // Checked after merging: the flags' values are the ones that count.
  ConfigFile file("mode: nftables\nnftables:\n  minSyncPeriod: 10s\n  syncPeriod: 20s\n");
  const AgentConfig c =
      runOk("--config " + file.path() + " --min-sync-period 25s --sync-period 1m");
  EXPECT_EQ(c.minSyncPeriod, seconds(25));
  EXPECT_EQ(c.syncPeriod, seconds(60));
}

TEST_F(StateOptionsTest, ToProxyConfigIsTheAgentConfigsProxyPart) {
  StateOptions options;
  options.clusterCIDRs = std::vector<std::string>{"10.244.0.0/16"};
  options.nodeName = "n1";
  auto proxy = toProxyConfig(options);
  ASSERT_TRUE(proxy) << proxy.error();
  EXPECT_EQ(proxy->nodeName, "n1");
  EXPECT_EQ(proxy->clusterCIDRs.at(0).str(), "10.244.0.0/16");
}

}  // namespace
}  // namespace kpx::cmd
