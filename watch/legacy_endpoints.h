// Legacy core/v1 Endpoints, turned into the EndpointSlices the mirroring controller would make,
// so that manifests holding Endpoints (hand-written, or dumped from old clusters) still work.
#pragma once

#include <string_view>
#include <vector>

#include "proxy/model.h"
#include "proxy/store.h"
#include "watch/field_reader.h"

namespace kpx::watch {

inline constexpr std::string_view kManagedByLabel = "endpointslice.kubernetes.io/managed-by";
// The managed-by value on slices kpx converted from Endpoints: marks them as second choice.
inline constexpr std::string_view kLegacyManagedBy = "kpx.legacy-endpoints";

// One slice per subset and address family, named "<endpoints-name>-legacy-<n>" (n counts from 0
// across the object), serviceName = the Endpoints' name, labels copied. `addresses` become
// ready endpoints and `notReadyAddresses` ready=false ones; serving and terminating are unset
// (Endpoints do not carry them) and so is the zone. An Endpoints without addresses gives none.
std::vector<EndpointSlice> readLegacyEndpoints(const FieldReader& root);

bool isLegacySlice(const EndpointSlice& slice);

// Removes slices converted from Endpoints for every service that also has a real EndpointSlice
// among `objects`: in a cluster the slices are the truth (kube-proxy never reads Endpoints), and
// a dump of both would otherwise list every endpoint twice, with fewer conditions the second time.
void dropShadowedLegacySlices(std::vector<Object>& objects);

}  // namespace kpx::watch
