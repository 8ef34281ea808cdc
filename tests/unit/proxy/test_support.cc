#include "tests/unit/proxy/test_support.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <type_traits>

#include "proxy/build_state.h"

namespace kpx::test {

IPAddr ip(std::string_view text) {
  auto parsed = IPAddr::parse(text);
  if (!parsed) throw std::invalid_argument("bad IP in test table: " + std::string(text));
  return *parsed;
}

CIDR cidr(std::string_view text) {
  auto parsed = CIDR::parse(text);
  if (!parsed) throw std::invalid_argument("bad CIDR in test table: " + std::string(text));
  return *parsed;
}

// ---- Service ----

ServiceBuilder::ServiceBuilder(std::string namespace_, std::string name) {
  svc_.meta.namespace_ = std::move(namespace_);
  svc_.meta.name = std::move(name);
}

ServiceBuilder makeService(std::string namespace_, std::string name) {
  return ServiceBuilder(std::move(namespace_), std::move(name));
}

ServiceBuilder& ServiceBuilder::type(ServiceType t) {
  svc_.type = t;
  return *this;
}

ServiceBuilder& ServiceBuilder::clusterIP(std::string_view address) {
  svc_.clusterIPs.push_back(ip(address));
  svc_.ipFamilies.push_back(svc_.clusterIPs.back().family());
  return *this;
}

ServiceBuilder& ServiceBuilder::headless() {
  svc_.headless = true;
  return *this;
}

ServiceBuilder& ServiceBuilder::externalName(std::string name) {
  svc_.type = ServiceType::ExternalName;
  svc_.externalName = std::move(name);
  return *this;
}

ServiceBuilder& ServiceBuilder::port(std::string name, uint16_t number, Protocol protocol) {
  svc_.ports.push_back(ServicePort{.name = std::move(name),
                                   .protocol = protocol,
                                   .port = number,
                                   .targetPort = IntOrString{number},
                                   .nodePort = 0});
  return *this;
}

ServiceBuilder& ServiceBuilder::nodePort(uint16_t number) {
  svc_.ports.back().nodePort = number;
  return *this;
}

ServiceBuilder& ServiceBuilder::targetPort(std::string name) {
  svc_.ports.back().targetPort = IntOrString{std::move(name)};
  return *this;
}

ServiceBuilder& ServiceBuilder::externalIP(std::string_view address) {
  svc_.externalIPs.push_back(ip(address));
  return *this;
}

ServiceBuilder& ServiceBuilder::ingress(std::string_view address, std::string ipMode) {
  svc_.loadBalancerIngress.push_back(
      LoadBalancerIngress{.ip = ip(address), .hostname = "", .ipMode = std::move(ipMode)});
  return *this;
}

ServiceBuilder& ServiceBuilder::ingressHostname(std::string hostname) {
  svc_.loadBalancerIngress.push_back(
      LoadBalancerIngress{.ip = std::nullopt, .hostname = std::move(hostname), .ipMode = ""});
  return *this;
}

ServiceBuilder& ServiceBuilder::sourceRange(std::string_view range) {
  svc_.loadBalancerSourceRanges.push_back(cidr(range));
  return *this;
}

ServiceBuilder& ServiceBuilder::externalPolicy(TrafficPolicy p) {
  svc_.externalTrafficPolicy = p;
  return *this;
}

ServiceBuilder& ServiceBuilder::internalPolicy(TrafficPolicy p) {
  svc_.internalTrafficPolicy = p;
  return *this;
}

ServiceBuilder& ServiceBuilder::healthCheckNodePort(uint16_t number) {
  svc_.healthCheckNodePort = number;
  return *this;
}

ServiceBuilder& ServiceBuilder::affinity(std::optional<int32_t> timeoutSeconds) {
  svc_.sessionAffinity = SessionAffinity::ClientIP;
  if (timeoutSeconds) svc_.affinityTimeoutSeconds = *timeoutSeconds;
  return *this;
}

ServiceBuilder& ServiceBuilder::label(std::string key, std::string value) {
  svc_.meta.labels[std::move(key)] = std::move(value);
  return *this;
}

// ---- Endpoint ----

EndpointBuilder::EndpointBuilder(std::string address) {
  ep_.address = std::move(address);
}

EndpointBuilder makeEndpoint(std::string address) {
  return EndpointBuilder(std::move(address));
}

EndpointBuilder makeTerminating(std::string address) {
  return makeEndpoint(std::move(address)).ready(false).serving(true).terminating(true);
}

EndpointBuilder& EndpointBuilder::node(std::string name) {
  ep_.nodeName = std::move(name);
  return *this;
}

EndpointBuilder& EndpointBuilder::ready(bool v) {
  ep_.conditions.ready = v;
  return *this;
}

EndpointBuilder& EndpointBuilder::serving(bool v) {
  ep_.conditions.serving = v;
  return *this;
}

EndpointBuilder& EndpointBuilder::terminating(bool v) {
  ep_.conditions.terminating = v;
  return *this;
}

EndpointBuilder& EndpointBuilder::zoneHints(std::initializer_list<std::string> zones) {
  ep_.setHints(zones, ep_.hintNodes());
  return *this;
}

EndpointBuilder& EndpointBuilder::nodeHints(std::initializer_list<std::string> nodes) {
  ep_.setHints(ep_.hintZones(), nodes);
  return *this;
}

// ---- EndpointSlice ----

SliceBuilder::SliceBuilder(std::string namespace_, std::string name, std::string service,
                           AddressType type) {
  slice_.meta.namespace_ = std::move(namespace_);
  slice_.meta.name = std::move(name);
  slice_.meta.labels[std::string(kServiceNameLabel)] = service;
  slice_.serviceName = std::move(service);
  slice_.addressType = type;
}

SliceBuilder makeSlice(std::string namespace_, std::string name, std::string service,
                       AddressType type) {
  return SliceBuilder(std::move(namespace_), std::move(name), std::move(service), type);
}

SliceBuilder& SliceBuilder::port(std::optional<std::string> name, std::optional<uint16_t> number,
                                 Protocol protocol) {
  slice_.ports.push_back(
      EndpointPort{.name = std::move(name), .protocol = protocol, .port = number});
  return *this;
}

SliceBuilder& SliceBuilder::endpoint(Endpoint e) {
  slice_.endpoints.push_back(std::move(e));
  return *this;
}

SliceBuilder& SliceBuilder::label(std::string key, std::string value) {
  slice_.meta.labels[std::move(key)] = std::move(value);
  return *this;
}

// ---- Node ----

NodeBuilder::NodeBuilder(std::string name) {
  node_.meta.name = std::move(name);
}

NodeBuilder makeNode(std::string name) {
  return NodeBuilder(std::move(name));
}

NodeBuilder& NodeBuilder::zone(std::string name) {
  node_.meta.labels[std::string(kZoneLabel)] = std::move(name);
  return *this;
}

NodeBuilder& NodeBuilder::address(std::string type, std::string address) {
  node_.addresses.push_back(NodeAddress{.type = std::move(type), .address = std::move(address)});
  return *this;
}

NodeBuilder& NodeBuilder::podCIDR(std::string_view range) {
  node_.podCIDRs.push_back(cidr(range));
  return *this;
}

// ---- Snapshot and config ----

ProxyConfig defaultConfig() {
  ProxyConfig config;
  config.nodeName = std::string(kNodeName);
  config.clusterCIDRs = {cidr("10.0.0.0/8"), cidr("fd00::/48")};
  return config;
}

ClusterSnapshot makeSnapshot(const std::vector<Service>& services,
                             const std::vector<EndpointSlice>& slices,
                             const std::optional<Node>& node) {
  ClusterSnapshot cluster;
  for (const Service& s : services) upsert(cluster, s);
  for (const EndpointSlice& s : slices) upsert(cluster, s);
  if (node) upsert(cluster, *node);
  return cluster;
}

void expectBuildCases(const std::vector<BuildCase>& cases) {
  for (const BuildCase& c : cases) {
    SCOPED_TRACE(c.name);
    const ClusterSnapshot cluster = makeSnapshot(c.services, c.slices, c.node);
    const Node* node = c.node ? cluster.node(c.node->meta.name) : nullptr;
    const ProxyState state = buildState(cluster, node, c.config);
    EXPECT_EQ(describe(state), c.expected);
    // Pure: the same input gives the same output.
    EXPECT_EQ(buildState(cluster, node, c.config), state);
  }
}

void expectSameChanges(const StateChanges& got, const StateChanges& want) {
  EXPECT_EQ(got.global, want.global);
  ASSERT_EQ(got.before.size(), want.before.size());
  for (auto g = got.before.begin(), w = want.before.begin(); g != got.before.end(); ++g, ++w) {
    EXPECT_EQ(g->first, w->first);
    EXPECT_EQ(g->second, w->second) << g->first.str();
  }
}

// ---- Printers ----

namespace {

template <typename T>
std::string joinStr(const std::vector<T>& items, const char* sep = ",") {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += sep;
    if constexpr (std::is_same_v<T, EndpointState>) {
      out += describe(item);
    } else {
      out += item.str();
    }
  }
  return out;
}

std::string hostPort(const IPAddr& address, uint16_t port) {
  EndpointState e;
  e.ip = address;
  e.port = port;
  return e.str();
}

std::string describe(const TrafficTarget& t) {
  if (t.endpoints.empty()) return std::string(toString(t.ifEmpty));
  return "[" + joinStr(t.endpoints, " ") + "]";
}

}  // namespace

