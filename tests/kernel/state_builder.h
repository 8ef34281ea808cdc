// Builds ProxyState values for backend tests directly, without manifests or buildState(): a
// service port is what the core would have decided (endpoints per traffic class, policies).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/state.h"

namespace kpx::testing {

inline IPAddr addr(std::string_view text) {
  auto ip = IPAddr::parse(text);
  if (!ip) throw std::invalid_argument("bad address in test: " + std::string(text));
  return *ip;
}

inline CIDR prefix(std::string_view text) {
  auto c = CIDR::parse(text);
  if (!c) throw std::invalid_argument("bad prefix in test: " + std::string(text));
  return *c;
}

inline EndpointState endpoint(std::string_view ip, uint16_t port, bool local = false) {
  EndpointState ep;
  ep.ip = addr(ip);
  ep.port = port;
  ep.local = local;
  return ep;
}

// Global settings as a default dual-stack node has them: pod CIDRs 10.244.0.0/16 and
// fd00:10:244::/56 are local traffic, mark 0x4000, NodePorts on every local address.
inline GlobalState defaultGlobal(std::initializer_list<IPFamily> families = {IPFamily::V4,
                                                                             IPFamily::V6}) {
  GlobalState g;
  g.families = families;
  g.localTrafficCIDRs = {prefix("10.244.0.0/16"), prefix("fd00:10:244::/56")};
  g.detectLocalMode = LocalDetectMode::ClusterCIDR;
  g.masqueradeMark = 0x4000;
  g.nodePortAddresses.allLocal = true;
  return g;
}

// A fluent builder for one service port; internal and external endpoints are the same unless
// set apart (eTP=Cluster with every endpoint ready, the common case).
class PortBuilder {
 public:
  PortBuilder(std::string ns, std::string name, std::string portName, std::string_view clusterIP,
              uint16_t port, Protocol protocol = Protocol::TCP) {
    sp_.key.namespace_ = std::move(ns);
    sp_.key.name = std::move(name);
    sp_.key.portName = std::move(portName);
    sp_.key.protocol = protocol;
    sp_.clusterIP = addr(clusterIP);
    sp_.key.family = sp_.clusterIP.family();
    sp_.port = port;
  }

  PortBuilder& endpoints(std::vector<EndpointState> eps) {
    sp_.internal.endpoints = eps;
    sp_.external.endpoints = std::move(eps);
    return *this;
  }
  PortBuilder& externalEndpoints(std::vector<EndpointState> eps, EmptyAction ifEmpty) {
    sp_.external.endpoints = std::move(eps);
    sp_.external.ifEmpty = ifEmpty;
    return *this;
  }
  PortBuilder& nodePort(uint16_t port) {
    sp_.nodePort = port;
    if (sp_.type == ServiceType::ClusterIP) sp_.type = ServiceType::NodePort;
    return *this;
  }
  PortBuilder& externalIP(std::string_view ip) {
    sp_.externalIPs.push_back(addr(ip));
    return *this;
  }
  PortBuilder& loadBalancer(std::string_view ip, std::vector<std::string_view> sourceRanges = {}) {
    sp_.type = ServiceType::LoadBalancer;
    sp_.loadBalancerIPs.push_back(addr(ip));
    for (auto r : sourceRanges) sp_.loadBalancerSourceRanges.push_back(prefix(r));
    return *this;
  }
  PortBuilder& externalPolicyLocal() {
    sp_.externalPolicy = TrafficPolicy::Local;
    return *this;
  }
  PortBuilder& affinity(uint32_t seconds) {
    sp_.affinityTimeoutSeconds = seconds;
    return *this;
  }

  const ServicePortState& get() const { return sp_; }
  operator ServicePortState() const { return sp_; }  // NOLINT: builder converts implicitly

 private:
  ServicePortState sp_;
};

inline void put(ProxyState& state, const ServicePortState& sp) {
  state.servicePorts[sp.key] = sp;
}

inline ProxyState stateOf(GlobalState global, std::initializer_list<ServicePortState> ports) {
  ProxyState s;
  s.global = std::move(global);
  for (const auto& sp : ports) put(s, sp);
  return s;
}

// N ClusterIP services ns/svc-<i>:http (10.96.x.y:80), each with `endpoints` endpoints
// 10.(100+k).x.y:8080, IPv4 only: the shape of the scale tests.
inline ProxyState manyServices(size_t n, size_t endpoints) {
  ProxyState s;
  s.global = defaultGlobal({IPFamily::V4});
  for (size_t i = 0; i < n; ++i) {
    const std::string hi = std::to_string((i >> 8) & 0xff), lo = std::to_string(i & 0xff);
    std::vector<EndpointState> eps;
    for (size_t k = 0; k < endpoints; ++k)
      eps.push_back(endpoint("10." + std::to_string(100 + k) + "." + hi + "." + lo, 8080));
    put(s, PortBuilder("ns", "svc-" + std::to_string(i), "http", "10.96." + hi + "." + lo, 80)
               .endpoints(std::move(eps)));
  }
  return s;
}

}  // namespace kpx::testing
