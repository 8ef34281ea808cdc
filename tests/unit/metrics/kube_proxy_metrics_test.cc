#include "proxy/metrics/kube_proxy_metrics.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>

#include "proxy/metrics/buckets.h"

namespace kpx::metrics {
namespace {

// "# TYPE name type" lines of an exposition, as name -> type.
std::map<std::string, std::string> types(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("# TYPE ")) continue;
    std::istringstream words(line.substr(7));
    std::string name, type;
    words >> name >> type;
    out[name] = type;
  }
  return out;
}

bool has(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.starts_with(line + "\n");
}

// Touch every labelled family so that the exposition shows them all.
void touchAll(KubeProxyMetrics& m) {
  m.syncQueued(IPFamily::V4, 1);
  m.syncDuration(IPFamily::V4, true, 0.1);
  m.syncDuration(IPFamily::V4, false, 0.1);
  m.syncSucceeded(IPFamily::V4, 2);
  m.syncFailed(IPFamily::V4, ProxyMode::NFTables);
  m.syncFailed(IPFamily::V4, ProxyMode::IPTables);
  m.nftablesCleanupFailed(IPFamily::V4);
  m.iptablesPartialRestoreFailed(IPFamily::V4);
  m.iptablesRules(IPFamily::V4, "nat", 10, 2);
  m.networkProgrammed(IPFamily::V4, 1.5);
  m.noLocalEndpoints(IPFamily::V4, 0, 1);
  m.healthzServed(200);
  m.livezServed(200);
  m.invalidObject("Service");
}

const std::map<std::string, std::string> kCore = {
    {"kubeproxy_sync_proxy_rules_duration_seconds", "histogram"},
    {"kubeproxy_sync_full_proxy_rules_duration_seconds", "histogram"},
    {"kubeproxy_sync_partial_proxy_rules_duration_seconds", "histogram"},
    {"kubeproxy_network_programming_duration_seconds", "histogram"},
    {"kubeproxy_sync_proxy_rules_last_timestamp_seconds", "gauge"},
    {"kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds", "gauge"},
    {"kubeproxy_sync_proxy_rules_endpoint_changes_pending", "gauge"},
    {"kubeproxy_sync_proxy_rules_endpoint_changes_total", "counter"},
    {"kubeproxy_sync_proxy_rules_service_changes_pending", "gauge"},
    {"kubeproxy_sync_proxy_rules_service_changes_total", "counter"},
    {"kubeproxy_sync_proxy_rules_no_local_endpoints_total", "gauge"},
    {"kubeproxy_proxy_healthz_total", "counter"},
    {"kubeproxy_proxy_livez_total", "counter"},
    {"kpx_invalid_objects_total", "counter"},
};

TEST(KubeProxyMetrics, NFTablesModeRegistersUpstreamsSet) {
  KubeProxyMetrics m;
  Registry registry;
  ASSERT_TRUE(m.registerWith(registry, ProxyMode::NFTables));
  touchAll(m);
  auto want = kCore;
  want["kubeproxy_sync_proxy_rules_nftables_sync_failures_total"] = "counter";
  want["kubeproxy_sync_proxy_rules_nftables_cleanup_failures_total"] = "counter";
  EXPECT_EQ(types(registry.expose()), want);
}

TEST(KubeProxyMetrics, IPTablesAndIPVSModes) {
  KubeProxyMetrics m;
  Registry ipt;
  Registry ipvs;
  ASSERT_TRUE(m.registerWith(ipt, ProxyMode::IPTables));
  ASSERT_TRUE(m.registerWith(ipvs, ProxyMode::IPVS));
  touchAll(m);
  auto want = kCore;
  want["kubeproxy_sync_proxy_rules_iptables_restore_failures_total"] = "counter";
  auto wantIpvs = want;
  want["kubeproxy_sync_proxy_rules_iptables_partial_restore_failures_total"] = "counter";
  want["kubeproxy_sync_proxy_rules_iptables_total"] = "gauge";
  want["kubeproxy_sync_proxy_rules_iptables_last"] = "gauge";
  EXPECT_EQ(types(ipt.expose()), want);
  EXPECT_EQ(types(ipvs.expose()), wantIpvs);
}

TEST(KubeProxyMetrics, RegisteringTwiceFailsAndLeavesTheFirstIntact) {
  KubeProxyMetrics m;
  KubeProxyMetrics other;
  Registry registry;
  ASSERT_TRUE(m.registerWith(registry, ProxyMode::NFTables));
  const std::string before = registry.expose();
  EXPECT_FALSE(other.registerWith(registry, ProxyMode::NFTables));
  EXPECT_EQ(registry.expose(), before);
}

