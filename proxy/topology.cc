#include "proxy/topology.h"

#include <algorithm>

namespace kpx {
namespace {

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

bool servingTerminating(const EndpointState& e) {
  return e.serving && e.terminating;
}

// No fallback here: the fallback happened when the mode was chosen (a mode is only chosen when
// some ready endpoint fits it).
bool availableForTopology(const EndpointCandidate& e, TopologyMode mode, const NodeTopology& node) {
  switch (mode) {
    case TopologyMode::None:
      return true;
    case TopologyMode::PreferSameNode:
      return contains(e.nodeHints, node.nodeName);
    case TopologyMode::PreferSameZone:
      return contains(e.zoneHints, node.zone);
  }
  return false;
}

template <typename Predicate>
std::vector<EndpointState> select(const std::vector<EndpointCandidate>& endpoints, Predicate keep) {
  std::vector<EndpointState> out;
  for (const EndpointCandidate& e : endpoints) {
    if (keep(e)) out.push_back(e.state);
  }
  return out;
}

}  // namespace

TopologyMode topologyModeFromHints(const std::vector<EndpointCandidate>& endpoints,
                                   const NodeTopology& node) {
  bool hasReady = false;
  bool allHaveNodeHints = true;
  bool someForThisNode = false;
  bool allHaveZoneHints = true;
  bool someForThisZone = false;
  for (const EndpointCandidate& e : endpoints) {
    if (!e.state.ready) continue;
    hasReady = true;
    if (e.nodeHints.empty()) {
      allHaveNodeHints = false;
    } else if (contains(e.nodeHints, node.nodeName)) {
      someForThisNode = true;
    }
    if (e.zoneHints.empty()) {
      allHaveZoneHints = false;
    } else if (contains(e.zoneHints, node.zone)) {
      someForThisZone = true;
    }
  }
  if (!hasReady) return TopologyMode::None;
  if (allHaveNodeHints && someForThisNode) return TopologyMode::PreferSameNode;
  if (allHaveZoneHints && someForThisZone) return TopologyMode::PreferSameZone;
  return TopologyMode::None;
}

CategorizedEndpoints categorizeEndpoints(const std::vector<EndpointCandidate>& endpoints,
                                         EndpointUse use, const NodeTopology& node) {
  CategorizedEndpoints out;
  if (endpoints.empty()) return out;

  if (use.cluster) {
    const TopologyMode mode = topologyModeFromHints(endpoints, node);
    out.cluster = select(endpoints, [&](const EndpointCandidate& e) {
      return e.state.ready && availableForTopology(e, mode, node);
    });
    // A topology mode is only chosen when a ready endpoint fits it, so an empty set here means
    // nothing is ready anywhere: fall back to endpoints that still serve while terminating.
    if (out.cluster.empty()) {
      out.cluster =
          select(endpoints, [](const EndpointCandidate& e) { return servingTerminating(e.state); });
    }
    out.hasAnyEndpoints = !out.cluster.empty();
  }

  if (!use.local) return out;

  bool localReady = false;
  bool localServingTerminating = false;
  for (const EndpointCandidate& e : endpoints) {
    if (e.state.ready) {
      out.hasAnyEndpoints = true;
      localReady = localReady || e.state.local;
    } else if (servingTerminating(e.state)) {
      out.hasAnyEndpoints = true;
      localServingTerminating = localServingTerminating || e.state.local;
    }
  }
  if (localReady) {
    out.local = select(endpoints,
                       [](const EndpointCandidate& e) { return e.state.local && e.state.ready; });
  } else if (localServingTerminating) {
    out.local = select(endpoints, [](const EndpointCandidate& e) {
      return e.state.local && servingTerminating(e.state);
    });
  }
  return out;
}

}  // namespace kpx
