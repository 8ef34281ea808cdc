// One endpoint of one service port in one family, before selection (proxy/topology.h).
#pragma once

#include <string>
#include <vector>

#include "proxy/state.h"

namespace kpx {

// What the dataplane will get (`state`) plus the topology hints that selection needs and the
// dataplane does not. Empty hint lists mean "no hint" (hints.forZones / hints.forNodes unset).
struct EndpointCandidate {
  EndpointState state;
  std::vector<std::string> zoneHints;
  std::vector<std::string> nodeHints;
};

}  // namespace kpx
