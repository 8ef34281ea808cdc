// kube-proxy's metrics, with upstream's names, types, help, labels and buckets
// (kubernetes pkg/proxy/metrics/metrics.go, v1.34: most carry an ip_family label), plus kpx's own
// kpx_invalid_objects_total. The list, and when each one moves, is in proxy/metrics/README.md.
//
// Every family exists whatever the mode (callers never test for null); registerWith() exposes the
// ones kube-proxy registers for that mode, so a dashboard sees the same set as with kube-proxy.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "proxy/ip.h"
#include "proxy/proxy_mode.h"
#include "proxy/metrics/counter.h"
#include "proxy/metrics/gauge.h"
#include "proxy/metrics/histogram.h"
#include "proxy/metrics/registry.h"

namespace kpx::metrics {


class KubeProxyMetrics {
 public:
  KubeProxyMetrics();

  // Registers the families kube-proxy registers in `mode` (see README.md); fails if one of the
  // names is already taken in `registry`. Call once per registry.
  tl::expected<void, std::string> registerWith(Registry& registry, ProxyMode mode) const;

  // --- the sync loop ---
  // A change was queued for `family` (kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds).
  void syncQueued(IPFamily family, double unixSeconds);
  // One sync ran (successful or not) and took `seconds`: the total histogram and the full or
  // partial one, as upstream observes both on every run.
  void syncDuration(IPFamily family, bool full, double seconds);
  // The sync succeeded at `unixSeconds` (kubeproxy_sync_proxy_rules_last_timestamp_seconds).
  void syncSucceeded(IPFamily family, double unixSeconds);
  // The kernel refused a sync: nftables_sync_failures_total, or iptables_restore_failures_total
  // for iptables and ipvs (the counter their mode registers).
  void syncFailed(IPFamily family, ProxyMode mode);
  void nftablesCleanupFailed(IPFamily family);
  void iptablesPartialRestoreFailed(IPFamily family);
  // Rules owned / written in the last sync, per iptables table ("filter", "nat").
  void iptablesRules(IPFamily family, std::string_view table, double total, double lastSync);
  // Event (EndpointSlice/Service change time) to programmed, per endpoint object in the sync.
  void networkProgrammed(IPFamily family, double seconds);
  // Services with a Local policy and no local endpoint, per traffic class, after each sync.
  void noLocalEndpoints(IPFamily family, double internal, double external);

  // --- change trackers ---
  void endpointChanges(double pending, double newChanges);
  void serviceChanges(double pending, double newChanges);

  // --- the HTTP servers ---
  void healthzServed(int code);
  void livezServed(int code);

  // --- kpx's own ---
  // An object skipped because it failed parsing or validation ("Service", "EndpointSlice"...).
  void invalidObject(std::string_view kind);

  // The families, for tests and for wiring that needs a child directly.
  const std::shared_ptr<Histogram> syncProxyRulesDuration;
  const std::shared_ptr<Histogram> syncFullProxyRulesDuration;
  const std::shared_ptr<Histogram> syncPartialProxyRulesDuration;
  const std::shared_ptr<Histogram> networkProgrammingDuration;
  const std::shared_ptr<Gauge> syncProxyRulesLastTimestamp;
  const std::shared_ptr<Gauge> syncProxyRulesLastQueuedTimestamp;
  const std::shared_ptr<Gauge> endpointChangesPending;
  const std::shared_ptr<Counter> endpointChangesTotal;
  const std::shared_ptr<Gauge> serviceChangesPending;
  const std::shared_ptr<Counter> serviceChangesTotal;
  const std::shared_ptr<Gauge> noLocalEndpointsTotal;
  const std::shared_ptr<Counter> nftablesSyncFailuresTotal;
  const std::shared_ptr<Counter> nftablesCleanupFailuresTotal;
  const std::shared_ptr<Counter> iptablesRestoreFailuresTotal;
  const std::shared_ptr<Counter> iptablesPartialRestoreFailuresTotal;
  const std::shared_ptr<Gauge> iptablesRulesTotal;
  const std::shared_ptr<Gauge> iptablesRulesLast;
  const std::shared_ptr<Counter> proxyHealthzTotal;
  const std::shared_ptr<Counter> proxyLivezTotal;
  const std::shared_ptr<Counter> invalidObjectsTotal;
};

}  // namespace kpx::metrics
