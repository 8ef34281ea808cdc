// KubeProxyConfiguration -> AgentConfig: real files as kubeadm and kind write them, partial
// ones, the mode deciding which section applies, defaults, warnings and errors.
#include "watch/kube_proxy_config.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "watch_test_util.h"

namespace kpx::watch {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

KubeProxyConfigFile parseOk(std::string_view text) {
  auto parsed = parseKubeProxyConfiguration(text);
  EXPECT_TRUE(parsed) << parsed.error();
  return parsed ? *parsed : KubeProxyConfigFile{};
}

std::string parseError(std::string_view text) {
  auto parsed = parseKubeProxyConfiguration(text);
  EXPECT_FALSE(parsed) << "parsed, but should not have:\n" << text;
  return parsed ? std::string() : parsed.error();
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// The warning about `path`, or "" when there is none.
std::string warningAbout(const KubeProxyConfigFile& file, std::string_view path) {
  for (const std::string& w : file.warnings)
    if (w.starts_with(std::string(path) + ":")) return w;
  return "";
}

const std::string kHeader =
    "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n";

// `kubectl -n kube-system get cm kube-proxy -o jsonpath='{.data.config\.conf}'` on a kubeadm
// 1.31 cluster created with podSubnet 10.244.0.0/16: every field spelled out, most at zero.
const char* const kKubeadmConfig = R"(apiVersion: kubeproxy.config.k8s.io/v1alpha1
bindAddress: 0.0.0.0
bindAddressHardFail: false
clientConnection:
  acceptContentTypes: ""
  burst: 0
  contentType: ""
  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
  qps: 0
clusterCIDR: 10.244.0.0/16
configSyncPeriod: 0s
conntrack:
  maxPerCore: null
  min: null
  tcpBeLiberal: false
  tcpCloseWaitTimeout: null
  tcpEstablishedTimeout: null
  udpStreamTimeout: 0s
  udpTimeout: 0s
detectLocal:
  bridgeInterface: ""
  interfaceNamePrefix: ""
detectLocalMode: ""
enableProfiling: false
healthzBindAddress: ""
hostnameOverride: ""
iptables:
  localhostNodePorts: null
  masqueradeAll: false
  masqueradeBit: null
  minSyncPeriod: 0s
  syncPeriod: 0s
ipvs:
  excludeCIDRs: null
  minSyncPeriod: 0s
  scheduler: ""
  strictARP: false
  syncPeriod: 0s
  tcpFinTimeout: 0s
  tcpTimeout: 0s
  udpTimeout: 0s
kind: KubeProxyConfiguration
logging:
  flushFrequency: 0
  options:
    json:
      infoBufferSize: "0"
    text:
      infoBufferSize: "0"
  verbosity: 0
metricsBindAddress: ""
mode: ""
nftables:
  masqueradeAll: false
  masqueradeBit: null
  minSyncPeriod: 0s
  syncPeriod: 0s
nodePortAddresses: null
oomScoreAdj: null
portRange: ""
showHiddenMetricsForVersion: ""
winkernel:
  enableDSR: false
  forwardHealthCheckVip: false
  networkName: ""
  rootHnsEndpointName: ""
  sourceVip: ""
)";

TEST(KubeProxyConfig, KubeadmConfigTakesKubeProxysDefaults) {
  const KubeProxyConfigFile file = parseOk(kKubeadmConfig);
  const AgentConfig& c = file.config;
  EXPECT_EQ(c.mode, ProxyMode::NFTables);  // "" is kpx's default backend
  EXPECT_EQ(c.minSyncPeriod, seconds(1));
  EXPECT_EQ(c.syncPeriod, seconds(30));
  EXPECT_EQ(c.healthzBindAddress, "0.0.0.0:10256");
  EXPECT_EQ(c.metricsBindAddress, "127.0.0.1:10249");
  EXPECT_EQ(c.kubeconfig, "/var/lib/kube-proxy/kubeconfig.conf");
  ASSERT_EQ(c.proxy.clusterCIDRs.size(), 1u);
  EXPECT_EQ(c.proxy.clusterCIDRs[0].str(), "10.244.0.0/16");
  EXPECT_EQ(c.proxy.detectLocalMode, LocalDetectMode::ClusterCIDR);
  EXPECT_FALSE(c.proxy.masqueradeAll);
  EXPECT_EQ(c.proxy.masqueradeBit, 14);
  EXPECT_TRUE(c.proxy.nodePortAddresses.empty());
  EXPECT_EQ(c.hostnameOverride, "");
  EXPECT_EQ(c.conntrack.maxPerCore, 32768);
  EXPECT_EQ(c.conntrack.min, 131072);
  EXPECT_EQ(c.conntrack.tcpEstablishedTimeout, hours(24));
  EXPECT_EQ(c.conntrack.tcpCloseWaitTimeout, hours(1));
  EXPECT_EQ(c.conntrack.udpTimeout, Duration::zero());
  EXPECT_EQ(c.configSyncPeriod, minutes(15));
  EXPECT_EQ(c.oomScoreAdj, -999);
  EXPECT_TRUE(c.localhostNodePorts);
  // Only the empty mode is worth a word: every other field is at its zero value.
  ASSERT_EQ(file.warnings.size(), 1u) << joined(file.warnings);
  EXPECT_TRUE(file.warnings[0].starts_with("mode: empty")) << file.warnings[0];
}

TEST(KubeProxyConfig, KubeadmConfigMapAsKubectlPrintsIt) {
  std::string configMap =
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kube-proxy\n  namespace: kube-system\n"
      "  labels:\n    app: kube-proxy\ndata:\n  config.conf: |-\n";
  std::string text = kKubeadmConfig;
  for (size_t start = 0; start < text.size();) {
    const size_t end = text.find('\n', start);
    configMap += "    " + text.substr(start, end - start) + "\n";
    start = end + 1;
  }
  configMap +=
      "  kubeconfig.conf: |-\n    apiVersion: v1\n    kind: Config\n    clusters:\n    - cluster:\n"
      "        server: https://192.168.1.10:6443\n      name: default\n";
  const KubeProxyConfigFile file = parseOk(configMap);
  EXPECT_EQ(file.config.kubeconfig, "/var/lib/kube-proxy/kubeconfig.conf");
  EXPECT_EQ(file.config.proxy.clusterCIDRs.at(0).str(), "10.244.0.0/16");
}

// kind writes this document into its kubeadm config (pkg/cluster/internal/kubeadm/config.go),
// among the ClusterConfiguration, InitConfiguration and KubeletConfiguration documents.
TEST(KubeProxyConfig, KindsKubeadmConfigFile) {
  const char* text = R"(apiVersion: kubeadm.k8s.io/v1beta3
kind: ClusterConfiguration
kubernetesVersion: v1.31.0
networking:
  podSubnet: 10.244.0.0/16
  serviceSubnet: 10.96.0.0/16
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: systemd
---
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
metadata:
  name: config
mode: "nftables"
featureGates:
  "AllAlpha": false
iptables:
  minSyncPeriod: 1s
conntrack:
# Skip setting sysctl value "net.netfilter.nf_conntrack_max"
# It is a global variable that affects other namespaces
  maxPerCore: 0
# Set sysctl value "net.netfilter.nf_conntrack_tcp_be_liberal"
# for nftables proxy (theoretically for kernels older than 6.1)
# xref: https://github.com/kubernetes/kubernetes/issues/117924
  tcpBeLiberal: true
)";
  const KubeProxyConfigFile file = parseOk(text);
  const AgentConfig& c = file.config;
  EXPECT_EQ(c.mode, ProxyMode::NFTables);
  EXPECT_EQ(c.minSyncPeriod, seconds(1));
  EXPECT_EQ(c.syncPeriod, seconds(30));
  EXPECT_EQ(c.conntrack.maxPerCore, 0);  // leave nf_conntrack_max alone
  EXPECT_EQ(c.conntrack.min, 131072);
  EXPECT_TRUE(c.conntrack.tcpBeLiberal);
  EXPECT_NE(warningAbout(file, "metadata"), "") << joined(file.warnings);
  EXPECT_NE(warningAbout(file, "featureGates[AllAlpha]"), "") << joined(file.warnings);
  EXPECT_NE(warningAbout(file, "document 1"), "") << joined(file.warnings);
  EXPECT_NE(warningAbout(file, "document 2"), "") << joined(file.warnings);
  EXPECT_EQ(warningAbout(file, "iptables.minSyncPeriod"), "") << "1s is the default anyway";
}

