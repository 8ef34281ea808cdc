// The config of a pod's service account, as client-go's rest.InClusterConfig() builds it: the
// API server from KUBERNETES_SERVICE_HOST/PORT, the token and CA from the mounted secret.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include <tl/expected.hpp>

namespace kpx::watch {

struct RestConfig;

inline constexpr std::string_view kServiceAccountDir =
    "/var/run/secrets/kubernetes.io/serviceaccount";

// What in-cluster config reads from the process's surroundings; tests hand in their own.
struct InClusterEnvironment {
  // nullopt: the variable is not set. Default: the process environment.
  std::function<std::optional<std::string>(const std::string&)> getenv;
  std::filesystem::path serviceAccountDir{kServiceAccountDir};
};

// The token file is not read once: the RestConfig names it, so the token is re-read when the
// kubelet rotates it (bound service account tokens expire after an hour).
tl::expected<RestConfig, std::string> inClusterConfig(const InClusterEnvironment& env = {});

}  // namespace kpx::watch
