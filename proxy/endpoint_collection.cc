#include "proxy/endpoint_collection.h"

#include <algorithm>
#include <tuple>
#include <utility>

namespace kpx {
namespace {

bool ignoredByProxies(const EndpointSlice& slice) {
  if (slice.serviceName.empty()) return true;  // not in any service's index anyway
  const auto& labels = slice.meta.labels;
  return labels.contains(std::string(kServiceProxyNameLabel)) ||
         labels.contains(std::string(kHeadlessLabel));
}

bool holdsFamily(AddressType type, IPFamily family) {
  return (type == AddressType::IPv4 && family == IPFamily::V4) ||
         (type == AddressType::IPv6 && family == IPFamily::V6);
}

// Slice ports carry the service port's name (nil and "" both mean the unnamed port) and the
// resolved target port number, which is how a targetPort given by name reaches us.
bool servesPort(const EndpointPort& slicePort, const ServicePort& port) {
  return slicePort.name.value_or("") == port.name && slicePort.protocol == port.protocol &&
         slicePort.port.value_or(0) != 0;
}

EndpointCandidate makeCandidate(const Endpoint& endpoint, const IPAddr& ip, uint16_t port,
                                const std::string& nodeName) {
  EndpointCandidate c;
  c.state.ip = ip;
  c.state.port = port;
  c.state.ready = endpoint.conditions.isReady();
  c.state.serving = endpoint.conditions.isServing();
  c.state.terminating = endpoint.conditions.isTerminating();
  c.state.local = !nodeName.empty() && endpoint.nodeName == nodeName;
  c.zoneHints = endpoint.hintZones();
  c.nodeHints = endpoint.hintNodes();
  return c;
}

}  // namespace

std::vector<const EndpointSlice*> serviceSlices(const ClusterSnapshot& cluster,
                                                const std::string& serviceKey) {
  std::vector<const EndpointSlice*> out;
  for (const std::string& key : cluster.sliceKeysOf(serviceKey)) {
    auto it = cluster.slices.find(key);
    if (it == cluster.slices.end() || ignoredByProxies(it->second)) continue;
    out.push_back(&it->second);
  }
  return out;
}

std::vector<EndpointCandidate> collectEndpoints(const std::vector<const EndpointSlice*>& slices,
                                                const ServicePort& port, IPFamily family,
                                                const std::string& nodeName) {
  std::vector<EndpointCandidate> out;
  std::map<std::pair<IPAddr, uint16_t>, size_t> indexByAddress;
  for (const EndpointSlice* slice : slices) {
    if (!holdsFamily(slice->addressType, family)) continue;  // FQDN slices hold no IPs
    for (const EndpointPort& slicePort : slice->ports) {
      if (!servesPort(slicePort, port)) continue;
      const uint16_t number = *slicePort.port;
      for (const Endpoint& endpoint : slice->endpoints) {
        // The first address only (the reader keeps no other), as upstream.
        if (endpoint.address.empty()) continue;
        auto ip = IPAddr::parse(endpoint.address);
        if (!ip || ip->family() != family) continue;
        EndpointCandidate candidate = makeCandidate(endpoint, *ip, number, nodeName);
        auto [it, inserted] = indexByAddress.try_emplace({*ip, number}, out.size());
        if (inserted) {
          out.push_back(std::move(candidate));
        } else if (candidate.state.local) {
          // The same ip:port in two slices (an endpoint moving between slices): whether it is
          // local should not differ, but if it does, upstream keeps the local copy.
          out[it->second] = std::move(candidate);
        }
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const EndpointCandidate& a, const EndpointCandidate& b) {
    return std::tie(a.state.ip, a.state.port) < std::tie(b.state.ip, b.state.port);
  });
  return out;
}

}  // namespace kpx
