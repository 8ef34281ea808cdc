// Names of kpx's nftables objects. Per-service chains carry the readable service port name
// behind a short hash, kube-proxy style: "service-H4K2P7QA-default/web/tcp/http", so that
// `nft list ruleset` reads as services and endpoints.
#pragma once

#include <string>
#include <string_view>

#include "proxy/state.h"

namespace kpx::nftables {

inline constexpr std::string_view kTable = "kpx";

// Sets and maps.
inline constexpr std::string_view kServiceIPs = "service-ips";            // daddr . proto . port : verdict
inline constexpr std::string_view kServiceNodePorts = "service-nodeports";  // proto . port : verdict
inline constexpr std::string_view kNodePortIPs = "nodeport-ips";          // addresses, when not all local
inline constexpr std::string_view kNoEndpointServices = "no-endpoint-services";
inline constexpr std::string_view kNoEndpointNodePorts = "no-endpoint-nodeports";
inline constexpr std::string_view kFirewallIPs = "firewall-ips";          // LB ip . proto . port : goto firewall
inline constexpr std::string_view kClusterIPs = "cluster-ips";
inline constexpr std::string_view kAffinity = "affinity";                 // saddr . endpoint key, dynamic
inline constexpr std::string_view kHairpin = "hairpin";                   // endpoint . endpoint
// Endpoint addresses, `target id . slot : addr . port`, spread over a fixed number of maps:
// adding an element costs O(rules that use its map), so one map for all services is quadratic
// (README.md, layout (c)).
inline constexpr uint32_t kEndpointMaps = 64;
std::string endpointMap(uint32_t shard);  // "endpoints-07"

// Helper chains.
inline constexpr std::string_view kServicesChain = "services";
inline constexpr std::string_view kMasquerading = "masquerading";
inline constexpr std::string_view kMarkForMasquerade = "mark-for-masquerade";
inline constexpr std::string_view kRejectChain = "reject-chain";
inline constexpr std::string_view kFirewallCheck = "firewall-check";
inline constexpr std::string_view kServiceEndpointsCheck = "service-endpoints-check";
inline constexpr std::string_view kNodePortEndpointsCheck = "nodeport-endpoints-check";
inline constexpr std::string_view kClusterIPsCheck = "cluster-ips-check";

// 8 base32 characters of a stable hash of the service port (and endpoint): keeps names unique
// and short to compare, while the readable part says what the chain is for.
std::string shortHash(std::string_view text);

std::string serviceChain(const ServicePortKey& key);   // internal traffic
std::string externalChain(const ServicePortKey& key);  // NodePort, externalIPs, LB IPs
std::string firewallChain(const ServicePortKey& key);  // loadBalancerSourceRanges
std::string endpointChain(const ServicePortKey& key, const EndpointState& ep);

// What a chain name says about its service port, for `kpx dump`: "default/web/tcp/http" and,
// for endpoint chains, "10.244.0.11/8080". Empty when the name is not a per-service chain.
struct ParsedChainName {
  std::string kind;     // "service", "external", "firewall", "endpoint"
  std::string port;     // "default/web/tcp/http"
  std::string endpoint; // "10.244.0.11/8080" (endpoint chains)
};
ParsedChainName parseChainName(std::string_view name);

}  // namespace kpx::nftables
