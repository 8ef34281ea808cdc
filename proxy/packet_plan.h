// The packet plan of one service port: every per-packet decision kube-proxy's proxiers make,
// as data, so that backends only translate it (docs/semantics.md). For each kind of virtual
// address and each class of traffic source it says: allowed or dropped by source range,
// short-circuited to the internal endpoints or not, masqueraded or not, which endpoint set, and
// reject or drop when that set is empty. Pure; tracePacket() evaluates it for one packet, which
// is what the packet-flow tests (tests/unit/proxy/packet_plan_test.cc) check.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "proxy/inventory.h"
#include "proxy/ip.h"
#include "proxy/state.h"

namespace kpx {

// How this node recognises traffic from its own pods (kube-proxy's LocalTrafficDetector), for
// one IP family. None: traffic from pods cannot be told apart from the node's or the world's.
struct LocalTrafficMatch {
  enum class Kind : uint8_t { None, SourceCIDR, InputInterface, InputInterfacePrefix };
  Kind kind = Kind::None;
  CIDR cidr;              // SourceCIDR
  std::string interface;  // InputInterface (exact name) or InputInterfacePrefix

  bool present() const { return kind != Kind::None; }
  auto operator<=>(const LocalTrafficMatch&) const = default;
};
LocalTrafficMatch localTrafficMatch(const GlobalState& global, IPFamily family);

// Who sent a packet, as far as the plan cares.
enum class SourceClass : uint8_t {
  LocalTraffic,  // matched by the LocalTrafficMatch: this node's pods
  NodeLocal,     // a source address of the node itself (`fib saddr type local`)
};

// Traffic to the ClusterIP.
struct InternalPlan {
  enum class Masquerade : uint8_t {
    Never,         // no way to tell pods from others (no local-traffic match): as kube-proxy
    Always,        // masqueradeAll
    UnlessLocal,   // every source the LocalTrafficMatch does not match
  };
  Masquerade masquerade = Masquerade::Never;
  const TrafficTarget* target = nullptr;  // the internal endpoint set
};

// Traffic to a NodePort, externalIP or load-balancer IP. The short-circuits are tried in order
// before anything else and send their sources to the internal endpoint set; the rest goes to
// `target`.
struct ShortCircuit {
  SourceClass from = SourceClass::LocalTraffic;
  bool masquerade = false;
  auto operator<=>(const ShortCircuit&) const = default;
};
struct ExternalPlan {
  std::vector<ShortCircuit> shortCircuits;
  bool masquerade = true;                 // the rest: eTP=Cluster yes, eTP=Local no
  const TrafficTarget* target = nullptr;  // the external endpoint set
};

// loadBalancerSourceRanges, checked for every source that reaches a load-balancer IP (pods and
// the node included) before anything else; NodePorts and externalIPs are not checked. A source
// in `allowSources` or equal to one of `allowAddresses` passes; any other is dropped.
struct FirewallPlan {
  std::vector<CIDR> allowSources;
  std::vector<IPAddr> allowAddresses;  // the load-balancer IPs themselves (clouds SNAT to them)
  bool active() const { return !allowSources.empty(); }
};

struct PortPlan {
  LocalTrafficMatch localTraffic;
  InternalPlan internal;
  ExternalPlan external;  // meaningful when the port is externally accessible
  FirewallPlan firewall;  // applies to load-balancer IPs only
  // A pod that reaches itself through the service is masqueraded (else the reply would bypass
  // the NAT). Always true today; a plan field so backends do not decide it.
  bool hairpinMasquerade = true;
};

PortPlan planPort(const ServicePortState& sp, const GlobalState& global);

// --- Evaluation, for tests and `kpx plan` ---

struct Packet {
  IPAddr source;
  std::string inputInterface;  // "" for locally generated packets
  bool sourceIsNodeLocal = false;
  VipKind to = VipKind::ClusterIP;
  bool toLoadBalancerIP = false;  // with VipKind::External: an LB IP (the firewall applies)
};

struct PacketFate {
  VipAction action = VipAction::Endpoints;
  const TrafficTarget* target = nullptr;  // with Endpoints: the set chosen from
  bool masquerade = false;                // before hairpin, which depends on the endpoint
  std::string str() const;                // "internal masq", "external", "REJECT", "DROP"
};

PacketFate tracePacket(const PortPlan& plan, const Packet& packet);

}  // namespace kpx
