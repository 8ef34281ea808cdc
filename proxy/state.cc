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