TEST(KubeProxyConfig, JsonIsAcceptedToo) {
  const KubeProxyConfigFile file = parseOk(R"({
    "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
    "kind": "KubeProxyConfiguration",
    "mode": "nftables",
    "nftables": {"minSyncPeriod": "250ms", "syncPeriod": "1m30s", "masqueradeAll": true},
    "clusterCIDR": "10.244.0.0/16,fd00:10:244::/56"
  })");
  EXPECT_EQ(file.config.minSyncPeriod, milliseconds(250));
  EXPECT_EQ(file.config.syncPeriod, seconds(90));
  EXPECT_TRUE(file.config.proxy.masqueradeAll);
  ASSERT_EQ(file.config.proxy.clusterCIDRs.size(), 2u);
  EXPECT_EQ(file.config.proxy.clusterCIDRs[1].family(), IPFamily::V6);
  EXPECT_TRUE(file.warnings.empty()) << joined(file.warnings);
}

TEST(KubeProxyConfig, PartialConfigKeepsEveryOtherDefault) {
  const KubeProxyConfigFile file =
      parseOk(kHeader + "mode: nftables\nhostnameOverride: \" Node-1 \"\n");
  const AgentConfig& c = file.config;
  const AgentConfig defaults;
  EXPECT_EQ(c.hostnameOverride, "node-1");  // trimmed and lowercased, as kube-proxy does
  EXPECT_EQ(c.proxy.nodeName, "node-1");
  EXPECT_EQ(c.minSyncPeriod, defaults.minSyncPeriod);
  EXPECT_EQ(c.syncPeriod, defaults.syncPeriod);
  EXPECT_EQ(c.healthzBindAddress, defaults.healthzBindAddress);
  EXPECT_EQ(c.metricsBindAddress, defaults.metricsBindAddress);
  EXPECT_EQ(c.proxy.masqueradeBit, defaults.proxy.masqueradeBit);
  EXPECT_TRUE(c.proxy.clusterCIDRs.empty());
  EXPECT_TRUE(file.warnings.empty()) << joined(file.warnings);
}

