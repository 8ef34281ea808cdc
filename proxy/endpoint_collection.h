// Gathers the endpoints of one service port from its service's EndpointSlices: upstream's
// EndpointSliceCache (pkg/proxy/endpointslicecache.go) as a pure function of the slices.
#pragma once

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "proxy/endpoint_candidate.h"
#include "proxy/ip.h"
#include "proxy/model.h"

namespace kpx {

// The slices of each service, found once per build instead of once per service port.
// Slices that no proxy should read are left out: those without a service name, and those
// carrying the service-proxy-name or headless labels (kube-proxy's informers filter them
// out with a label selector).
class SliceIndex {
 public:
  // `slices` is keyed by "namespace/name", so each service's slices come out in name order.
  explicit SliceIndex(const std::map<std::string, EndpointSlice>& slices);

  // The slices of service namespace_/name, in slice-name order; empty if it has none.
  const std::vector<const EndpointSlice*>& slicesOf(const std::string& namespace_,
                                                    const std::string& serviceName) const;

 private:
  std::unordered_map<std::string, std::vector<const EndpointSlice*>> byService_;
};

// The endpoints of `port` in `family`: for every slice of that address type, every slice port
// with the same name and protocol and a port number, every endpoint's first address. Endpoints
// are deduplicated by ip:port across slices (a local copy wins over a remote one, as upstream)
// and returned sorted by (ip, port). `nodeName` decides `local`; empty means nothing is local.
std::vector<EndpointCandidate> collectEndpoints(const std::vector<const EndpointSlice*>& slices,
                                                const ServicePort& port, IPFamily family,
                                                const std::string& nodeName);

}  // namespace kpx
