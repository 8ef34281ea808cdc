// Builders and printers that keep the proxy/ test tables readable: one line per object.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/config.h"
#include "proxy/diff.h"
#include "proxy/model.h"
#include "proxy/state.h"
#include "proxy/state_changes.h"
#include "proxy/store.h"

namespace kpx::test {

inline constexpr Protocol TCP = Protocol::TCP;
inline constexpr Protocol UDP = Protocol::UDP;
inline constexpr Protocol SCTP = Protocol::SCTP;

// Parse or fail loudly: a typo in a table must not silently become another case.
IPAddr ip(std::string_view text);
CIDR cidr(std::string_view text);

class ServiceBuilder {
 public:
  ServiceBuilder(std::string namespace_, std::string name);
  ServiceBuilder& type(ServiceType t);
  ServiceBuilder& clusterIP(std::string_view address);  // appends to clusterIPs and ipFamilies
  ServiceBuilder& headless();
  ServiceBuilder& externalName(std::string name);
  ServiceBuilder& port(std::string name, uint16_t number, Protocol protocol = Protocol::TCP);
  ServiceBuilder& nodePort(uint16_t number);     // of the last port()
  ServiceBuilder& targetPort(std::string name);  // of the last port()
  ServiceBuilder& externalIP(std::string_view address);
  ServiceBuilder& ingress(std::string_view address, std::string ipMode = "");
  ServiceBuilder& ingressHostname(std::string hostname);
  ServiceBuilder& sourceRange(std::string_view range);
  ServiceBuilder& externalPolicy(TrafficPolicy p);
  ServiceBuilder& internalPolicy(TrafficPolicy p);
  ServiceBuilder& healthCheckNodePort(uint16_t number);
  ServiceBuilder& affinity(std::optional<int32_t> timeoutSeconds = std::nullopt);
  ServiceBuilder& label(std::string key, std::string value);
  operator Service() const { return svc_; }  // NOLINT: implicit, so tables read as lists

 private:
  Service svc_;
};
ServiceBuilder makeService(std::string namespace_, std::string name);

class EndpointBuilder {
 public:
  explicit EndpointBuilder(std::string address);  // "": none
  EndpointBuilder& node(std::string name);
  EndpointBuilder& ready(bool v);
  EndpointBuilder& serving(bool v);
  EndpointBuilder& terminating(bool v);
  EndpointBuilder& zoneHints(std::initializer_list<std::string> zones);
  EndpointBuilder& nodeHints(std::initializer_list<std::string> nodes);
  operator Endpoint() const { return ep_; }  // NOLINT

 private:
  Endpoint ep_;
};
EndpointBuilder makeEndpoint(std::string address);
// Serving, not ready, terminating: what a pod looks like while it shuts down gracefully.
EndpointBuilder makeTerminating(std::string address);

class SliceBuilder {
 public:
  SliceBuilder(std::string namespace_, std::string name, std::string service, AddressType type);
  SliceBuilder& port(std::optional<std::string> name, std::optional<uint16_t> number,
                     Protocol protocol = Protocol::TCP);
  SliceBuilder& endpoint(Endpoint e);
  SliceBuilder& label(std::string key, std::string value);
  operator EndpointSlice() const { return slice_; }  // NOLINT

 private:
  EndpointSlice slice_;
};
SliceBuilder makeSlice(std::string namespace_, std::string name, std::string service,
                       AddressType type = AddressType::IPv4);

class NodeBuilder {
 public:
  explicit NodeBuilder(std::string name);
  NodeBuilder& zone(std::string name);
  NodeBuilder& address(std::string type, std::string address);
  NodeBuilder& podCIDR(std::string_view range);
  operator Node() const { return node_; }  // NOLINT

 private:
  Node node_;
};
NodeBuilder makeNode(std::string name);

inline constexpr std::string_view kNodeName = "node-a";
// nodeName node-a, both families, clusterCIDRs 10.0.0.0/8 and fd00::/48, kube-proxy defaults.
ProxyConfig defaultConfig();

ClusterSnapshot makeSnapshot(const std::vector<Service>& services,
                             const std::vector<EndpointSlice>& slices,
                             const std::optional<Node>& node);

// One buildState() case: the cluster, this node and the configuration in, one describe() line
// per service port out (in ServicePortKey order).
struct BuildCase {
  std::string name = {};
  std::vector<Service> services = {};
  std::vector<EndpointSlice> slices = {};
  std::optional<Node> node = std::nullopt;
  ProxyConfig config = defaultConfig();
  std::vector<std::string> expected = {};
};
void expectBuildCases(const std::vector<BuildCase>& cases);

// The same ports with the same previous values, and the same global flag.
void expectSameChanges(const StateChanges& got, const StateChanges& want);

// "10.0.0.1:80", with "/local", "/notready", "/notserving", "/terminating" when they apply.
std::string describe(const EndpointState& e);
// One golden line per service port; fields at their defaults are left out. For example
// "ns/svc:http TCP IPv4 10.96.0.1:80 nodePort=30080 internal=[10.0.0.1:8080] external=drop".
std::string describe(const ServicePortState& sp);
std::vector<std::string> describe(const ProxyState& state);

}  // namespace kpx::test

namespace kpx {
// gtest printers (found by ADL) so failures show values, not bytes.
void PrintTo(const GlobalState& g, std::ostream* os);
void PrintTo(const NodePortAddresses& n, std::ostream* os);
void PrintTo(const ServicePortKey& k, std::ostream* os);
void PrintTo(const EndpointState& e, std::ostream* os);
}  // namespace kpx
