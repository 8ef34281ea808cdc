// Which endpoints a service port uses from this node: upstream's CategorizeEndpoints
// (pkg/proxy/topology.go), with the feature gate PreferSameTrafficDistribution taken as on.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "proxy/endpoint_candidate.h"

namespace kpx {

// Where this proxy runs, as topology hints name it.
struct NodeTopology {
  std::string nodeName;
  std::string zone;  // label topology.kubernetes.io/zone of the Node; empty if unknown
};

// Which endpoint sets a service port needs. Cluster: iTP Cluster, or reachable from outside at
// all (even with eTP Local, pods and the node itself are short-circuited to the cluster set).
// Local: iTP Local, or reachable from outside with eTP Local.
struct EndpointUse {
  bool cluster = false;
  bool local = false;
};

enum class TopologyMode : uint8_t { None, PreferSameZone, PreferSameNode };

// PreferSameNode if every ready endpoint has node hints and one names this node; otherwise
// PreferSameZone if every ready endpoint has zone hints and one names this node's zone;
// otherwise None (no filtering). Unready endpoints are not looked at.
TopologyMode topologyModeFromHints(const std::vector<EndpointCandidate>& endpoints,
                                   const NodeTopology& node);

struct CategorizedEndpoints {
  // Ready endpoints allowed by topology; if none is ready anywhere, the serving+terminating
  // ones. Empty when !use.cluster.
  std::vector<EndpointState> cluster;
  // This node's ready endpoints; if none, this node's serving+terminating ones (topology does
  // not apply). Empty when !use.local.
  std::vector<EndpointState> local;
  // Some endpoint anywhere is usable (ready, or serving+terminating): when false, traffic of
  // every class is rejected; when true, an empty class drops.
  bool hasAnyEndpoints = false;
};

// `endpoints` keeps its order in each output set.
CategorizedEndpoints categorizeEndpoints(const std::vector<EndpointCandidate>& endpoints,
                                         EndpointUse use, const NodeTopology& node);

}  // namespace kpx
