// What build_state() needs to know about this node's proxy configuration.
// Typed, defaults in the struct (kube-proxy's defaults), validated once at startup.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "proxy/ip.h"

namespace kpx {

// How "traffic from inside the cluster" is recognised (kube-proxy's detectLocalMode).
enum class LocalDetectMode : uint8_t { ClusterCIDR, NodeCIDR, BridgeInterface, InterfaceNamePrefix };
std::string_view toString(LocalDetectMode m);

struct ProxyConfig {
  std::string nodeName;
  std::vector<CIDR> clusterCIDRs;  // at most one per family
  LocalDetectMode detectLocalMode = LocalDetectMode::ClusterCIDR;
  std::string bridgeInterface;      // detectLocal.bridgeInterface
  std::string interfaceNamePrefix;  // detectLocal.interfaceNamePrefix
  bool masqueradeAll = false;
  uint8_t masqueradeBit = 14;  // mark 1<<14 = 0x4000, as kube-proxy
  // CIDRs, or the keywords "primary" (the Node's InternalIP/ExternalIP) and "all".
  // Empty means all local addresses (docs/semantics.md).
  std::vector<std::string> nodePortAddresses;
  std::set<IPFamily> families = {IPFamily::V4, IPFamily::V6};

  uint32_t masqueradeMark() const { return 1u << masqueradeBit; }
};

}  // namespace kpx
