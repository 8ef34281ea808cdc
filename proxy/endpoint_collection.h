// Gathers the endpoints of one service port from its service's EndpointSlices: upstream's
// EndpointSliceCache (pkg/proxy/endpointslicecache.go) as a pure function of the slices.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "proxy/endpoint_candidate.h"
#include "proxy/ip.h"
#include "proxy/model.h"
#include "proxy/store.h"

namespace kpx {

// The slices of the service with key `serviceKey` ("ns/name", the Service's key), in slice-name
// order, found through the snapshot's index (O(its slices), never a walk over all slices).
// Slices that no proxy should read are left out: those carrying the service-proxy-name or
// headless labels (kube-proxy's informers filter them out with a label selector); slices without
// a service name are in no service's index.
std::vector<const EndpointSlice*> serviceSlices(const ClusterSnapshot& cluster,
                                                const std::string& serviceKey);

// The endpoints of `port` in `family`: for every slice of that address type, every slice port
// with the same name and protocol and a port number, every endpoint's first address. Endpoints
// are deduplicated by ip:port across slices (a local copy wins over a remote one, as upstream)
// and returned sorted by (ip, port). `nodeName` decides `local`; empty means nothing is local.
std::vector<EndpointCandidate> collectEndpoints(const std::vector<const EndpointSlice*>& slices,
                                                const ServicePort& port, IPFamily family,
                                                const std::string& nodeName);

}  // namespace kpx
