// Which manifests kpx reads. Everything else in a manifest (ConfigMaps, Deployments, CRDs) is
// ignored, not an error: `kubectl get all -o yaml` output must load.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace kpx::watch {

enum class ManifestKind : uint8_t { Service, EndpointSlice, Endpoints, Node };

std::string_view toString(ManifestKind kind);  // "Service", as the manifest spells it
bool isNamespaced(ManifestKind kind);

// The kind of a manifest from its `kind` and `apiVersion`. A kind of the same name in another
// API group (a Knative `serving.knative.dev/v1` Service) is not ours. An empty apiVersion matches
// any group: items of a typed List arrive without one.
std::optional<ManifestKind> manifestKind(std::string_view kind, std::string_view apiVersion);

// How errors name a manifest: "namespace/name" ("default" when unset) for namespaced kinds,
// "name" for cluster-scoped ones, "" when it has no readable name. Never fails.
std::string displayName(const nlohmann::json& object, bool namespaced);

}  // namespace kpx::watch
