// Value formats the API server enforces on the fields a proxy reads (k8s.io/apimachinery
// validation): DNS names, IANA service names, port numbers, addresses fit to be proxied to.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/ip.h"

namespace kpx::watch {

inline constexpr int64_t kMinPort = 1;
inline constexpr int64_t kMaxPort = 65535;
inline constexpr std::string_view kPortRangeReason = "must be between 1 and 65535, inclusive";

// "web-1": lowercase alphanumerics and '-', alphanumeric at both ends, at most 63 characters.
bool isDns1123Label(std::string_view text);
// "web.example.com": DNS-1123 labels joined by '.', at most 253 characters.
bool isDns1123Subdomain(std::string_view text);
// A DNS-1123 label that starts with a letter: what Service names must be.
bool isDns1035Label(std::string_view text);
// A named port ("http", "grpc-web"): 1-15 lowercase alphanumerics or '-', at least one letter,
// no '-' at either end and no "--".
bool isIanaSvcName(std::string_view text);
bool isValidPort(int64_t port);

// The reasons printed for the rules above, worded as the API server words them.
inline constexpr std::string_view kDns1123LabelReason =
    "must be a lowercase RFC 1123 label: at most 63 lowercase alphanumeric characters or '-', "
    "starting and ending with an alphanumeric character";
inline constexpr std::string_view kDns1123SubdomainReason =
    "must be a lowercase RFC 1123 subdomain: at most 253 characters, lowercase alphanumeric "
    "characters, '-' or '.', starting and ending with an alphanumeric character";
inline constexpr std::string_view kDns1035LabelReason =
    "must be a DNS-1035 label: at most 63 lowercase alphanumeric characters or '-', starting "
    "with a letter and ending with an alphanumeric character";
inline constexpr std::string_view kIanaSvcNameReason =
    "must be a port number between 1 and 65535 or an IANA service name: at most 15 lowercase "
    "alphanumeric characters or '-', with at least one letter and no leading, trailing or "
    "double '-'";

// Why `ip` cannot be a service or endpoint address (unspecified, loopback, link-local unicast or
// multicast, as ValidateNonSpecialIP says), or "" when it can.
std::string specialIPReason(const IPAddr& ip);

// Without leading and trailing ASCII whitespace ("historical accident" padding that the API
// server tolerates in loadBalancerSourceRanges and its annotation).
std::string_view trimSpace(std::string_view text);

}  // namespace kpx::watch