// Which section's periods and masquerade settings apply follows the mode, as kube-proxy's
// conversion does: periods from the mode's section, masquerade from nftables in nftables mode
// and from iptables otherwise.
struct ModeCase {
  const char* mode;
  ProxyMode expected;
  Duration minSync;
  Duration sync;
  bool masqueradeAll;
  uint8_t masqueradeBit;
};

class SectionByMode : public ::testing::TestWithParam<ModeCase> {};

TEST_P(SectionByMode, PicksTheModesSettings) {
  const std::string sections =
      "iptables:\n  minSyncPeriod: 2s\n  syncPeriod: 20s\n  masqueradeAll: true\n"
      "  masqueradeBit: 10\n"
      "ipvs:\n  minSyncPeriod: 3s\n  syncPeriod: 40s\n  scheduler: rr\n"
      "nftables:\n  minSyncPeriod: 4s\n  syncPeriod: 50s\n  masqueradeAll: false\n"
      "  masqueradeBit: 12\n";
  const KubeProxyConfigFile file =
      parseOk(kHeader + "mode: \"" + GetParam().mode + "\"\n" + sections);
  EXPECT_EQ(file.config.mode, GetParam().expected);
  EXPECT_EQ(file.config.minSyncPeriod, GetParam().minSync);
  EXPECT_EQ(file.config.syncPeriod, GetParam().sync);
  EXPECT_EQ(file.config.proxy.masqueradeAll, GetParam().masqueradeAll);
  EXPECT_EQ(file.config.proxy.masqueradeBit, GetParam().masqueradeBit);
  // The settings of the sections not read are named in warnings.
  EXPECT_FALSE(file.warnings.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Modes, SectionByMode,
    ::testing::Values(ModeCase{"nftables", ProxyMode::NFTables, seconds(4), seconds(50), false, 12},
                      ModeCase{"iptables", ProxyMode::IPTables, seconds(2), seconds(20), true, 10},
                      ModeCase{"ipvs", ProxyMode::IPVS, seconds(3), seconds(40), true, 10},
                      ModeCase{"", ProxyMode::NFTables, seconds(2), seconds(20), true, 10}));

TEST(KubeProxyConfig, SettingsOfAnotherModesSectionAreNamed) {
  const KubeProxyConfigFile file =
      parseOk(kHeader + "mode: nftables\niptables:\n  masqueradeAll: true\n  syncPeriod: 1m\n");
  EXPECT_FALSE(file.config.proxy.masqueradeAll);
  EXPECT_EQ(file.config.syncPeriod, seconds(30));
  EXPECT_NE(warningAbout(file, "iptables.masqueradeAll").find("nftables.masqueradeAll"),
            std::string::npos)
      << joined(file.warnings);
  EXPECT_NE(warningAbout(file, "iptables.syncPeriod"), "") << joined(file.warnings);
}

TEST(KubeProxyConfig, IpvsKeepsAZeroMinSyncPeriodAndReadsItsSection) {
  const KubeProxyConfigFile file =
      parseOk(kHeader +
              "mode: ipvs\nipvs:\n  scheduler: mh\n  strictARP: true\n  tcpTimeout: 15m\n"
              "  excludeCIDRs: [10.0.0.0/8]\n");
  EXPECT_EQ(file.config.minSyncPeriod, Duration::zero());  // kube-proxy never defaults it
  EXPECT_EQ(file.config.syncPeriod, seconds(30));
  EXPECT_EQ(file.config.ipvs.scheduler, "mh");
  EXPECT_TRUE(file.config.ipvs.strictARP);
  EXPECT_EQ(file.config.ipvs.tcpTimeout, minutes(15));
  EXPECT_EQ(file.config.ipvs.excludeCIDRs, std::vector<std::string>{"10.0.0.0/8"});
}

TEST(KubeProxyConfig, AddressesAndDetectLocal) {
  const KubeProxyConfigFile file = parseOk(
      kHeader +
      "healthzBindAddress: 10.0.0.5\nmetricsBindAddress: 0.0.0.0:9100\n"
      "detectLocalMode: InterfaceNamePrefix\ndetectLocal:\n  interfaceNamePrefix: veth\n"
      "nodePortAddresses: [primary, 192.168.0.0/16]\nconntrack:\n  tcpEstablishedTimeout: 0s\n"
      "  udpTimeout: 30s\n");
  EXPECT_EQ(file.config.healthzBindAddress, "10.0.0.5:10256");  // the default port appended
  EXPECT_EQ(file.config.metricsBindAddress, "0.0.0.0:9100");
  EXPECT_EQ(file.config.proxy.detectLocalMode, LocalDetectMode::InterfaceNamePrefix);
  EXPECT_EQ(file.config.proxy.interfaceNamePrefix, "veth");
  EXPECT_EQ(file.config.proxy.nodePortAddresses,
            (std::vector<std::string>{"primary", "192.168.0.0/16"}));
  EXPECT_EQ(file.config.conntrack.tcpEstablishedTimeout, Duration::zero());  // leave it alone
  EXPECT_EQ(file.config.conntrack.udpTimeout, seconds(30));
}

TEST(KubeProxyConfig, IPv6BindAddressMovesTheDefaultListeners) {
  const KubeProxyConfigFile file = parseOk(kHeader + "bindAddress: \"::\"\n");
  EXPECT_EQ(file.config.healthzBindAddress, "[::]:10256");
  EXPECT_EQ(file.config.metricsBindAddress, "[::1]:10249");
  EXPECT_EQ(parseOk(kHeader + "healthzBindAddress: \"fd00::1\"\n").config.healthzBindAddress,
            "[fd00::1]:10256");
}

TEST(KubeProxyConfig, UnknownAndUnsupportedFieldsWarnAndTheRestApplies) {
  const KubeProxyConfigFile file =
      parseOk(kHeader +
              "mode: nftables\nminSyncPeriod: 5s\nudpIdleTimeout: 250ms\nenableProfiling: true\n"
              "iptables:\n  snatNodeInternalIP: true\nnftables:\n  syncPeriod: 45s\n  bogus: 1\n"
              "clientConnection:\n  qps: 50\n  burst: 10\n  kubeconfig: /k\n"
              "winkernel:\n  networkName: vxlan0\n");
  EXPECT_EQ(file.config.syncPeriod, seconds(45));
  EXPECT_EQ(file.config.kubeconfig, "/k");
  for (const char* path :
       {"minSyncPeriod", "udpIdleTimeout", "enableProfiling", "iptables.snatNodeInternalIP",
        "nftables.bogus", "clientConnection.qps", "winkernel"})
    EXPECT_NE(warningAbout(file, path), "") << path << " in\n" << joined(file.warnings);
  EXPECT_NE(warningAbout(file, "minSyncPeriod").find("unknown field"), std::string::npos);
  EXPECT_NE(warningAbout(file, "enableProfiling").find("not supported"), std::string::npos);
  // burst 10 is kube-proxy's default: nothing to say.
  EXPECT_EQ(warningAbout(file, "clientConnection.burst"), "") << joined(file.warnings);
  EXPECT_EQ(file.warnings.size(), 7u) << joined(file.warnings);
}

struct BadCase {
  const char* name;
  std::string body;
  const char* field;    // the error starts with it
  const char* mention;  // and mentions this
};

class BadConfig : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadConfig, FailsNamingTheField) {
  const std::string error = parseError(kHeader + GetParam().body);
  EXPECT_TRUE(error.starts_with(std::string(GetParam().field) + ": ")) << error;
  EXPECT_NE(error.find(GetParam().mention), std::string::npos) << error;
}

