// Typed Kubernetes objects, as much of them as a service proxy needs (docs/semantics.md).
// Built by watch/ (parsing + validation), consumed by build_state(). Plain values.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "proxy/ip.h"

namespace kpx {

enum class Protocol : uint8_t { TCP, UDP, SCTP };
std::string_view toString(Protocol p);       // "TCP"
std::string_view toLowerString(Protocol p);  // "tcp", as nft and iptables spell it
std::optional<Protocol> parseProtocol(std::string_view text);
uint8_t ipProtoNumber(Protocol p);  // IPPROTO_TCP, ...

// "namespace/name", or "name" when the namespace is empty (Nodes): the snapshot's map key.
std::string objectKey(std::string_view namespace_, std::string_view name);

// What kpx keeps of metadata. uid and annotations are type-checked when read but not kept:
// nothing reads them, and the snapshot holds 20,000 objects at 10,000 services. labels holds
// only the labels kpx reads (watch/read_meta.cc). resourceVersion is kept for the KubeSource
// tests, which compare the store's versions with the API server's.
struct ObjectMeta {
  std::string namespace_;
  std::string name;
  std::string resourceVersion;
  std::map<std::string, std::string> labels;

  std::string key() const { return objectKey(namespace_, name); }
  bool operator==(const ObjectMeta&) const = default;
};

// A port by number or by IANA name, as Kubernetes' IntOrString for targetPort.
struct IntOrString {
  std::variant<int32_t, std::string> value{int32_t{0}};
  bool isName() const { return std::holds_alternative<std::string>(value); }
  int32_t number() const { return isName() ? 0 : std::get<int32_t>(value); }
  const std::string& name() const { return std::get<std::string>(value); }
  std::string str() const { return isName() ? name() : std::to_string(number()); }
  bool operator==(const IntOrString&) const = default;
};

enum class ServiceType : uint8_t { ClusterIP, NodePort, LoadBalancer, ExternalName };
std::string_view toString(ServiceType t);
enum class TrafficPolicy : uint8_t { Cluster, Local };
std::string_view toString(TrafficPolicy t);
enum class SessionAffinity : uint8_t { None, ClientIP };

inline constexpr int32_t kDefaultAffinityTimeoutSeconds = 10800;
inline constexpr std::string_view kServiceProxyNameLabel =
    "service.kubernetes.io/service-proxy-name";
inline constexpr std::string_view kHeadlessLabel = "service.kubernetes.io/headless";
inline constexpr std::string_view kServiceNameLabel = "kubernetes.io/service-name";
inline constexpr std::string_view kZoneLabel = "topology.kubernetes.io/zone";

struct ServicePort {
  std::string name;
  Protocol protocol = Protocol::TCP;
  uint16_t port = 0;
  IntOrString targetPort;  // informational: endpoints carry the resolved number
  uint16_t nodePort = 0;   // 0: none
  bool operator==(const ServicePort&) const = default;
};

struct LoadBalancerIngress {
  std::optional<IPAddr> ip;
  std::string hostname;
  std::string ipMode;  // "", "VIP" or "Proxy"
  bool operator==(const LoadBalancerIngress&) const = default;
};

struct Service {
  ObjectMeta meta;
  ServiceType type = ServiceType::ClusterIP;
  bool headless = false;           // clusterIP: None
  std::vector<IPAddr> clusterIPs;  // clusterIP first, as the API server orders clusterIPs
  std::vector<IPFamily> ipFamilies;
  std::vector<ServicePort> ports;
  std::vector<IPAddr> externalIPs;
  SessionAffinity sessionAffinity = SessionAffinity::None;
  int32_t affinityTimeoutSeconds = kDefaultAffinityTimeoutSeconds;
  TrafficPolicy externalTrafficPolicy = TrafficPolicy::Cluster;
  TrafficPolicy internalTrafficPolicy = TrafficPolicy::Cluster;
  uint16_t healthCheckNodePort = 0;
  std::vector<CIDR> loadBalancerSourceRanges;
  std::vector<LoadBalancerIngress> loadBalancerIngress;
  std::string trafficDistribution;  // "", "PreferClose", "PreferSameZone", "PreferSameNode"
  std::string externalName;
  bool operator==(const Service&) const = default;
};

enum class AddressType : uint8_t { IPv4, IPv6, FQDN };
std::string_view toString(AddressType t);

struct EndpointPort {
  std::optional<std::string> name;  // nil and "" both mean the unnamed port
  Protocol protocol = Protocol::TCP;
  std::optional<uint16_t> port;  // nil: all ports (not usable by a proxy)
  bool operator==(const EndpointPort&) const = default;
};

struct EndpointConditions {
  std::optional<bool> ready;        // nil means ready
  std::optional<bool> serving;      // nil means serving (as kube-proxy reads it)
  std::optional<bool> terminating;  // nil means false
  bool isReady() const { return ready.value_or(true); }
  bool isServing() const { return serving.value_or(true); }
  bool isTerminating() const { return terminating.value_or(false); }
  bool operator==(const EndpointConditions&) const = default;
};

// hints.forZones[].name and hints.forNodes[].name. Set only with topology-aware routing, so an
// Endpoint keeps them behind one pointer (null: none); never modified once read, so copies share.
struct EndpointHints {
  std::vector<std::string> forZones;
  std::vector<std::string> forNodes;
  bool operator==(const EndpointHints&) const = default;
};

// What a proxy reads of an endpoint. The snapshot holds one per pod of every service (100,000 at
// 10,000 x 10), so it keeps only that: hostname and zone are validated but not kept (selection
// reads the hints, not the endpoint's zone), a nodeName of nil and "" are the same to
// kube-proxy, and of addresses[] only the first is kept, the one kube-proxy reads (the API
// allows exactly one today; the others are validated). 88 bytes, with no allocation for an IPv4
// address (a vector of them cost 48 more).
struct Endpoint {
  std::string address;  // addresses[0] as text ("" when none): FQDN slices hold a name
  EndpointConditions conditions;
  std::string nodeName;  // "" when unset
  std::shared_ptr<const EndpointHints> hints;

  const std::vector<std::string>& hintZones() const;
  const std::vector<std::string>& hintNodes() const;
  // Stores the hints, or none when both lists are empty (so that equal endpoints compare equal).
  void setHints(std::vector<std::string> zones, std::vector<std::string> nodes);
  bool operator==(const Endpoint& other) const;
};

struct EndpointSlice {
  ObjectMeta meta;
  std::string serviceName;  // label kubernetes.io/service-name; empty: not owned by a service
  AddressType addressType = AddressType::IPv4;
  std::vector<EndpointPort> ports;
  std::vector<Endpoint> endpoints;
  bool operator==(const EndpointSlice&) const = default;
};

struct NodeAddress {
  std::string type;  // InternalIP, ExternalIP, Hostname, ...
  std::string address;
  bool operator==(const NodeAddress&) const = default;
};

struct Node {
  ObjectMeta meta;
  std::vector<NodeAddress> addresses;
  std::vector<CIDR> podCIDRs;
  // metadata.deletionTimestamp is set, and the keys of spec.taints: what decides whether the
  // node still takes load-balancer traffic (proxy/health/node_eligibility.h).
  bool deleting = false;
  std::vector<std::string> taintKeys;
  std::string zone() const {
    auto it = meta.labels.find(std::string(kZoneLabel));
    return it == meta.labels.end() ? std::string() : it->second;
  }
  // InternalIP addresses first, then ExternalIP: nodePortAddresses "primary".
  std::vector<IPAddr> primaryIPs() const;
  bool operator==(const Node&) const = default;
};

}  // namespace kpx
