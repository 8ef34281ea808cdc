#include "proxy/metrics/kube_proxy_metrics.h"

#include <vector>

#include "proxy/metrics/buckets.h"

namespace kpx::metrics {
namespace {

constexpr const char* kIPFamily = "ip_family";

std::shared_ptr<Histogram> histogram(std::string name, std::string help,
                                     std::vector<double> buckets) {
  return std::make_shared<Histogram>(HistogramOpts{
      .metric = {.name = std::move(name), .help = std::move(help), .labelNames = {kIPFamily}},
      .buckets = std::move(buckets)});
}

std::shared_ptr<Gauge> gauge(std::string name, std::string help,
                             std::vector<std::string> labels = {}) {
  return std::make_shared<Gauge>(MetricOpts{
      .name = std::move(name), .help = std::move(help), .labelNames = std::move(labels)});
}

std::shared_ptr<Counter> counter(std::string name, std::string help,
                                 std::vector<std::string> labels = {}) {
  return std::make_shared<Counter>(MetricOpts{
      .name = std::move(name), .help = std::move(help), .labelNames = std::move(labels)});
}

std::string family(IPFamily f) {
  return std::string(toString(f));
}  // "IPv4", as upstream

}  // namespace

KubeProxyMetrics::KubeProxyMetrics()
    : syncProxyRulesDuration(histogram("kubeproxy_sync_proxy_rules_duration_seconds",
                                       "SyncProxyRules latency in seconds",
                                       exponentialBuckets(0.001, 2, 15))),
      syncFullProxyRulesDuration(histogram("kubeproxy_sync_full_proxy_rules_duration_seconds",
                                           "SyncProxyRules latency in seconds for full resyncs",
                                           exponentialBuckets(0.001, 2, 15))),
      syncPartialProxyRulesDuration(
          histogram("kubeproxy_sync_partial_proxy_rules_duration_seconds",
                    "SyncProxyRules latency in seconds for partial resyncs",
                    exponentialBuckets(0.001, 2, 15))),
      networkProgrammingDuration(
          histogram("kubeproxy_network_programming_duration_seconds",
                    "In Cluster Network Programming Latency in seconds",
                    mergeBuckets({linearBuckets(0.25, 0.25, 2), linearBuckets(1, 1, 59),
                                  linearBuckets(60, 5, 12), linearBuckets(120, 30, 7)}))),
      syncProxyRulesLastTimestamp(gauge("kubeproxy_sync_proxy_rules_last_timestamp_seconds",
                                        "The last time proxy rules were successfully synced",
                                        {kIPFamily})),
      syncProxyRulesLastQueuedTimestamp(
          gauge("kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds",
                "The last time a sync of proxy rules was queued", {kIPFamily})),
      endpointChangesPending(gauge("kubeproxy_sync_proxy_rules_endpoint_changes_pending",
                                   "Pending proxy rules Endpoint changes")),
      endpointChangesTotal(counter("kubeproxy_sync_proxy_rules_endpoint_changes_total",
                                   "Cumulative proxy rules Endpoint changes")),
      serviceChangesPending(gauge("kubeproxy_sync_proxy_rules_service_changes_pending",
                                  "Pending proxy rules Service changes")),
      serviceChangesTotal(counter("kubeproxy_sync_proxy_rules_service_changes_total",
                                  "Cumulative proxy rules Service changes")),
      noLocalEndpointsTotal(gauge("kubeproxy_sync_proxy_rules_no_local_endpoints_total",
                                  "Number of services with a Local traffic policy and no endpoints",
                                  {kIPFamily, "traffic_policy"})),
      nftablesSyncFailuresTotal(counter("kubeproxy_sync_proxy_rules_nftables_sync_failures_total",
                                        "Cumulative proxy nftables sync failures", {kIPFamily})),
      nftablesCleanupFailuresTotal(
          counter("kubeproxy_sync_proxy_rules_nftables_cleanup_failures_total",
                  "Cumulative proxy nftables cleanup failures", {kIPFamily})),
      iptablesRestoreFailuresTotal(
          counter("kubeproxy_sync_proxy_rules_iptables_restore_failures_total",
                  "Cumulative proxy iptables restore failures", {kIPFamily})),
      iptablesPartialRestoreFailuresTotal(
          counter("kubeproxy_sync_proxy_rules_iptables_partial_restore_failures_total",
                  "Cumulative proxy iptables partial restore failures", {kIPFamily})),
      iptablesRulesTotal(gauge("kubeproxy_sync_proxy_rules_iptables_total",
                               "Total number of iptables rules owned by kube-proxy",
                               {kIPFamily, "table"})),
      iptablesRulesLast(gauge("kubeproxy_sync_proxy_rules_iptables_last",
                              "Number of iptables rules written by kube-proxy in last sync",
                              {kIPFamily, "table"})),
      proxyHealthzTotal(counter("kubeproxy_proxy_healthz_total",
                                "Cumulative proxy healthz HTTP status", {"code"})),
      proxyLivezTotal(
          counter("kubeproxy_proxy_livez_total", "Cumulative proxy livez HTTP status", {"code"})),
      invalidObjectsTotal(counter("kpx_invalid_objects_total",
                                  "Objects skipped because they failed parsing or validation",
                                  {"kind"})) {}

tl::expected<void, std::string> KubeProxyMetrics::registerWith(Registry& registry,
                                                               ProxyMode mode) const {
  // Upstream's core set, for every mode. The full/partial histograms are iptables-only upstream;
  // every kpx backend distinguishes full from incremental syncs, so kpx always exposes them.
  std::vector<MetricFamilyPtr> families = {
      syncProxyRulesDuration,
      syncFullProxyRulesDuration,
      syncPartialProxyRulesDuration,
      syncProxyRulesLastQueuedTimestamp,
      syncProxyRulesLastTimestamp,
      endpointChangesPending,
      endpointChangesTotal,
      serviceChangesPending,
      serviceChangesTotal,
      proxyHealthzTotal,
      proxyLivezTotal,
      networkProgrammingDuration,
      noLocalEndpointsTotal,
      invalidObjectsTotal,
  };
  switch (mode) {
    case ProxyMode::NFTables:
      families.push_back(nftablesSyncFailuresTotal);
      families.push_back(nftablesCleanupFailuresTotal);
      break;
    case ProxyMode::IPTables:
      families.push_back(iptablesRestoreFailuresTotal);
      families.push_back(iptablesPartialRestoreFailuresTotal);
      families.push_back(iptablesRulesTotal);
      families.push_back(iptablesRulesLast);
      break;
    case ProxyMode::IPVS:
      families.push_back(iptablesRestoreFailuresTotal);
      break;
  }
  for (size_t i = 0; i < families.size(); ++i) {
    if (auto added = registry.add(families[i]); !added) {
      for (size_t j = 0; j < i; ++j) registry.remove(families[j]->name());  // all or nothing
      return added;
    }
  }
  return {};
}

void KubeProxyMetrics::syncQueued(IPFamily f, double unixSeconds) {
  syncProxyRulesLastQueuedTimestamp->labels({family(f)}).set(unixSeconds);
}

void KubeProxyMetrics::syncDuration(IPFamily f, bool full, double seconds) {
  syncProxyRulesDuration->labels({family(f)}).observe(seconds);
  (full ? syncFullProxyRulesDuration : syncPartialProxyRulesDuration)
      ->labels({family(f)})
      .observe(seconds);
}

void KubeProxyMetrics::syncSucceeded(IPFamily f, double unixSeconds) {
  syncProxyRulesLastTimestamp->labels({family(f)}).set(unixSeconds);
}

void KubeProxyMetrics::syncFailed(IPFamily f, ProxyMode mode) {
  (mode == ProxyMode::NFTables ? nftablesSyncFailuresTotal : iptablesRestoreFailuresTotal)
      ->labels({family(f)})
      .inc();
}

void KubeProxyMetrics::nftablesCleanupFailed(IPFamily f) {
  nftablesCleanupFailuresTotal->labels({family(f)}).inc();
}

void KubeProxyMetrics::iptablesPartialRestoreFailed(IPFamily f) {
  iptablesPartialRestoreFailuresTotal->labels({family(f)}).inc();
}

void KubeProxyMetrics::iptablesRules(IPFamily f, std::string_view table, double total,
                                     double lastSync) {
  iptablesRulesTotal->labels({family(f), std::string(table)}).set(total);
  iptablesRulesLast->labels({family(f), std::string(table)}).set(lastSync);
}

void KubeProxyMetrics::networkProgrammed(IPFamily f, double seconds) {
  networkProgrammingDuration->labels({family(f)}).observe(seconds);
}

void KubeProxyMetrics::noLocalEndpoints(IPFamily f, double internal, double external) {
  noLocalEndpointsTotal->labels({family(f), "internal"}).set(internal);
  noLocalEndpointsTotal->labels({family(f), "external"}).set(external);
}

void KubeProxyMetrics::endpointChanges(double pending, double newChanges) {
  endpointChangesPending->set(pending);
  endpointChangesTotal->inc(newChanges);
}

void KubeProxyMetrics::serviceChanges(double pending, double newChanges) {
  serviceChangesPending->set(pending);
  serviceChangesTotal->inc(newChanges);
}

void KubeProxyMetrics::healthzServed(int code) {
  proxyHealthzTotal->labels({std::to_string(code)}).inc();
}

void KubeProxyMetrics::livezServed(int code) {
  proxyLivezTotal->labels({std::to_string(code)}).inc();
}

void KubeProxyMetrics::invalidObject(std::string_view kind) {
  invalidObjectsTotal->labels({std::string(kind)}).inc();
}

}  // namespace kpx::metrics