INSTANTIATE_TEST_SUITE_P(
    Errors, BadConfig,
    ::testing::Values(
        BadCase{"UnparsableDuration", "iptables:\n  syncPeriod: 30 s\n", "iptables.syncPeriod",
                "time: unknown unit \" s\" in duration \"30 s\""},
        BadCase{"DurationWithoutUnit", "nftables:\n  minSyncPeriod: \"5\"\n",
                "nftables.minSyncPeriod", "missing unit"},
        BadCase{"DurationAsNumber", "nftables:\n  syncPeriod: 30\n", "nftables.syncPeriod",
                "must be a duration string"},
        BadCase{"BadDurationInAnotherModesSection", "mode: nftables\nipvs:\n  syncPeriod: 1d\n",
                "ipvs.syncPeriod", "unknown unit \"d\""},
        BadCase{"ConntrackDuration", "conntrack:\n  tcpCloseWaitTimeout: forever\n",
                "conntrack.tcpCloseWaitTimeout", "invalid duration"},
        BadCase{"WrongTypeBool", "iptables:\n  masqueradeAll: \"yes\"\n", "iptables.masqueradeAll",
                "must be a boolean"},
        BadCase{"WrongTypeString", "hostnameOverride: 42\n", "hostnameOverride",
                "must be a string"},
        BadCase{"WrongTypeSection", "nftables: fast\n", "nftables", "must be an object"},
        BadCase{"WrongTypeList", "nodePortAddresses: 10.0.0.0/8\n", "nodePortAddresses",
                "must be a list"},
        BadCase{"MasqueradeBitRange", "iptables:\n  masqueradeBit: 32\n", "iptables.masqueradeBit",
                "[0, 31]"},
        BadCase{"UnknownMode", "mode: userspace\n", "mode", "userspace"},
        BadCase{"NegativeMinSync", "mode: nftables\nnftables:\n  minSyncPeriod: -1s\n",
                "nftables.minSyncPeriod", "greater than or equal to 0"},
        BadCase{"MinSyncAboveSync",
                "mode: nftables\nnftables:\n  minSyncPeriod: 1m\n  syncPeriod: 30s\n",
                "nftables.syncPeriod", "minSyncPeriod"},
        BadCase{"ClusterCIDR", "clusterCIDR: 10.244.0.0/16,10.245.0.0/16\n", "clusterCIDR",
                "one CIDR per IP family"},
        BadCase{"ClusterCIDRNotACIDR", "clusterCIDR: 10.244.0.0\n", "clusterCIDR", "not a CIDR"},
        BadCase{"DetectLocalMode", "detectLocalMode: Magic\n", "detectLocalMode", "Magic"},
        BadCase{"BridgeWithoutInterface", "detectLocalMode: BridgeInterface\n",
                "detectLocal.bridgeInterface", "must be set"},
        BadCase{"NodePortAddress", "nodePortAddresses: [eth0]\n", "nodePortAddresses[0]", "eth0"},
        BadCase{"HealthzPort", "healthzBindAddress: 0.0.0.0:99999\n", "healthzBindAddress",
                "99999"},
        BadCase{"MetricsHost", "metricsBindAddress: localhost:10249\n", "metricsBindAddress",
                "not an IP address"},
        BadCase{"BindAddress", "bindAddress: my-node\n", "bindAddress", "must be an IP"},
        BadCase{"Scheduler", "mode: ipvs\nipvs:\n  scheduler: fastest\n", "ipvs.scheduler",
                "fastest"},
        BadCase{"ConntrackNegative", "conntrack:\n  maxPerCore: -1\n", "conntrack.maxPerCore",
                "greater than or equal to 0"},
        BadCase{"OomScoreAdj", "oomScoreAdj: -1001\n", "oomScoreAdj", "[-1000, 1000]"}),
    [](const ::testing::TestParamInfo<BadCase>& info) { return info.param.name; });

