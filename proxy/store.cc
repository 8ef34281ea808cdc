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

void indexSlice(ClusterSnapshot& cluster, const std::string& serviceKey,
                const std::string& sliceKey) {
  if (!serviceKey.empty()) cluster.slicesByService[serviceKey].insert(sliceKey);
}

void unindexSlice(ClusterSnapshot& cluster, const std::string& serviceKey,
                  const std::string& sliceKey) {
  if (serviceKey.empty()) return;
  auto it = cluster.slicesByService.find(serviceKey);
  if (it == cluster.slicesByService.end()) return;
  it->second.erase(sliceKey);
  if (it->second.empty()) cluster.slicesByService.erase(it);
}

bool putSlice(ClusterSnapshot& cluster, EndpointSlice slice) {
  std::string key = slice.meta.key();
  std::string service = serviceKeyOf(slice);
  auto it = cluster.slices.find(key);
  if (it != cluster.slices.end()) {
    // The service-name label may change between versions of a slice: move it.
    if (std::string old = serviceKeyOf(it->second); old != service) {
      unindexSlice(cluster, old, key);
      indexSlice(cluster, service, key);
    }
    it->second = std::move(slice);
    return true;
  }
  indexSlice(cluster, service, key);
  cluster.slices.emplace(std::move(key), std::move(slice));
  return true;
}

bool eraseSlice(ClusterSnapshot& cluster, const std::string& key) {
  auto it = cluster.slices.find(key);
  if (it == cluster.slices.end()) return false;
  unindexSlice(cluster, serviceKeyOf(it->second), key);
  cluster.slices.erase(it);
  return true;
}

}  // namespace

const std::set<std::string>& ClusterSnapshot::sliceKeysOf(const std::string& serviceKey) const {
  static const std::set<std::string> kNone;
  auto it = slicesByService.find(serviceKey);
  return it == slicesByService.end() ? kNone : it->second;
}

ObjectKind kindOf(const Object& object) {
  if (std::holds_alternative<Service>(object)) return ObjectKind::Service;
  if (std::holds_alternative<EndpointSlice>(object)) return ObjectKind::EndpointSlice;
  return ObjectKind::Node;
}

std::string keyOf(const Object& object) {
  return std::visit([](const auto& o) { return o.meta.key(); }, object);
}

std::pair<std::string_view, std::string_view> splitKey(std::string_view key) {
  const auto slash = key.find('/');
  if (slash == std::string_view::npos) return {std::string_view(), key};
  return {key.substr(0, slash), key.substr(slash + 1)};
}

std::string serviceKeyOf(const EndpointSlice& slice) {
  if (slice.serviceName.empty()) return {};
  return objectKey(slice.meta.namespace_, slice.serviceName);
}

bool upsert(ClusterSnapshot& cluster, Object object) {
  if (auto* s = std::get_if<Service>(&object)) return put(cluster.services, std::move(*s));
  if (auto* e = std::get_if<EndpointSlice>(&object)) return putSlice(cluster, std::move(*e));
  return put(cluster.nodes, std::move(std::get<Node>(object)));
}

bool remove(ClusterSnapshot& cluster, ObjectKind kind, const std::string& key) {
  switch (kind) {
    case ObjectKind::Service:
      return cluster.services.erase(key) > 0;
    case ObjectKind::EndpointSlice:
      return eraseSlice(cluster, key);
    case ObjectKind::Node:
      return cluster.nodes.erase(key) > 0;
  }
  return false;
}

void reindex(ClusterSnapshot& cluster) {
  cluster.slicesByService.clear();
  for (const auto& [key, slice] : cluster.slices) indexSlice(cluster, serviceKeyOf(slice), key);
}

}  // namespace kpx
