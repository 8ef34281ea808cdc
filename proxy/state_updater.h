// Keeps the desired ProxyState up to date as objects change, at the cost of the change
// (docs/performance.md): only the services an event touched are built again, with build_state's own
// per-service code, and every port that ends up different is recorded in a StateChanges, which
// is what lets the dataplane, conntrack and the health-check ports look at changed ports only.
#pragma once

#include <optional>
#include <set>
#include <string>

#include "proxy/build_state.h"
#include "proxy/config.h"
#include "proxy/state.h"
#include "proxy/state_changes.h"
#include "proxy/store.h"
#include "proxy/topology.h"

namespace kpx {

// Services by key, "ns/name" (ClusterSnapshot's keys).
using ServiceKeys = std::set<std::string>;

// Records in `changes` that port `key` went from `previous` to `now` (nullopt / nullptr: absent).
// A key already recorded keeps its older previous value; a record whose previous value equals
// `now` is dropped. So a StateChanges fed every step lists exactly the keys that differ between
// the state it started from and the current one, each with its value in the former.
void recordChange(StateChanges& changes, const ServicePortKey& key,
                  std::optional<ServicePortState> previous, const ServicePortState* now);

// Builds again the ports of each service named in `services` from `cluster` (all its families;
// none when the service is gone or skipped), replaces them in `state` and records each port that
// differs in `changes` (recordChange). O(those services and their slices).
void updateServices(ProxyState& state, const ClusterSnapshot& cluster, const NodeTopology& topology,
                    const ProxyConfig& config, const ServiceKeys& services, StateChanges& changes);

// The desired state across syncs: buildState() once, then updateServices() per change.
class StateUpdater {
 public:
  explicit StateUpdater(ProxyConfig config) : config_(std::move(config)) {}

  // Empty until the first update().
  const ProxyState& state() const { return state_; }
  const ProxyConfig& config() const { return config_; }

  // Brings state() up to date with `cluster`, given what changed since the last call: the
  // services named in `services` (a Service, or an EndpointSlice that names it now or named it
  // before, was upserted or removed) and, when `nodeChanged`, this node's Node. The first call,
  // and a call where this node's changes alter the node-wide settings (GlobalState) or its zone
  // (endpoint selection), rebuild everything: O(cluster), rare. Otherwise O(the services).
  // Changes are recorded into `changes` (recordChange: it may hold records from earlier calls);
  // a rebuild also sets `changes.global` when GlobalState differs (it never clears it).
  void update(const ClusterSnapshot& cluster, const ServiceKeys& services, bool nodeChanged,
              StateChanges& changes);
  // Rebuilds everything with buildState() and records the differences by comparison.
  void rebuild(const ClusterSnapshot& cluster, StateChanges& changes);

 private:
  ProxyConfig config_;
  ProxyState state_;
  // What state_ was built with, besides the objects: buildState() reads nothing else of the Node.
  NodeTopology topology_;
  bool built_ = false;
};

}  // namespace kpx