std::string describe(const EndpointState& e) {
  std::string out = e.str();
  if (e.local) out += "/local";
  if (!e.ready) out += "/notready";
  if (!e.serving) out += "/notserving";
  if (e.terminating) out += "/terminating";
  return out;
}

std::string describe(const ServicePortState& sp) {
  std::string out = sp.key.str() + " " + std::string(toString(sp.key.protocol)) + " " +
                    std::string(toString(sp.key.family)) + " " + hostPort(sp.clusterIP, sp.port);
  if (sp.type != ServiceType::ClusterIP) out += " type=" + std::string(toString(sp.type));
  if (sp.nodePort != 0) out += " nodePort=" + std::to_string(sp.nodePort);
  if (!sp.externalIPs.empty()) out += " externalIPs=" + joinStr(sp.externalIPs);
  if (!sp.loadBalancerIPs.empty()) out += " lbIPs=" + joinStr(sp.loadBalancerIPs);
  if (!sp.loadBalancerSourceRanges.empty()) {
    out += " sourceRanges=" + joinStr(sp.loadBalancerSourceRanges);
  }
  if (sp.internalPolicy == TrafficPolicy::Local) out += " iTP=Local";
  if (sp.externalPolicy == TrafficPolicy::Local) out += " eTP=Local";
  if (sp.affinityTimeoutSeconds) out += " affinity=" + std::to_string(*sp.affinityTimeoutSeconds);
  if (sp.healthCheckNodePort != 0) out += " hcPort=" + std::to_string(sp.healthCheckNodePort);
  if (sp.localReadyEndpoints != 0) out += " localReady=" + std::to_string(sp.localReadyEndpoints);
  out += " internal=" + describe(sp.internal);
  if (sp.externallyAccessible()) {
    out += " external=" + describe(sp.external);
  } else if (sp.external != TrafficTarget{}) {
    // Contract: a port nobody reaches from outside keeps `external` at its default.
    out += " UNEXPECTED-external=" + describe(sp.external);
  }
  return out;
}

