// The typed configuration of `kpx run` (docs/cli.md; CONTRIBUTING.md, habit 8): everything the agent needs
// besides the desired-state settings of ProxyConfig, with kube-proxy's defaults in the struct.
// It comes from a KubeProxyConfiguration file (watch/kube_proxy_config.h) and/or the flags
// (proxy/cmd/state_options.h; flags given explicitly win), and is validated once there.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/backend_options.h"
#include "proxy/config.h"
#include "proxy/duration.h"
#include "proxy/proxy_mode.h"
#include "proxy/sync_runner.h"

namespace kpx {

// kube-proxy's conntrack section: sysctls the agent sets at startup. A zero leaves the kernel's
// value as it is (maxPerCore 0 also ignores min), as kube-proxy does.
struct ConntrackConfig {
  int32_t maxPerCore = 32 * 1024;
  int32_t min = 128 * 1024;
  Duration tcpEstablishedTimeout = std::chrono::hours(24);
  Duration tcpCloseWaitTimeout = std::chrono::hours(1);
  bool tcpBeLiberal = false;
  Duration udpTimeout = Duration::zero();
  Duration udpStreamTimeout = Duration::zero();
};

struct AgentConfig {
  ProxyMode mode = ProxyMode::NFTables;
  ProxyConfig proxy;  // nodeName resolved (hostnameOverride, $NODE_NAME, host name)

  Duration minSyncPeriod = std::chrono::seconds(1);
  Duration syncPeriod = std::chrono::seconds(30);

  // host:port, IPv6 in brackets. kube-proxy's defaults; "[::]:10256" and "[::1]:10249" when
  // bindAddress is IPv6.
  std::string healthzBindAddress = "0.0.0.0:10256";
  std::string metricsBindAddress = "127.0.0.1:10249";
  bool bindAddressHardFail = false;  // a port that cannot be bound is fatal
  // The node's IP(s) when not taken from the Node ("" or 0.0.0.0: from the Node).
  std::string bindAddress;
  std::string hostnameOverride;  // as configured; proxy.nodeName is the resolved name

  // Where the API server is: kubeconfig file and/or URL (--master overrides its server).
  std::string kubeconfig;
  std::string master;
  Duration configSyncPeriod = std::chrono::minutes(15);  // informer resync

  bool localhostNodePorts = true;  // iptables mode, IPv4 only
  ConntrackConfig conntrack;
  IPVSConfig ipvs;
  int32_t oomScoreAdj = -999;  // kube-proxy's; applied to the agent process
  int logVerbosity = 0;        // logging.verbosity (-v wins when given)

  SyncRunnerOptions syncRunnerOptions() const {
    return SyncRunnerOptions{.minSyncPeriod = minSyncPeriod,
                             .syncPeriod = syncPeriod,
                             .initialRetryDelay = std::chrono::seconds(1),
                             .maxRetryDelay = syncPeriod};
  }
};

}  // namespace kpx
