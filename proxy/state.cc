#include "proxy/state.h"

#include "proxy/store.h"

namespace kpx {

std::string ServicePortKey::str() const {
  std::string out = namespace_ + "/" + name;
  if (!portName.empty()) out += ":" + portName;
  return out;
}

std::string ServicePortKey::chainSuffix() const {
  return namespace_ + "/" + name + "/" + std::string(toLowerString(protocol)) + "/" + portName;
}

std::string EndpointState::str() const {
  if (ip.isV4()) return ip.str() + ":" + std::to_string(port);
  return "[" + ip.str() + "]:" + std::to_string(port);
}

namespace {

template <typename Map>
auto portRange(Map& ports, std::string_view namespace_, std::string_view name) {
  // The smallest key of the service: empty port name, and the first protocol and family.
  const ServicePortKey first{.namespace_ = std::string(namespace_),
                             .name = std::string(name),
                             .portName = {},
                             .protocol = Protocol::TCP,
                             .family = IPFamily::V4};
  auto begin = ports.lower_bound(first);
  auto end = begin;
  while (end != ports.end() && end->first.namespace_ == namespace_ && end->first.name == name)
    ++end;
  return std::pair(begin, end);
}

}  // namespace

std::pair<ServicePortMap::const_iterator, ServicePortMap::const_iterator> portsOfService(
    const ServicePortMap& ports, std::string_view namespace_, std::string_view name) {
  return portRange(ports, namespace_, name);
}

std::pair<ServicePortMap::iterator, ServicePortMap::iterator> portsOfService(
    ServicePortMap& ports, std::string_view namespace_, std::string_view name) {
  return portRange(ports, namespace_, name);
}

std::string_view toString(EmptyAction a) { return a == EmptyAction::Drop ? "drop" : "reject"; }

std::string_view toString(LocalDetectMode m) {
  switch (m) {
    case LocalDetectMode::ClusterCIDR: return "ClusterCIDR";
    case LocalDetectMode::NodeCIDR: return "NodeCIDR";
    case LocalDetectMode::BridgeInterface: return "BridgeInterface";
    case LocalDetectMode::InterfaceNamePrefix: return "InterfaceNamePrefix";
  }
  return "?";
}

std::string_view toString(ObjectKind k) {
  switch (k) {
    case ObjectKind::Service: return "Service";
    case ObjectKind::EndpointSlice: return "EndpointSlice";
    case ObjectKind::Node: return "Node";
  }
  return "?";
}

}  // namespace kpx
