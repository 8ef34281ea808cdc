#include "proxy/cmd/state_options.h"

#include <unistd.h>

#include <cstdlib>

namespace kpx::cmd {
namespace {

std::string defaultNodeName() {
  if (const char* env = std::getenv("NODE_NAME"); env && *env) return env;
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) return "localhost";
  return host;
}

}  // namespace

void addStateOptions(CLI::App& app, StateOptions& o) {
  app.add_option("--node-name", o.nodeName,
                 "This node's name: endpoints on it are local (default: $NODE_NAME, else the "
                 "host name)");
  app.add_option("--cluster-cidr", o.clusterCIDRs,
                 "Pod CIDRs (comma-separated, one per family): traffic from outside them to a "
                 "ClusterIP is masqueraded")
      ->delimiter(',');
  app.add_flag("--masquerade-all", o.masqueradeAll, "Masquerade all traffic to service VIPs");
  app.add_option("--nodeport-addresses", o.nodePortAddresses,
                 "CIDRs (or 'primary') whose local addresses accept NodePorts (default: all "
                 "local addresses)")
      ->delimiter(',');
  app.add_option("--config", o.configFile,
                 "A kube-proxy KubeProxyConfiguration file (not implemented yet)");
}

tl::expected<ProxyConfig, std::string> toProxyConfig(const StateOptions& o) {
  if (!o.configFile.empty())
    return tl::unexpected(std::string(
        "--config: not implemented yet (KubeProxyConfiguration support comes with the agent); "
        "pass the settings as flags"));
  ProxyConfig config;
  config.nodeName = o.nodeName.empty() ? defaultNodeName() : o.nodeName;
  std::set<IPFamily> seen;
  for (const auto& text : o.clusterCIDRs) {
    auto cidr = CIDR::parse(text);
    if (!cidr || text.find('/') == std::string::npos)
      return tl::unexpected("--cluster-cidr: \"" + text + "\" is not a CIDR (e.g. 10.244.0.0/16)");
    if (!seen.insert(cidr->family()).second)
      return tl::unexpected("--cluster-cidr: more than one " +
                            std::string(toString(cidr->family())) + " CIDR");
    config.clusterCIDRs.push_back(*cidr);
  }
  config.masqueradeAll = o.masqueradeAll;
  for (const auto& text : o.nodePortAddresses) {
    if (text != "primary" && text != "all" &&
        (!CIDR::parse(text) || text.find('/') == std::string::npos))
      return tl::unexpected("--nodeport-addresses: \"" + text +
                            "\" is neither a CIDR nor 'primary'");
    config.nodePortAddresses.push_back(text);
  }
  return config;
}

}  // namespace kpx::cmd
