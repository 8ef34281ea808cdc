// The spellings of the enumerated fields kpx reads, shared by the parser (text -> model) and the
// validator (which names the accepted values when a spelling is unknown).
#pragma once

#include <optional>
#include <string_view>

#include "proxy/model.h"

namespace kpx::watch {

std::optional<ServiceType> parseServiceType(std::string_view text);
// "Cluster" / "Local", and the pre-1.8 beta spellings "Global" / "OnlyLocal" that old manifests
// and annotations still carry (kube-proxy accepted them as the same policies).
std::optional<TrafficPolicy> parseTrafficPolicy(std::string_view text);
std::optional<SessionAffinity> parseSessionAffinity(std::string_view text);
std::optional<AddressType> parseAddressType(std::string_view text);

inline constexpr std::string_view kServiceTypeValues =
    "must be one of \"ClusterIP\", \"NodePort\", \"LoadBalancer\", \"ExternalName\"";
inline constexpr std::string_view kTrafficPolicyValues = "must be one of \"Cluster\", \"Local\"";
inline constexpr std::string_view kSessionAffinityValues = "must be one of \"None\", \"ClientIP\"";
inline constexpr std::string_view kAddressTypeValues =
    "must be one of \"IPv4\", \"IPv6\", \"FQDN\"";
inline constexpr std::string_view kProtocolValues = "must be one of \"TCP\", \"UDP\", \"SCTP\"";
inline constexpr std::string_view kIPFamilyValues = "must be one of \"IPv4\", \"IPv6\"";

}  // namespace kpx::watch
