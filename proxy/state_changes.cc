#include "proxy/state_changes.h"

#include "proxy/diff.h"

namespace kpx {

StateChanges changesBetween(const ProxyState& prev, const ProxyState& next) {
  const StateDiff d = diff(prev, next);
  StateChanges out;
  out.global = d.globalChanged;
  for (const auto& key : d.added) out.before.emplace(key, std::nullopt);
  for (const auto& key : d.removed) out.before.emplace(key, prev.servicePorts.at(key));
  for (const auto& key : d.changed) out.before.emplace(key, prev.servicePorts.at(key));
  return out;
}

}  // namespace kpx
