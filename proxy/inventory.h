// What the kernel holds, as service ports: the typed result of Dataplane::dump(), and what a
// backend should hold for a desired state (expectedInventory). A drift check is one comparison
// (`expectedInventory(desired) == dump()->withoutDraining()`); `kpx dump` prints it.
//
// The inventory is deliberately coarser than any backend's rules: only what every backend can
// read back from its kernel objects (which addresses answer for which service port, where they
// send packets, and with what affinity). Masquerade and source-range rules are not in it.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "proxy/ip.h"
#include "proxy/state.h"

namespace kpx {

// Where a virtual address comes from. externalIPs and load-balancer ingress IPs are one kind:
// every backend programs them the same way (only the source-range check tells them apart).
enum class VipKind : uint8_t { ClusterIP, External, NodePort };
std::string_view toString(VipKind k);  // "cluster", "external", "nodeport"

// What a new connection to the address gets.
enum class VipAction : uint8_t {
  Endpoints,  // load-balanced to the port's endpoints
  Reject,     // no usable endpoint: ICMP unreachable / TCP reset
  Drop,       // policy Local and no endpoint on this node
};
std::string_view toString(VipAction a);  // "endpoints", "reject", "drop"

struct InventoryVip {
  VipKind kind = VipKind::ClusterIP;
  std::optional<IPAddr> ip;  // none for a NodePort: it answers on the node's addresses
  uint16_t port = 0;
  VipAction action = VipAction::Endpoints;

  std::string str() const;  // "10.96.0.10:80(cluster)", "*:30080(nodeport, drop)"
  auto operator<=>(const InventoryVip&) const = default;
};

enum class EndpointPhase : uint8_t {
  Active,    // receives new connections
  Draining,  // removed from the service, kept until its connections end (IPVS weight 0)
};

struct InventoryEndpoint {
  IPAddr ip;
  uint16_t port = 0;
  EndpointPhase phase = EndpointPhase::Active;

  std::string str() const;  // "10.244.1.2:8080", "[fd00::1]:8080", "... (draining)"
  auto operator<=>(const InventoryEndpoint&) const = default;
};

struct InventoryPort {
  ServicePortKey key;
  std::vector<InventoryVip> vips;            // sorted, unique
  std::vector<InventoryEndpoint> endpoints;  // sorted, unique: both traffic classes together
  // ClientIP affinity timeout. Backends keep affinity with the endpoints, so a port without
  // endpoints reports none.
  std::optional<uint32_t> affinitySeconds;

  auto operator<=>(const InventoryPort&) const = default;
};

struct Inventory {
  std::vector<InventoryPort> ports;  // sorted by key
  std::string raw;                   // the backend's own listing, for `kpx dump --format raw`

  // The same inventory without draining endpoints: what a desired state can be compared with.
  Inventory withoutDraining() const;
  // Equality ignores `raw` (backend text, not content).
  bool operator==(const Inventory& o) const { return ports == o.ports; }
  const InventoryPort* find(const ServicePortKey& key) const;
};

// What a backend's dump() returns once it holds `desired` (conflicts aside: two services
// claiming one address and port are not modelled).
Inventory expectedInventory(const ProxyState& desired);
// One port's entry (the unit expectedInventory is made of).
InventoryPort expectedInventoryPort(const ServicePortState& sp);

// The ports of `a` and `b` that differ, named ("default/web:http (IPv4)"), for drift reports.
std::vector<std::string> inventoryDifferences(const Inventory& want, const Inventory& got);

// Sorts and deduplicates vips and endpoints, and the ports by key: backends fill in any order.
void normalize(Inventory& inv);

}  // namespace kpx
