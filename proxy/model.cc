#include "proxy/model.h"

#include <netinet/in.h>

namespace kpx {

std::string objectKey(std::string_view namespace_, std::string_view name) {
  std::string out;
  if (!namespace_.empty()) {
    out.reserve(namespace_.size() + 1 + name.size());
    out.append(namespace_).push_back('/');
  }
  out.append(name);
  return out;
}

std::string_view toString(Protocol p) {
  switch (p) {
    case Protocol::TCP:
      return "TCP";
    case Protocol::UDP:
      return "UDP";
    case Protocol::SCTP:
      return "SCTP";
  }
  return "?";
}

std::string_view toLowerString(Protocol p) {
  switch (p) {
    case Protocol::TCP:
      return "tcp";
    case Protocol::UDP:
      return "udp";
    case Protocol::SCTP:
      return "sctp";
  }
  return "?";
}

std::optional<Protocol> parseProtocol(std::string_view text) {
  if (text == "TCP") return Protocol::TCP;
  if (text == "UDP") return Protocol::UDP;
  if (text == "SCTP") return Protocol::SCTP;
  return std::nullopt;
}

uint8_t ipProtoNumber(Protocol p) {
  switch (p) {
    case Protocol::TCP:
      return IPPROTO_TCP;
    case Protocol::UDP:
      return IPPROTO_UDP;
    case Protocol::SCTP:
      return IPPROTO_SCTP;
  }
  return 0;
}

std::string_view toString(ServiceType t) {
  switch (t) {
    case ServiceType::ClusterIP:
      return "ClusterIP";
    case ServiceType::NodePort:
      return "NodePort";
    case ServiceType::LoadBalancer:
      return "LoadBalancer";
    case ServiceType::ExternalName:
      return "ExternalName";
  }
  return "?";
}

std::string_view toString(TrafficPolicy t) {
  return t == TrafficPolicy::Local ? "Local" : "Cluster";
}

namespace {
const std::vector<std::string> kNoHints;
}  // namespace

const std::vector<std::string>& Endpoint::hintZones() const {
  return hints ? hints->forZones : kNoHints;
}

const std::vector<std::string>& Endpoint::hintNodes() const {
  return hints ? hints->forNodes : kNoHints;
}

void Endpoint::setHints(std::vector<std::string> zones, std::vector<std::string> nodes) {
  if (zones.empty() && nodes.empty()) {
    hints.reset();
    return;
  }
  hints = std::make_shared<const EndpointHints>(
      EndpointHints{.forZones = std::move(zones), .forNodes = std::move(nodes)});
}

bool Endpoint::operator==(const Endpoint& other) const {
  return address == other.address && conditions == other.conditions && nodeName == other.nodeName &&
         hintZones() == other.hintZones() && hintNodes() == other.hintNodes();
}

std::string_view toString(AddressType t) {
  switch (t) {
    case AddressType::IPv4:
      return "IPv4";
    case AddressType::IPv6:
      return "IPv6";
    case AddressType::FQDN:
      return "FQDN";
  }
  return "?";
}

std::vector<IPAddr> Node::primaryIPs() const {
  std::vector<IPAddr> out;
  for (const char* type : {"InternalIP", "ExternalIP"}) {
    for (const auto& a : addresses) {
      if (a.type != type) continue;
      if (auto ip = IPAddr::parse(a.address)) out.push_back(*ip);
    }
  }
  return out;
}

}  // namespace kpx
