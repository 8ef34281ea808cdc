// ProxyState: the desired dataplane, as data. build_state() makes it, diff() compares two,
// every Dataplane renders it. All Kubernetes semantics are decided before this point: a
// backend never looks at a Service, only at the endpoints chosen here for each traffic class.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/config.h"
#include "proxy/ip.h"
#include "proxy/model.h"

namespace kpx {

// One port of one service in one IP family: the unit every dataplane programs.
struct ServicePortKey {
  std::string namespace_;
  std::string name;
  std::string portName;
  Protocol protocol = Protocol::TCP;
  IPFamily family = IPFamily::V4;

  // kube-proxy's ServicePortName.String(): "ns/name:port" (":port" only when named).
  std::string str() const;
  // "ns/name/tcp/port": kube-proxy's nftables chain suffix (portName may be empty).
  std::string chainSuffix() const;
  std::string serviceKey() const { return namespace_ + "/" + name; }
  auto operator<=>(const ServicePortKey&) const = default;
};

struct EndpointState {
  IPAddr ip;
  uint16_t port = 0;
  bool ready = true;
  bool serving = true;
  bool terminating = false;
  // On this node. Which node and zone are selection's business (EndpointCandidate); kept
  // here they cost 64 bytes per endpoint of every service port (10 MB at 10,000 x 10).
  bool local = false;

  std::string str() const;  // "10.0.0.1:80", "[fd00::1]:80"
  auto operator<=>(const EndpointState&) const = default;
};

// What to do with a packet of a traffic class that has no endpoint to go to.
enum class EmptyAction : uint8_t {
  Reject,  // no usable endpoint anywhere: ICMP port unreachable / TCP reset
  Drop,    // endpoints exist, but not on this node and the policy is Local
};
std::string_view toString(EmptyAction a);

struct TrafficTarget {
  std::vector<EndpointState> endpoints;  // sorted, deduplicated; empty: apply ifEmpty
  EmptyAction ifEmpty = EmptyAction::Reject;
  auto operator<=>(const TrafficTarget&) const = default;
};

struct ServicePortState {
  ServicePortKey key;
  ServiceType type = ServiceType::ClusterIP;
  IPAddr clusterIP;
  uint16_t port = 0;
  uint16_t nodePort = 0;                 // 0: none
  std::vector<IPAddr> externalIPs;       // this family only
  std::vector<IPAddr> loadBalancerIPs;   // ingress IPs of this family, ipMode VIP only
  std::vector<CIDR> loadBalancerSourceRanges;  // this family only; empty: allow all
  TrafficPolicy internalPolicy = TrafficPolicy::Cluster;
  TrafficPolicy externalPolicy = TrafficPolicy::Cluster;
  std::optional<uint32_t> affinityTimeoutSeconds;  // set: sessionAffinity ClientIP
  uint16_t healthCheckNodePort = 0;
  uint32_t localReadyEndpoints = 0;  // what the health-check node port reports

  // Traffic to the ClusterIP.
  TrafficTarget internal;
  // Traffic to the NodePort, externalIPs and LB IPs from outside the cluster. With
  // externalPolicy Local, pod sources go to `internal` and node-local sources to
  // `internal` masqueraded (docs/semantics.md); planPort() (proxy/packet_plan.h) says so and
  // the dataplane translates the plan.
  TrafficTarget external;

  bool externallyAccessible() const {
    return nodePort != 0 || !externalIPs.empty() || !loadBalancerIPs.empty();
  }
  bool hasEndpoints() const { return !internal.endpoints.empty() || !external.endpoints.empty(); }
  auto operator<=>(const ServicePortState&) const = default;
};

// Where NodePorts answer: every local address, or the local addresses inside these prefixes.
struct NodePortAddresses {
  bool allLocal = true;
  std::vector<CIDR> cidrs;
  auto operator<=>(const NodePortAddresses&) const = default;
};

// Node-wide settings every backend needs, resolved from ProxyConfig and the Node.
struct GlobalState {
  std::vector<CIDR> localTrafficCIDRs;  // detect-local by CIDR (cluster or node pod CIDRs)
  LocalDetectMode detectLocalMode = LocalDetectMode::ClusterCIDR;
  std::string localInterface;           // bridge name or interface prefix, for those modes
  bool masqueradeAll = false;
  uint32_t masqueradeMark = 0x4000;
  NodePortAddresses nodePortAddresses;
  std::set<IPFamily> families;
  auto operator<=>(const GlobalState&) const = default;
};

using ServicePortMap = std::map<ServicePortKey, ServicePortState>;

struct ProxyState {
  GlobalState global;
  ServicePortMap servicePorts;

  bool operator==(const ProxyState&) const = default;
};

// The ports of service namespace_/name, as [first, last): keys order by namespace and name first,
// so a service's ports are contiguous. O(log N + its ports).
std::pair<ServicePortMap::const_iterator, ServicePortMap::const_iterator> portsOfService(
    const ServicePortMap& ports, std::string_view namespace_, std::string_view name);
std::pair<ServicePortMap::iterator, ServicePortMap::iterator> portsOfService(
    ServicePortMap& ports, std::string_view namespace_, std::string_view name);

}  // namespace kpx