TEST(KubeProxyMetrics, SyncDurationBucketsAreUpstreams) {
  KubeProxyMetrics m;
  // ExponentialBuckets(0.001, 2, 15): 1 ms to 16.384 s.
  EXPECT_EQ(m.syncProxyRulesDuration->upperBounds(), exponentialBuckets(0.001, 2, 15));
  EXPECT_EQ(m.syncProxyRulesDuration->upperBounds().back(), 16.384);
  Registry registry;
  ASSERT_TRUE(m.registerWith(registry, ProxyMode::NFTables));
  m.syncDuration(IPFamily::V6, false, 0.003);
  const std::string text = registry.expose();
  const std::vector<std::string> les = {"0.001", "0.002", "0.004", "0.008", "0.016",
                                        "0.032", "0.064", "0.128", "0.256", "0.512",
                                        "1.024", "2.048", "4.096", "8.192", "16.384"};
  for (size_t i = 0; i < les.size(); ++i) {
    const char* count = i < 2 ? "0" : "1";  // 0.003 lands in le="0.004" and above
    EXPECT_TRUE(has(text,
                    "kubeproxy_sync_proxy_rules_duration_seconds_bucket"
                    "{ip_family=\"IPv6\",le=\"" +
                        les[i] + "\"} " + count))
        << les[i];
  }
  EXPECT_TRUE(has(text,
                  "kubeproxy_sync_partial_proxy_rules_duration_seconds_count"
                  "{ip_family=\"IPv6\"} 1"));
  EXPECT_EQ(text.find("kubeproxy_sync_full_proxy_rules_duration_seconds_count"), std::string::npos);
}

TEST(KubeProxyMetrics, NetworkProgrammingBucketsStartAtZeroAsUpstream) {
  KubeProxyMetrics m;
  const auto& b = m.networkProgrammingDuration->upperBounds();
  ASSERT_EQ(b.size(), 81U);  // 0, 0.25, 0.5, 1..59, 60..115 by 5, 120..300 by 30
  EXPECT_EQ(b[0], 0);
  EXPECT_EQ(b[1], 0.25);
  EXPECT_EQ(b[2], 0.5);
  EXPECT_EQ(b[3], 1);
  EXPECT_EQ(b[61], 59);
  EXPECT_EQ(b[62], 60);
  EXPECT_EQ(b[73], 115);
  EXPECT_EQ(b[74], 120);
  EXPECT_EQ(b[80], 300);
}

TEST(KubeProxyMetrics, HelpersMoveTheRightSeries) {
  KubeProxyMetrics m;
  Registry registry;
  ASSERT_TRUE(m.registerWith(registry, ProxyMode::NFTables));
  m.syncQueued(IPFamily::V4, 1700000000.25);
  m.syncSucceeded(IPFamily::V6, 1700000001);
  m.endpointChanges(3, 5);
  m.endpointChanges(0, 2);
  m.serviceChanges(1, 1);
  m.noLocalEndpoints(IPFamily::V4, 2, 0);
  m.healthzServed(200);
  m.healthzServed(503);
  m.healthzServed(200);
  m.livezServed(503);
  m.invalidObject("EndpointSlice");
  m.syncFailed(IPFamily::V6, ProxyMode::NFTables);
  const std::string t = registry.expose();
  EXPECT_TRUE(has(t,
                  "kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds"
                  "{ip_family=\"IPv4\"} 1.70000000025e+09"))
      << t;
  EXPECT_TRUE(has(t,
                  "kubeproxy_sync_proxy_rules_last_timestamp_seconds{ip_family=\"IPv6\"} "
                  "1.700000001e+09"));
  EXPECT_TRUE(has(t, "kubeproxy_sync_proxy_rules_endpoint_changes_pending 0"));
  EXPECT_TRUE(has(t, "kubeproxy_sync_proxy_rules_endpoint_changes_total 7"));
  EXPECT_TRUE(has(t, "kubeproxy_sync_proxy_rules_service_changes_pending 1"));
  EXPECT_TRUE(has(t,
                  "kubeproxy_sync_proxy_rules_no_local_endpoints_total"
                  "{ip_family=\"IPv4\",traffic_policy=\"external\"} 0"));
  EXPECT_TRUE(has(t,
                  "kubeproxy_sync_proxy_rules_no_local_endpoints_total"
                  "{ip_family=\"IPv4\",traffic_policy=\"internal\"} 2"));
  EXPECT_TRUE(has(t, "kubeproxy_proxy_healthz_total{code=\"200\"} 2"));
  EXPECT_TRUE(has(t, "kubeproxy_proxy_healthz_total{code=\"503\"} 1"));
  EXPECT_TRUE(has(t, "kubeproxy_proxy_livez_total{code=\"503\"} 1"));
  EXPECT_TRUE(has(t, "kpx_invalid_objects_total{kind=\"EndpointSlice\"} 1"));
  EXPECT_TRUE(has(t,
                  "kubeproxy_sync_proxy_rules_nftables_sync_failures_total"
                  "{ip_family=\"IPv6\"} 1"));
  EXPECT_TRUE(has(t,
                  "# HELP kubeproxy_sync_proxy_rules_endpoint_changes_total Cumulative proxy "
                  "rules Endpoint changes"));
  // No sync observed yet: the labelled histogram has no child, so it is not exposed at all
  // (as client_golang), while unlabelled families show 0.
  EXPECT_EQ(t.find("kubeproxy_sync_proxy_rules_duration_seconds"), std::string::npos);
  EXPECT_TRUE(has(t, "kubeproxy_sync_proxy_rules_service_changes_total 1"));
}

}  // namespace
}  // namespace kpx::metrics
