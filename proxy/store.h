// The cluster as the sync thread knows it: objects by namespace/name. Sources feed it events.
#pragma once

#include <map>
#include <string>
#include <variant>

#include "proxy/model.h"

namespace kpx {

struct ClusterSnapshot {
  std::map<std::string, Service> services;          // by ns/name
  std::map<std::string, EndpointSlice> slices;      // by ns/name of the slice
  std::map<std::string, Node> nodes;                // by name

  const Node* node(const std::string& name) const {
    auto it = nodes.find(name);
    return it == nodes.end() ? nullptr : &it->second;
  }
};

using Object = std::variant<Service, EndpointSlice, Node>;

enum class ObjectKind : uint8_t { Service, EndpointSlice, Node };
std::string_view toString(ObjectKind k);

ObjectKind kindOf(const Object& object);
// "ns/name" for namespaced kinds, "name" for Nodes: the key the snapshot's maps use.
std::string keyOf(const Object& object);

// Inserts or replaces an object. Returns true (kept for symmetry with remove()).
bool upsert(ClusterSnapshot& cluster, Object object);
// Deleting a missing object is fine (returns false).
bool remove(ClusterSnapshot& cluster, ObjectKind kind, const std::string& key);

}  // namespace kpx
