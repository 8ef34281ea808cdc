#include "proxy/state_updater.h"

#include <utility>

#include "proxy/global_state.h"

namespace kpx {

void recordChange(StateChanges& changes, const ServicePortKey& key,
                  std::optional<ServicePortState> previous, const ServicePortState* now) {
  auto same = [now](const std::optional<ServicePortState>& value) {
    return value.has_value() ? now != nullptr && *value == *now : now == nullptr;
  };
  if (auto it = changes.before.find(key); it != changes.before.end()) {
    // The oldest previous value wins: the record is relative to where `changes` started.
    if (same(it->second)) changes.before.erase(it);
    return;
  }
  if (!same(previous)) changes.before.emplace(key, std::move(previous));
}

void updateServices(ProxyState& state, const ClusterSnapshot& cluster, const NodeTopology& topology,
                    const ProxyConfig& config, const ServiceKeys& services, StateChanges& changes) {
  ServicePortMap fresh;
  for (const std::string& serviceKey : services) {
    fresh.clear();
    if (auto svc = cluster.services.find(serviceKey); svc != cluster.services.end())
      buildServicePorts(svc->second, cluster, topology, config, fresh);
    const auto [namespace_, name] = splitKey(serviceKey);
    auto [old, end] = portsOfService(state.servicePorts, namespace_, name);
    auto next = fresh.begin();
    // One ordered walk over the service's old and new ports. `end` stays valid: erasing and
    // inserting this service's keys never touches the element after them.
    while (old != end || next != fresh.end()) {
      if (next == fresh.end() || (old != end && old->first < next->first)) {
        recordChange(changes, old->first, std::move(old->second), nullptr);
        old = state.servicePorts.erase(old);
      } else if (old == end || next->first < old->first) {
        auto node = fresh.extract(next++);
        auto inserted = state.servicePorts.insert(std::move(node)).position;
        recordChange(changes, inserted->first, std::nullopt, &inserted->second);
      } else {
        if (old->second != next->second) {
          ServicePortState previous = std::exchange(old->second, std::move(next->second));
          recordChange(changes, old->first, std::move(previous), &old->second);
        }
        ++old;
        ++next;
      }
    }
  }
}

void StateUpdater::update(const ClusterSnapshot& cluster, const ServiceKeys& services,
                          bool nodeChanged, StateChanges& changes) {
  if (!built_) return rebuild(cluster, changes);
  if (nodeChanged) {
    const Node* node = cluster.node(config_.nodeName);
    if (buildGlobalState(node, config_) != state_.global ||
        nodeTopology(node, config_).zone != topology_.zone)
      return rebuild(cluster, changes);
  }
  updateServices(state_, cluster, topology_, config_, services, changes);
}

void StateUpdater::rebuild(const ClusterSnapshot& cluster, StateChanges& changes) {
  const Node* node = cluster.node(config_.nodeName);
  ProxyState next = buildState(cluster, node, config_);
  StateChanges found = changesBetween(state_, next);
  if (found.global) changes.global = true;
  for (auto& [key, previous] : found.before) {
    auto now = next.servicePorts.find(key);
    recordChange(changes, key, std::move(previous),
                 now == next.servicePorts.end() ? nullptr : &now->second);
  }
  state_ = std::move(next);
  topology_ = nodeTopology(node, config_);
  built_ = true;
}

}  // namespace kpx
