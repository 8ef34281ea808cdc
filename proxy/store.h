// The cluster as the sync thread knows it: objects by namespace/name. Sources feed it events.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>

#include "proxy/model.h"

namespace kpx {

struct ClusterSnapshot {
  std::map<std::string, Service> services;      // by ns/name
  std::map<std::string, EndpointSlice> slices;  // by ns/name of the slice
  std::map<std::string, Node> nodes;            // by name
  // The slices of each service: "ns/service" (the Service's key) -> the keys of the slices whose
  // kubernetes.io/service-name names it, in key (so slice-name) order; slices naming no service
  // are left out. Kept by upsert() and remove(), so finding a service's slices never walks all
  // of them; whoever fills the maps above directly calls reindex().
  std::unordered_map<std::string, std::set<std::string>> slicesByService;

  const Node* node(const std::string& name) const {
    auto it = nodes.find(name);
    return it == nodes.end() ? nullptr : &it->second;
  }
  // The keys of the slices of service `serviceKey` ("ns/name"); empty if it has none.
  const std::set<std::string>& sliceKeysOf(const std::string& serviceKey) const;
};

using Object = std::variant<Service, EndpointSlice, Node>;

enum class ObjectKind : uint8_t { Service, EndpointSlice, Node };
std::string_view toString(ObjectKind k);

ObjectKind kindOf(const Object& object);
// "ns/name" for namespaced kinds, "name" for Nodes: the key the snapshot's maps use.
std::string keyOf(const Object& object);

// The inverse of objectKey(): (namespace, name); a key without '/' has an empty namespace.
std::pair<std::string_view, std::string_view> splitKey(std::string_view key);
// The key of the Service `slice` belongs to, or "" when it names none.
std::string serviceKeyOf(const EndpointSlice& slice);

// Inserts or replaces an object. Returns true (kept for symmetry with remove()).
bool upsert(ClusterSnapshot& cluster, Object object);
// Deleting a missing object is fine (returns false).
bool remove(ClusterSnapshot& cluster, ObjectKind kind, const std::string& key);
// Rebuilds slicesByService from slices (O(slices)), after the maps were filled directly.
void reindex(ClusterSnapshot& cluster);

}  // namespace kpx