TEST(KubeProxyConfig, EveryErrorIsReportedAtOnce) {
  const std::string error =
      parseError(kHeader + "mode: nftables\nnftables:\n  syncPeriod: x\nhostnameOverride: 1\n");
  EXPECT_NE(error.find("nftables.syncPeriod: "), std::string::npos) << error;
  EXPECT_NE(error.find("hostnameOverride: "), std::string::npos) << error;
}

TEST(KubeProxyConfig, NotAKubeProxyConfiguration) {
  EXPECT_NE(parseError("apiVersion: v1\nkind: Service\nmetadata: {name: x}\n").find("kind"),
            std::string::npos);
  EXPECT_NE(parseError("apiVersion: kubeproxy.config.k8s.io/v1beta9\n"
                       "kind: KubeProxyConfiguration\n")
                .find("apiVersion: \"kubeproxy.config.k8s.io/v1beta9\""),
            std::string::npos);
  EXPECT_NE(
      parseError("kind: KubeProxyConfiguration\nmode: nftables\n").find("apiVersion: missing"),
      std::string::npos);
  EXPECT_NE(parseError(kHeader + "mode: [unclosed\n").find("YAML syntax error"), std::string::npos);
  EXPECT_NE(parseError("{\"kind\": \"KubeProxyConfiguration\",").find("JSON syntax error"),
            std::string::npos);
  EXPECT_NE(
      parseError("apiVersion: v1\nkind: ConfigMap\ndata:\n  other.conf: x\n").find("config.conf"),
      std::string::npos);
  EXPECT_NE(parseError("").find("no KubeProxyConfiguration"), std::string::npos);
}

