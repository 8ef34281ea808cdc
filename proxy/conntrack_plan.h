// Which conntrack entries a change of desired state makes stale (DESIGN §3, last rule). Pure:
// dataplane/conntrack applies the filters to the kernel's table.
//
// Why this exists: the kernel NATs a flow once, on its first packet, and then follows the
// conntrack entry. For UDP there is no end of connection, so a client that keeps sending keeps
// reaching an endpoint that is gone, or keeps bypassing a DNAT rule that did not exist when its
// first packet went through. Deleting the entry makes the next packet take the rules again.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "proxy/ip.h"
#include "proxy/model.h"
#include "proxy/state.h"

namespace kpx {

// The parts of one conntrack entry a filter looks at.
struct ConntrackFlow {
  IPFamily family = IPFamily::V4;
  uint8_t protocol = 0;      // IPPROTO_* of the original tuple
  IPAddr origDst;            // what the client sent to (a VIP, a node address)
  uint16_t origDstPort = 0;  // host order
  IPAddr replySrc;           // who answers: the endpoint after DNAT, origDst without NAT
  auto operator<=>(const ConntrackFlow&) const = default;
};

// Selects entries to delete, as upstream's filters (`conntrack -D -p udp --orig-dst X
// --orig-port-dst P --reply-src E`) do: a field left unset matches anything.
struct ConntrackFilter {
  IPFamily family = IPFamily::V4;
  Protocol protocol = Protocol::UDP;
  std::optional<IPAddr> origDst;
  std::optional<uint16_t> origDstPort;
  std::optional<IPAddr> replySrc;

  bool matches(const ConntrackFlow& flow) const;
  // "IPv4 udp orig-dst=10.96.0.10 orig-port-dst=53 reply-src=10.244.1.5", for logs.
  std::string str() const;
  auto operator<=>(const ConntrackFilter&) const = default;
};

// The filters that remove what `before` -> `after` makes stale, sorted and deduplicated. Only
// UDP service ports count (upstream cleans neither TCP, which resets, nor SCTP). A frontend is a
// virtual address and port (ClusterIP, externalIP, LB IP) or a NodePort (any address of its
// family); its endpoints are the union of the port's internal and external sets, so a change of
// traffic policy alone never breaks flows (as upstream, which ignores policies here):
// - a (frontend, endpoint) pair that existed before and not after (the endpoint went away, or
//   the frontend did) -> orig-dst = VIP, orig-port-dst = port (or just orig-port-dst = NodePort),
//   reply-src = endpoint IP;
// - a frontend that has endpoints after and had none before (or did not exist: a new service,
//   a new externalIP, and every service on the first sync after a restart, as upstream) ->
//   the same without reply-src: entries made while nothing DNATed that address.
std::vector<ConntrackFilter> conntrackCleanup(const ProxyState& before, const ProxyState& after);

}  // namespace kpx