std::vector<std::string> describe(const ProxyState& state) {
  std::vector<std::string> out;
  for (const auto& [key, sp] : state.servicePorts) {
    std::string line = describe(sp);
    if (key != sp.key) line += " KEY-MISMATCH=" + key.str();
    out.push_back(std::move(line));
  }
  return out;
}

}  // namespace kpx::test

namespace kpx {

void PrintTo(const NodePortAddresses& n, std::ostream* os) {
  if (n.allLocal) *os << "allLocal";
  for (const CIDR& c : n.cidrs) *os << " " << c.str();
}

void PrintTo(const GlobalState& g, std::ostream* os) {
  *os << "{localTrafficCIDRs=[";
  for (const CIDR& c : g.localTrafficCIDRs) *os << c.str() << " ";
  *os << "] mode=" << toString(g.detectLocalMode) << " localInterface=" << g.localInterface
      << " masqueradeAll=" << g.masqueradeAll << " mark=0x" << std::hex << g.masqueradeMark
      << std::dec << " nodePortAddresses=";
  PrintTo(g.nodePortAddresses, os);
  *os << " families=";
  for (IPFamily f : g.families) *os << toString(f) << " ";
  *os << "}";
}

void PrintTo(const ServicePortKey& k, std::ostream* os) {
  *os << k.str() << "/" << toString(k.protocol) << "/" << toString(k.family);
}

void PrintTo(const EndpointState& e, std::ostream* os) {
  *os << test::describe(e);
}

}  // namespace kpx
