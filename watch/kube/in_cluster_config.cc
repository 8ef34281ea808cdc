#include "watch/kube/in_cluster_config.h"

#include <cstdlib>
#include <fstream>

#include "watch/kube/rest_config.h"

namespace kpx::watch {
namespace {

std::optional<std::string> processEnv(const std::string& name) {
  const char* value = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe): read at start
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

bool readable(const std::filesystem::path& path, std::string& why) {
  std::ifstream in(path);
  if (in) return true;
  std::error_code ec;
  why = std::filesystem::exists(path, ec) ? "not readable" : "does not exist";
  return false;
}

}  // namespace

tl::expected<RestConfig, std::string> inClusterConfig(const InClusterEnvironment& env) {
  const auto getenv = env.getenv ? env.getenv : processEnv;
  const auto host = getenv("KUBERNETES_SERVICE_HOST");
  const auto port = getenv("KUBERNETES_SERVICE_PORT");
  if (!host || host->empty() || !port || port->empty())
    return tl::unexpected(
        std::string("no --kubeconfig or --master given and not running in a cluster: "
                    "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined"));
  RestConfig config;
  // An IPv6 service host is a bare address: a URL needs it in brackets.
  const bool ipv6 = host->find(':') != std::string::npos && host->front() != '[';
  config.server = "https://" + (ipv6 ? "[" + *host + "]" : *host) + ":" + *port;
  config.origin = "in-cluster service account " + env.serviceAccountDir.string();

  const auto token = env.serviceAccountDir / "token";
  std::string why;
  if (!readable(token, why))
    return tl::unexpected("in-cluster config: service account token " + token.string() + " " + why);
  config.tokenFile = token;
  const auto ca = env.serviceAccountDir / "ca.crt";
  if (!readable(ca, why))
    return tl::unexpected("in-cluster config: service account CA " + ca.string() + " " + why);
  config.certificateAuthority.file = ca;
  return config;
}

}  // namespace kpx::watch
