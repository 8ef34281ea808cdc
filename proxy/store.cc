#include "proxy/store.h"

namespace kpx {
namespace {

template <class T>
bool put(std::map<std::string, T>& map, T value) {
  // Always replace: a manifest edited by hand may keep a stale resourceVersion.
  std::string key = value.meta.key();
  map.insert_or_assign(std::move(key), std::move(value));
  return true;
}

}  // namespace

ObjectKind kindOf(const Object& object) {
  if (std::holds_alternative<Service>(object)) return ObjectKind::Service;
  if (std::holds_alternative<EndpointSlice>(object)) return ObjectKind::EndpointSlice;
  return ObjectKind::Node;
}

std::string keyOf(const Object& object) {
  return std::visit([](const auto& o) { return o.meta.key(); }, object);
}

bool upsert(ClusterSnapshot& cluster, Object object) {
  if (auto* s = std::get_if<Service>(&object)) return put(cluster.services, std::move(*s));
  if (auto* e = std::get_if<EndpointSlice>(&object)) return put(cluster.slices, std::move(*e));
  return put(cluster.nodes, std::move(std::get<Node>(object)));
}

bool remove(ClusterSnapshot& cluster, ObjectKind kind, const std::string& key) {
  switch (kind) {
    case ObjectKind::Service: return cluster.services.erase(key) > 0;
    case ObjectKind::EndpointSlice: return cluster.slices.erase(key) > 0;
    case ObjectKind::Node: return cluster.nodes.erase(key) > 0;
  }
  return false;
}

}  // namespace kpx
