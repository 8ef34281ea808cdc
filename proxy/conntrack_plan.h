// Which UDP conntrack entries are stale (docs/semantics.md, "UDP conntrack cleanup"). Pure:
// dataplane/conntrack applies the decision to the kernel's table.
//
// Why this exists: the kernel NATs a flow once, on its first packet, and then follows the
// conntrack entry. For UDP there is no end of connection, so a client that keeps sending keeps
// reaching an endpoint that is gone, or keeps bypassing a DNAT rule that did not exist when its
// first packet went through. Deleting the entry makes the next packet take the rules again.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "proxy/ip.h"
#include "proxy/model.h"
#include "proxy/state.h"
#include "proxy/state_changes.h"

namespace kpx {

// The parts of one conntrack entry a filter looks at.
struct ConntrackFlow {
  IPFamily family = IPFamily::V4;
  uint8_t protocol = 0;       // IPPROTO_* of the original tuple
  IPAddr origDst;             // what the client sent to (a VIP, a node address)
  uint16_t origDstPort = 0;   // host order
  IPAddr replySrc;            // who answers: the endpoint after DNAT, origDst without NAT
  uint16_t replySrcPort = 0;  // host order: the endpoint's port after DNAT, origDstPort without
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

// Where a UDP client's first packet gets DNATed: VIP:port, or a NodePort on any address of the
// family (ip unset), as upstream's `--orig-port-dst` filters treat NodePorts.
struct UdpFrontend {
  IPFamily family = IPFamily::V4;
  std::optional<IPAddr> ip;
  uint16_t port = 0;
  auto operator<=>(const UdpFrontend&) const = default;
};

// The UDP service ports of a state by frontend: how conntrackCleanup(after, changes, ...) finds
// the unchanged ports that share a frontend with a changed one without walking the state.
class UdpFrontendIndex {
 public:
  UdpFrontendIndex() = default;
  explicit UdpFrontendIndex(const ProxyState& state);  // O(state)

  // From the state this index describes to `after`, `changes` leading from one to the other
  // (every port that differs, with its value in the former). O(changes).
  void update(const ProxyState& after, const StateChanges& changes);

  // The ports answering on `frontend`; empty if none.
  const std::set<ServicePortKey>& portsAt(const UdpFrontend& frontend) const;
  bool operator==(const UdpFrontendIndex&) const = default;

 private:
  std::map<UdpFrontend, std::set<ServicePortKey>> ports_;
};

// The filters that remove what `before` -> `after` makes stale, sorted and deduplicated: the
// cleanup after a sync that had a "before" (every sync but the first after a start, which
// reconciles instead: ConntrackReconcile). Only UDP service ports count (upstream cleans
// neither TCP, which resets, nor SCTP). A frontend is a virtual address and port (ClusterIP,
// externalIP, LB IP) or a NodePort (any address of its family); its endpoints are the union of
// the port's internal and external sets, so a change of traffic policy alone never breaks flows:
// - a (frontend, endpoint) pair that existed before and not after (the endpoint went away, or
//   the frontend did) -> orig-dst = VIP, orig-port-dst = port (or just orig-port-dst = NodePort),
//   reply-src = endpoint IP;
// - a frontend that has endpoints after and had none before (or did not exist: a new service,
//   a new externalIP) -> the same without reply-src: entries made while nothing DNATed that
//   address.
// A frontend shared by several service ports (a misconfiguration, but possible with
// externalIPs) has the union of their endpoints. Compares the whole states: O(cluster).
std::vector<ConntrackFilter> conntrackCleanup(const ProxyState& before, const ProxyState& after);

// The same filters, from `after` and the changes that led to it (the state before is `after`
// with the changed ports at their recorded values): only changed ports and the ports sharing a
// frontend with them are looked at, found in `frontends`, the index of `after`. O(changes).
std::vector<ConntrackFilter> conntrackCleanup(const ProxyState& after, const StateChanges& changes,
                                              const UdpFrontendIndex& frontends);

// Which entries are stale against one whole state, with no "before": what upstream's reconciler
// (kube-proxy's CleanStaleEntries) decides, and what kpx runs on the first sync after a start
// and after a cleanup that failed. An entry is stale when it is UDP, goes to a current UDP
// frontend of `state`, and its reply comes from an address and port that is not one of that
// frontend's endpoints (the union of its ports' internal and external sets, as
// conntrackCleanup()): DNATed to an endpoint the frontend no longer has or to an old target
// port, or never DNATed (sent while nothing DNATed the frontend). So a flow to an endpoint the
// frontend still has is never touched, whatever happened while kpx was down. A VIP frontend without
// endpoints has no valid reply source: every entry to it is stale. A NodePort without endpoints is
// skipped (as upstream): matched on the port alone it would catch flows to other hosts on that
// port. An entry to a VIP:port frontend is judged by that frontend only, never also as a NodePort.
// Entries to frontends `state` does not have (a service deleted while kpx was down) are left to
// expire: with no "before" nothing says they were ours. O(state) to build.
class ConntrackReconcile {
 public:
  explicit ConntrackReconcile(const ProxyState& state);

  bool isStale(const ConntrackFlow& flow) const;
  // The families with a frontend to check, sorted: the dumps (UDP) a reconcile needs.
  const std::vector<IPFamily>& families() const { return families_; }
  bool empty() const { return families_.empty(); }

 private:
  using Endpoints = std::set<std::pair<IPAddr, uint16_t>>;
  std::map<std::pair<IPAddr, uint16_t>, Endpoints> addresses_;    // VIP:port
  std::map<std::pair<IPFamily, uint16_t>, Endpoints> nodePorts_;  // with endpoints only
  std::vector<IPFamily> families_;
};

// What of a cleanup that failed is still worth retrying once `after` is applied (`frontends`
// its index), alongside the reconcile that follows every failure: the filters naming an
// endpoint (reply-src) whose frontend, now, has no endpoint at that IP. A filter whose endpoint
// is back would delete valid flows, and one without reply-src (a first endpoint) would delete
// the flows DNATed since; the reconcile covers both cases exactly. The kept filters matter where
// the reconcile cannot see: a frontend that is gone, a NodePort left without endpoints;
// elsewhere they repeat it. Sorted and deduplicated.
std::vector<ConntrackFilter> retryableFilters(const std::vector<ConntrackFilter>& failed,
                                              const ProxyState& after,
                                              const UdpFrontendIndex& frontends);

}  // namespace kpx
