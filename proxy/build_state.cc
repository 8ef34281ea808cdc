#include "proxy/build_state.h"

#include <algorithm>
#include <set>

#include "proxy/endpoint_collection.h"
#include "proxy/global_state.h"

namespace kpx {
namespace {

// Services kube-proxy never programs. The two labels are filtered by kube-proxy's informer label
// selector: service-proxy-name hands the service to another proxy, and the headless label is
// the EndpointSlice controller's mark for headless services.
bool skipService(const Service& svc) {
  const auto& labels = svc.meta.labels;
  if (labels.contains(std::string(kServiceProxyNameLabel))) return true;
  if (labels.contains(std::string(kHeadlessLabel))) return true;
  return svc.type == ServiceType::ExternalName || svc.headless || svc.clusterIPs.empty();
}

// Upstream's apiservice.ExternallyAccessible/ExternalPolicyLocal: eTP only counts for services
// that can be reached from outside at all, judged on the whole service (both families).
bool externalPolicyLocal(const Service& svc) {
  const bool reachable = svc.type == ServiceType::LoadBalancer ||
                         svc.type == ServiceType::NodePort ||
                         (svc.type == ServiceType::ClusterIP && !svc.externalIPs.empty());
  return reachable && svc.externalTrafficPolicy == TrafficPolicy::Local;
}

template <typename T>
void sortUnique(std::vector<T>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

// Everything about a service port except its endpoints: addresses of `clusterIP`'s family,
// ports and policies.
ServicePortState describePort(const Service& svc, const ServicePort& port,
                              const IPAddr& clusterIP) {
  const IPFamily family = clusterIP.family();
  ServicePortState sp;
  sp.key = ServicePortKey{.namespace_ = svc.meta.namespace_,
                          .name = svc.meta.name,
                          .portName = port.name,
                          .protocol = port.protocol,
                          .family = family};
  sp.type = svc.type;
  sp.clusterIP = clusterIP;
  sp.port = port.port;
  // The API server allocates NodePorts for these two types only; a ClusterIP service never has
  // one, whatever a stale or hand-written object says.
  if (svc.type == ServiceType::NodePort || svc.type == ServiceType::LoadBalancer) {
    sp.nodePort = port.nodePort;
  }
  for (const IPAddr& ip : svc.externalIPs) {
    if (ip.family() == family) sp.externalIPs.push_back(ip);
  }
  for (const LoadBalancerIngress& ingress : svc.loadBalancerIngress) {
    // ipMode Proxy: the load balancer proxies to the NodePort itself, so its IP must not be
    // short-circuited on the node (upstream IsVIPMode).
    if (!ingress.ip || ingress.ip->family() != family || ingress.ipMode == "Proxy") continue;
    sp.loadBalancerIPs.push_back(*ingress.ip);
  }
  for (const CIDR& range : svc.loadBalancerSourceRanges) {
    if (range.family() == family) sp.loadBalancerSourceRanges.push_back(range);
  }
  sortUnique(sp.externalIPs);
  sortUnique(sp.loadBalancerIPs);
  sortUnique(sp.loadBalancerSourceRanges);

  sp.internalPolicy = svc.internalTrafficPolicy;
  sp.externalPolicy = externalPolicyLocal(svc) ? TrafficPolicy::Local : TrafficPolicy::Cluster;
  if (svc.sessionAffinity == SessionAffinity::ClientIP) {
    sp.affinityTimeoutSeconds = svc.affinityTimeoutSeconds > 0
                                    ? static_cast<uint32_t>(svc.affinityTimeoutSeconds)
                                    : static_cast<uint32_t>(kDefaultAffinityTimeoutSeconds);
  }
  // Upstream NeedsHealthCheck: only LoadBalancer services with eTP Local are health-checked.
  if (svc.type == ServiceType::LoadBalancer && sp.externalPolicy == TrafficPolicy::Local) {
    sp.healthCheckNodePort = svc.healthCheckNodePort;
  }
  return sp;
}

// Chooses the endpoints of each traffic class, as upstream's proxiers do after
// CategorizeEndpoints. A class left without endpoints rejects when the service has no usable
// endpoint anywhere and drops when it has some, just not on this node. A port that cannot be
// reached from outside keeps `external` default (empty, Reject): no packet ever uses it.
void selectEndpoints(ServicePortState& sp, const std::vector<EndpointCandidate>& candidates,
                     const NodeTopology& node) {
  const bool reachableFromOutside = sp.externallyAccessible();
  const bool internalLocal = sp.internalPolicy == TrafficPolicy::Local;
  const bool externalLocal = sp.externalPolicy == TrafficPolicy::Local;
  const EndpointUse use{.cluster = !internalLocal || reachableFromOutside,
                        .local = internalLocal || (externalLocal && reachableFromOutside)};
  CategorizedEndpoints sets = categorizeEndpoints(candidates, use, node);

  auto target = [&](bool local) {
    TrafficTarget t;
    t.endpoints = local ? sets.local : sets.cluster;
    // ifEmpty only means something when there are no endpoints; otherwise it stays at its
    // default so that equal endpoint sets compare equal.
    if (t.endpoints.empty() && sets.hasAnyEndpoints) t.ifEmpty = EmptyAction::Drop;
    return t;
  };
  sp.internal = target(internalLocal);
  if (reachableFromOutside) sp.external = target(externalLocal);

  sp.localReadyEndpoints = static_cast<uint32_t>(
      std::count_if(candidates.begin(), candidates.end(),
                    [](const EndpointCandidate& c) { return c.state.local && c.state.ready; }));
}

}  // namespace

NodeTopology nodeTopology(const Node* node, const ProxyConfig& config) {
  return NodeTopology{.nodeName = config.nodeName,
                      .zone = node != nullptr ? node->zone() : std::string()};
}

void buildServicePorts(const Service& svc, const ClusterSnapshot& cluster,
                       const NodeTopology& topology, const ProxyConfig& config,
                       std::map<ServicePortKey, ServicePortState>& into) {
  if (skipService(svc)) return;
  const std::vector<const EndpointSlice*> slices = serviceSlices(cluster, svc.meta.key());
  std::set<IPFamily> seen;
  for (const IPAddr& clusterIP : svc.clusterIPs) {
    const IPFamily family = clusterIP.family();
    // The first clusterIP of a family is that family's; this proxy serves only its families.
    if (!seen.insert(family).second || !config.families.contains(family)) continue;
    for (const ServicePort& port : svc.ports) {
      ServicePortState sp = describePort(svc, port, clusterIP);
      selectEndpoints(sp, collectEndpoints(slices, port, family, config.nodeName), topology);
      ServicePortKey portKey = sp.key;
      into.insert_or_assign(std::move(portKey), std::move(sp));
    }
  }
}

ProxyState buildState(const ClusterSnapshot& cluster, const Node* node, const ProxyConfig& config) {
  ProxyState state;
  state.global = buildGlobalState(node, config);
  const NodeTopology topology = nodeTopology(node, config);
  for (const auto& [key, svc] : cluster.services) {
    buildServicePorts(svc, cluster, topology, config, state.servicePorts);
  }
  return state;
}

}  // namespace kpx
