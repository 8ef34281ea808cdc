#include "watch/manifest_kind.h"

namespace kpx::watch {
namespace {

// "discovery.k8s.io/v1" -> "discovery.k8s.io"; "v1" (the core group) -> "".
std::string_view apiGroup(std::string_view apiVersion) {
  const size_t slash = apiVersion.find('/');
  return slash == std::string_view::npos ? std::string_view() : apiVersion.substr(0, slash);
}

std::string_view groupOf(ManifestKind kind) {
  return kind == ManifestKind::EndpointSlice ? "discovery.k8s.io" : "";
}

}  // namespace

std::string_view toString(ManifestKind kind) {
  switch (kind) {
    case ManifestKind::Service:
      return "Service";
    case ManifestKind::EndpointSlice:
      return "EndpointSlice";
    case ManifestKind::Endpoints:
      return "Endpoints";
    case ManifestKind::Node:
      return "Node";
  }
  return "?";
}

bool isNamespaced(ManifestKind kind) {
  return kind != ManifestKind::Node;
}

std::optional<ManifestKind> manifestKind(std::string_view kind, std::string_view apiVersion) {
  for (ManifestKind k : {ManifestKind::Service, ManifestKind::EndpointSlice,
                         ManifestKind::Endpoints, ManifestKind::Node}) {
    if (kind != toString(k)) continue;
    if (apiVersion.empty() || apiGroup(apiVersion) == groupOf(k)) return k;
    return std::nullopt;
  }
  return std::nullopt;
}

std::string displayName(const nlohmann::json& object, bool namespaced) {
  if (!object.is_object()) return {};
  auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) return {};
  auto text = [&](const char* key) {
    auto it = metadata->find(key);
    return it != metadata->end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  const std::string name = text("name");
  if (name.empty() || !namespaced) return name;
  const std::string ns = text("namespace");
  return (ns.empty() ? "default" : ns) + "/" + name;
}

}  // namespace kpx::watch