TEST(KubeProxyConfig, LoadNamesTheFile) {
  testing::TempDir dir;
  const auto file = dir.write("kube-proxy.yaml", kHeader + "mode: iptables\n");
  auto loaded = loadKubeProxyConfiguration(file);
  ASSERT_TRUE(loaded) << loaded.error();
  EXPECT_EQ(loaded->config.mode, ProxyMode::IPTables);

  const auto bad = dir.write("bad.yaml", kHeader + "iptables:\n  syncPeriod: soon\n");
  auto failed = loadKubeProxyConfiguration(bad);
  ASSERT_FALSE(failed);
  EXPECT_TRUE(failed.error().starts_with(bad.string() + ": iptables.syncPeriod: "))
      << failed.error();

  auto missing = loadKubeProxyConfiguration(dir.path() / "missing.yaml");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("No such file"), std::string::npos) << missing.error();
}

TEST(KubeProxyConfig, AddressHelpers) {
  EXPECT_EQ(appendPortIfNeeded("10.0.0.1", 10256), "10.0.0.1:10256");
  EXPECT_EQ(appendPortIfNeeded("::1", 10249), "[::1]:10249");
  EXPECT_EQ(appendPortIfNeeded("10.0.0.1:80", 10256), "10.0.0.1:80");
  EXPECT_EQ(appendPortIfNeeded("[::1]:80", 10256), "[::1]:80");
  EXPECT_EQ(appendPortIfNeeded("host", 10256), "host");
  EXPECT_EQ(hostPortProblem("0.0.0.0:10256"), "");
  EXPECT_EQ(hostPortProblem("[::]:10256"), "");
  EXPECT_NE(hostPortProblem("0.0.0.0"), "");
  EXPECT_NE(hostPortProblem("::1:80"), "");
  EXPECT_NE(hostPortProblem("0.0.0.0:0"), "");
  EXPECT_NE(hostPortProblem("[::1]"), "");
}

// Fuzzing regression: 4E400 is nlohmann's out_of_range; an error, not an abort.
TEST(KubeProxyConfig, ANumberTooLargeForADoubleIsAnError) {
  EXPECT_NE(parseError(R"({"kind": "KubeProxyConfiguration", "oomScoreAdj": 4E400})").find("JSON"),
            std::string::npos);
}

}  // namespace
}  // namespace kpx::watch
