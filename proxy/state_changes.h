// Which service ports a sync may have changed, with what they were before: the record that lets
// every step after build_state (dataplane, conntrack, health-check ports) cost O(change) instead
// of O(cluster). Whoever updates the desired state writes it, because only the updater knows
// which objects changed; comparing two whole states to find out is exactly the cost this avoids.
#pragma once

#include <map>
#include <optional>

#include "proxy/state.h"

namespace kpx {

struct StateChanges {
  // The node-wide settings differ: every port must be rendered again (a full sync).
  bool global = false;
  // Ports that may differ from the previous state, each with its previous value (nullopt: the
  // port is new). A port missing from the new state was removed. Listing an unchanged port is
  // allowed (it costs a comparison); leaving out a changed one is a bug.
  std::map<ServicePortKey, std::optional<ServicePortState>> before;

  bool empty() const { return !global && before.empty(); }
};

// The changes from `prev` to `next`, by comparing them whole: O(cluster). For callers that keep
// no record of what they changed (tests, one-shot commands); the agent never calls it.
StateChanges changesBetween(const ProxyState& prev, const ProxyState& next);

}  // namespace kpx
