#include "proxy/conntrack_plan.h"

#include <map>
#include <set>
#include <utility>

namespace kpx {

namespace {

// Where a UDP client's first packet gets DNATed: VIP:port, or a NodePort on any address of the
// family (ip unset), as upstream's `--orig-port-dst` filters treat NodePorts.
struct Frontend {
  IPFamily family = IPFamily::V4;
  std::optional<IPAddr> ip;
  uint16_t port = 0;
  auto operator<=>(const Frontend&) const = default;
};

// Endpoints by address and port: a port change is a different DNAT target, so the old one's
// flows are stale even though the IP stayed (upstream compares endpoints as "ip:port" too).
using EndpointSet = std::set<std::pair<IPAddr, uint16_t>>;
using FrontendMap = std::map<Frontend, EndpointSet>;

void addEndpoints(EndpointSet& into, const TrafficTarget& target) {
  for (const EndpointState& e : target.endpoints) into.emplace(e.ip, e.port);
}

// Every UDP frontend of a state with the endpoints it can be DNATed to. A frontend shared by
// two service ports (a misconfiguration, but possible with externalIPs) gets their union: one
// of them still reaching an endpoint is enough for its flows not to be stale.
FrontendMap udpFrontends(const ProxyState& state) {
  FrontendMap out;
  for (const auto& [key, sp] : state.servicePorts) {
    if (key.protocol != Protocol::UDP) continue;
    EndpointSet endpoints;
    addEndpoints(endpoints, sp.internal);
    addEndpoints(endpoints, sp.external);
    auto add = [&](Frontend f) { out[f].insert(endpoints.begin(), endpoints.end()); };
    if (!sp.clusterIP.isUnspecified()) add({key.family, sp.clusterIP, sp.port});
    for (const IPAddr& ip : sp.externalIPs) add({key.family, ip, sp.port});
    for (const IPAddr& ip : sp.loadBalancerIPs) add({key.family, ip, sp.port});
    if (sp.nodePort != 0) add({key.family, std::nullopt, sp.nodePort});
  }
  return out;
}

ConntrackFilter filterFor(const Frontend& f, std::optional<IPAddr> replySrc) {
  return {.family = f.family,
          .protocol = Protocol::UDP,
          .origDst = f.ip,
          .origDstPort = f.port,
          .replySrc = std::move(replySrc)};
}

}  // namespace

bool ConntrackFilter::matches(const ConntrackFlow& flow) const {
  if (flow.family != family || flow.protocol != ipProtoNumber(protocol)) return false;
  if (origDst && flow.origDst != *origDst) return false;
  if (origDstPort && flow.origDstPort != *origDstPort) return false;
  if (replySrc && flow.replySrc != *replySrc) return false;
  return true;
}

std::string ConntrackFilter::str() const {
  std::string out = std::string(toString(family)) + " " + std::string(toLowerString(protocol));
  if (origDst) out += " orig-dst=" + origDst->str();
  if (origDstPort) out += " orig-port-dst=" + std::to_string(*origDstPort);
  if (replySrc) out += " reply-src=" + replySrc->str();
  return out;
}

std::vector<ConntrackFilter> conntrackCleanup(const ProxyState& before, const ProxyState& after) {
  const FrontendMap old = udpFrontends(before);
  const FrontendMap now = udpFrontends(after);
  std::set<ConntrackFilter> filters;

  for (const auto& [frontend, endpoints] : old) {
    const auto still = now.find(frontend);
    std::set<IPAddr> gone;
    for (const auto& endpoint : endpoints) {
      if (still == now.end() || !still->second.contains(endpoint)) gone.insert(endpoint.first);
    }
    for (const IPAddr& ip : gone) filters.insert(filterFor(frontend, ip));
  }

  // A frontend that had no endpoint before has no DNATed flow to lose, so the broader filter
  // never hides a pair filter from the loop above.
  for (const auto& [frontend, endpoints] : now) {
    if (endpoints.empty()) continue;
    const auto was = old.find(frontend);
    if (was == old.end() || was->second.empty()) {
      filters.insert(filterFor(frontend, std::nullopt));
    }
  }
  return {filters.begin(), filters.end()};
}

}  // namespace kpx
