#include "watch/enum_values.h"

namespace kpx::watch {

std::optional<ServiceType> parseServiceType(std::string_view text) {
  if (text == "ClusterIP") return ServiceType::ClusterIP;
  if (text == "NodePort") return ServiceType::NodePort;
  if (text == "LoadBalancer") return ServiceType::LoadBalancer;
  if (text == "ExternalName") return ServiceType::ExternalName;
  return std::nullopt;
}

std::optional<TrafficPolicy> parseTrafficPolicy(std::string_view text) {
  if (text == "Cluster" || text == "Global") return TrafficPolicy::Cluster;
  if (text == "Local" || text == "OnlyLocal") return TrafficPolicy::Local;
  return std::nullopt;
}

std::optional<SessionAffinity> parseSessionAffinity(std::string_view text) {
  if (text == "None") return SessionAffinity::None;
  if (text == "ClientIP") return SessionAffinity::ClientIP;
  return std::nullopt;
}

std::optional<AddressType> parseAddressType(std::string_view text) {
  if (text == "IPv4") return AddressType::IPv4;
  if (text == "IPv6") return AddressType::IPv6;
  if (text == "FQDN") return AddressType::FQDN;
  return std::nullopt;
}

}  // namespace kpx::watch
