#pragma once

#include <vector>

#include "proxy/state.h"

namespace kpx {

// What changed between two desired states, per service port: drives incremental syncs.
struct StateDiff {
  std::vector<ServicePortKey> added;
  std::vector<ServicePortKey> removed;
  std::vector<ServicePortKey> changed;
  bool globalChanged = false;

  bool empty() const { return added.empty() && removed.empty() && changed.empty() && !globalChanged; }
};

StateDiff diff(const ProxyState& prev, const ProxyState& next);

}  // namespace kpx
