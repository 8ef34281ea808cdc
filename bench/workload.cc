#include "bench/workload.h"

#include <algorithm>
#include <string>

namespace kpx::bench {
namespace {

constexpr uint32_t kServiceBase = 0x0A600000;  // 10.96.0.0
constexpr uint16_t kNodePortBase = 30000;
constexpr uint16_t kTargetPort = 8080;

// gen.py's ep_ip(): 10.244.<idx/250>.<idx%250 + 2>, wrapping after 64,000 addresses.
IPAddr endpointIP(int idx) {
  idx %= 256 * 250;
  const auto a = static_cast<uint32_t>(idx / 250);
  const auto b = static_cast<uint32_t>(idx % 250 + 2);
  return IPAddr::v4((10u << 24) | (244u << 16) | (a << 8) | b);
}

EndpointState endpoint(IPAddr ip) {
  EndpointState e;
  e.ip = ip;
  e.port = kTargetPort;
  return e;  // ready, serving, not terminating, not on this node
}

ServicePortKey keyOf(int i) {
  ServicePortKey k;
  k.namespace_ = "ns" + std::to_string(i % 50);
  k.name = "svc" + std::to_string(i);
  k.portName = "http";
  return k;
}

void setEndpoints(ServicePortState& sp, std::vector<EndpointState> eps) {
  std::sort(eps.begin(), eps.end());
  eps.erase(std::unique(eps.begin(), eps.end()), eps.end());
  sp.internal.endpoints = eps;
  sp.external.endpoints = std::move(eps);  // externalTrafficPolicy Cluster: the same set
}

}  // namespace

ProxyState buildWorkload(const Workload& w) {
  ProxyState state;
  auto& g = state.global;
  g.families = {IPFamily::V4};
  g.localTrafficCIDRs = {*CIDR::parse("10.244.0.0/16")};  // gen.py's --cluster-cidr
  g.detectLocalMode = LocalDetectMode::ClusterCIDR;
  g.masqueradeMark = 0x4000;
  g.nodePortAddresses.allLocal = true;
  for (int i = 0; i < w.services; ++i) {
    ServicePortState sp;
    sp.key = keyOf(i);
    sp.type = ServiceType::NodePort;
    sp.clusterIP = IPAddr::v4(kServiceBase + 10 + static_cast<uint32_t>(i));
    sp.port = 80;
    sp.nodePort = static_cast<uint16_t>(kNodePortBase + i);
    std::vector<EndpointState> eps;
    for (int j = 0; j < w.endpoints; ++j) eps.push_back(endpoint(endpointIP(i * w.endpoints + j)));
    setEndpoints(sp, std::move(eps));
    state.servicePorts.emplace(sp.key, std::move(sp));
  }
  return state;
}

ServicePortKey changedKey(const Workload& w) { return keyOf(w.services - 1); }

ProxyState withReplacedEndpoint(const ProxyState& a, const Workload& w) {
  ProxyState b = a;
  ServicePortState& sp = b.servicePorts.at(changedKey(w));
  const IPAddr old = endpointIP((w.services - 1) * w.endpoints);
  std::vector<EndpointState> eps;
  for (const EndpointState& e : sp.internal.endpoints) {
    eps.push_back(e.ip == old ? endpoint(*IPAddr::parse("10.244.255.252")) : e);
  }
  setEndpoints(sp, std::move(eps));
  return b;
}

}  // namespace kpx::bench
