// Whether the agent runs in the host's network namespace (as a hostNetwork DaemonSet does).
// nf_conntrack_max and the conntrack hash table are the host's alone: from any other namespace
// the first is read-only and the second would still resize the host's table, so kpx leaves both
// alone there (tests and the demo run kpx in scratch namespaces).
#pragma once

#include <filesystem>

namespace kpx::node {

// True when `proc`/self/ns/net and `proc`/1/ns/net are the same namespace (init's, seen from
// this PID namespace: a pod's pid 1 shares the pod's network). False when either cannot be read.
bool inHostNetworkNamespace(const std::filesystem::path& proc = "/proc");

}  // namespace kpx::node
