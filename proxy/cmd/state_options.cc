#include "proxy/cmd/state_options.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>

#include "proxy/log.h"
#include "watch/formats.h"
#include "watch/kube_proxy_config.h"

namespace kpx::cmd {
namespace {

constexpr int kHealthzPort = 10256;
constexpr int kMetricsPort = 10249;

// kube-proxy's GetHostname: the override, else the host name; trimmed and lowercased, as Node
// names are. kpx also reads $NODE_NAME (the DaemonSet's downward API) before the host name.
std::string resolveNodeName(const std::string& override) {
  std::string name(watch::trimSpace(override));
  if (name.empty()) {
    if (const char* env = std::getenv("NODE_NAME"); env && *env) {
      name = watch::trimSpace(env);
    } else {
      char host[256] = {};
      name = gethostname(host, sizeof host - 1) == 0 ? host : "localhost";
    }
  }
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name;
}

bool isCIDR(const std::string& text) {
  return text.find('/') != std::string::npos && CIDR::parse(text).has_value();
}

tl::expected<std::vector<CIDR>, std::string> parseClusterCIDRs(
    const std::vector<std::string>& texts) {
  std::vector<CIDR> out;
  std::set<IPFamily> seen;
  for (const auto& text : texts) {
    if (!isCIDR(text))
      return tl::unexpected("--cluster-cidr: \"" + text + "\" is not a CIDR (e.g. 10.244.0.0/16)");
    const CIDR cidr = *CIDR::parse(text);
    if (!seen.insert(cidr.family()).second)
      return tl::unexpected("--cluster-cidr: more than one " +
                            std::string(toString(cidr.family())) + " CIDR");
    out.push_back(cidr);
  }
  return out;
}

tl::expected<Duration, std::string> parseDurationFlag(const std::string& flag,
                                                      const std::string& text) {
  auto d = parseDuration(text);
  if (!d) return tl::unexpected(flag + ": " + d.error() + " (e.g. 1s, 250ms, 1m30s)");
  return *d;
}

tl::expected<std::string, std::string> parseHostPortFlag(const std::string& flag,
                                                         const std::string& text, int port) {
  const std::string address = watch::appendPortIfNeeded(text, port);
  if (std::string problem = watch::hostPortProblem(address); !problem.empty())
    return tl::unexpected(flag + ": \"" + text + "\": " + problem);
  return address;
}

// Applies the flags given on top of `c` (the file's values or the defaults).
tl::expected<void, std::string> applyFlags(const StateOptions& o, AgentConfig& c) {
  if (o.mode) {
    std::optional<ProxyMode> mode = parseProxyMode(*o.mode);
    if (!mode)
      return tl::unexpected("--mode: \"" + *o.mode + "\": must be nftables, iptables or ipvs");
    c.mode = *mode;
  }
  c.proxy.nodeName = resolveNodeName(o.nodeName.value_or(c.hostnameOverride));
  if (o.clusterCIDRs) {
    auto cidrs = parseClusterCIDRs(*o.clusterCIDRs);
    if (!cidrs) return tl::unexpected(cidrs.error());
    c.proxy.clusterCIDRs = *cidrs;
  }
  if (o.masqueradeAll) c.proxy.masqueradeAll = *o.masqueradeAll;
  if (o.nodePortAddresses) {
    c.proxy.nodePortAddresses.clear();
    for (const auto& text : *o.nodePortAddresses) {
      if (text != "primary" && text != "all" && !isCIDR(text))
        return tl::unexpected("--nodeport-addresses: \"" + text +
                              "\" is neither a CIDR nor 'primary' or 'all'");
      c.proxy.nodePortAddresses.push_back(text);
    }
  }
  if (o.minSyncPeriod) {
    auto d = parseDurationFlag("--min-sync-period", *o.minSyncPeriod);
    if (!d) return tl::unexpected(d.error());
    c.minSyncPeriod = *d;
  }
  if (o.syncPeriod) {
    auto d = parseDurationFlag("--sync-period", *o.syncPeriod);
    if (!d) return tl::unexpected(d.error());
    c.syncPeriod = *d;
  }
  if (c.minSyncPeriod < Duration::zero())
    return tl::unexpected("--min-sync-period: " + formatDuration(c.minSyncPeriod) +
                          ": must be greater than or equal to 0");
  if (c.syncPeriod <= Duration::zero())
    return tl::unexpected("--sync-period: " + formatDuration(c.syncPeriod) +
                          ": must be greater than 0");
  if (c.minSyncPeriod > c.syncPeriod)
    return tl::unexpected("--sync-period " + formatDuration(c.syncPeriod) +
                          " must be greater than or equal to --min-sync-period " +
                          formatDuration(c.minSyncPeriod));
  if (o.healthzBindAddress) {
    auto a = parseHostPortFlag("--healthz-bind-address", *o.healthzBindAddress, kHealthzPort);
    if (!a) return tl::unexpected(a.error());
    c.healthzBindAddress = *a;
  }
  if (o.metricsBindAddress) {
    auto a = parseHostPortFlag("--metrics-bind-address", *o.metricsBindAddress, kMetricsPort);
    if (!a) return tl::unexpected(a.error());
    c.metricsBindAddress = *a;
  }
  if (o.kubeconfig) c.kubeconfig = *o.kubeconfig;
  if (o.master) c.master = *o.master;
  return {};
}

// Sets `target` when the flag is given; the flag's own help text says what it does.
template <typename T>
CLI::Option* addOptional(CLI::App& app, const std::string& name, std::optional<T>& target,
                         const std::string& help) {
  return app.add_option_function<T>(
      name, [&target](const T& value) { target = value; }, help);
}

}  // namespace

void addStateOptions(CLI::App& app, StateOptions& o) {
  addOptional(app, "--node-name,--hostname-override", o.nodeName,
              "This node's name: endpoints on it are local (default: the config's "
              "hostnameOverride, else $NODE_NAME, else the host name)");
  addOptional(app, "--cluster-cidr", o.clusterCIDRs,
              "Pod CIDRs (comma-separated, one per family): traffic from outside them to a "
              "ClusterIP is masqueraded")
      ->delimiter(',');
  app.add_flag_function(
      "--masquerade-all", [&o](int64_t count) { o.masqueradeAll = count > 0; },
      "Masquerade all traffic to service VIPs (--masquerade-all=false to override the config)");
  addOptional(app, "--nodeport-addresses", o.nodePortAddresses,
              "CIDRs (or 'primary') whose local addresses accept NodePorts (default: all "
              "local addresses)")
      ->delimiter(',');
  app.add_option("--config", o.configFile,
                 "A kube-proxy KubeProxyConfiguration file (kubeproxy.config.k8s.io/v1alpha1, "
                 "YAML or JSON, or kubeadm's kube-proxy ConfigMap); flags given explicitly "
                 "override it");
}

void addAgentOptions(CLI::App& app, StateOptions& o) {
  addOptional(app, "--min-sync-period", o.minSyncPeriod,
              "Minimum time between syncs of the kernel rules, as a Go duration (default 1s; "
              "0 syncs every change at once)");
  addOptional(app, "--sync-period", o.syncPeriod,
              "Full resync period, as a Go duration (default 30s)");
  addOptional(app, "--healthz-bind-address", o.healthzBindAddress,
              "IP[:port] of the health server (default 0.0.0.0:10256)");
  addOptional(app, "--metrics-bind-address", o.metricsBindAddress,
              "IP[:port] of the metrics server (default 127.0.0.1:10249)");
  addOptional(app, "--kubeconfig", o.kubeconfig,
              "kubeconfig of the API server to watch (default: the config's "
              "clientConnection.kubeconfig, else in-cluster)");
  addOptional(app, "--master", o.master,
              "The API server's address, overriding the kubeconfig's server");
}

tl::expected<AgentConfig, std::string> toAgentConfig(const StateOptions& o,
                                                     std::vector<std::string>* warnings) {
  AgentConfig config;
  if (!o.configFile.empty()) {
    auto file = watch::loadKubeProxyConfiguration(o.configFile);
    if (!file) return tl::unexpected("--config " + file.error());
    for (const std::string& w : file->warnings) log::warn("--config " + o.configFile + ": " + w);
    if (warnings) *warnings = file->warnings;
    config = std::move(file->config);
  }
  if (auto applied = applyFlags(o, config); !applied) return tl::unexpected(applied.error());
  return config;
}

tl::expected<ProxyConfig, std::string> toProxyConfig(const StateOptions& o) {
  return toAgentConfig(o).map([](AgentConfig&& c) { return std::move(c.proxy); });
}

}  // namespace kpx::cmd
