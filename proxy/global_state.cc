#include "proxy/global_state.h"

#include <algorithm>

namespace kpx {

NodePortAddresses resolveNodePortAddresses(const std::vector<std::string>& spec, const Node* node) {
  const NodePortAddresses allLocal{.allLocal = true, .cidrs = {}};
  if (std::find(spec.begin(), spec.end(), "all") != spec.end()) return allLocal;

  NodePortAddresses out{.allLocal = false, .cidrs = {}};
  for (const std::string& entry : spec) {
    if (entry == "primary") {
      if (node == nullptr) continue;
      for (const IPAddr& ip : node->primaryIPs()) out.cidrs.push_back(CIDR::host(ip));
    } else if (auto cidr = CIDR::parse(entry)) {
      out.cidrs.push_back(*cidr);
    }
  }
  if (out.cidrs.empty()) return allLocal;
  std::sort(out.cidrs.begin(), out.cidrs.end());
  out.cidrs.erase(std::unique(out.cidrs.begin(), out.cidrs.end()), out.cidrs.end());
  return out;
}

GlobalState buildGlobalState(const Node* node, const ProxyConfig& config) {
  GlobalState global;
  global.detectLocalMode = config.detectLocalMode;
  switch (config.detectLocalMode) {
    case LocalDetectMode::ClusterCIDR:
      global.localTrafficCIDRs = config.clusterCIDRs;
      break;
    case LocalDetectMode::NodeCIDR:
      if (node != nullptr) global.localTrafficCIDRs = node->podCIDRs;
      break;
    case LocalDetectMode::BridgeInterface:
      global.localInterface = config.bridgeInterface;
      break;
    case LocalDetectMode::InterfaceNamePrefix:
      global.localInterface = config.interfaceNamePrefix;
      break;
  }
  global.masqueradeAll = config.masqueradeAll;
  global.masqueradeMark = config.masqueradeMark();
  global.nodePortAddresses = resolveNodePortAddresses(config.nodePortAddresses, node);
  global.families = config.families;
  return global;
}

std::vector<IPAddr> nodePortIPs(const NodePortAddresses& scope,
                                const std::vector<IPAddr>& nodeAddresses) {
  std::vector<IPAddr> out;
  if (scope.allLocal) return out;
  for (const auto& ip : nodeAddresses) {
    if (std::find(out.begin(), out.end(), ip) != out.end()) continue;
    for (const auto& cidr : scope.cidrs)
      if (cidr.contains(ip)) {
        out.push_back(ip);
        break;
      }
  }
  return out;
}

}  // namespace kpx
