#include "watch/kube/rest_config.h"

#include "watch/kube/kubeconfig.h"

namespace kpx::watch {

tl::expected<std::string, std::string> normalizeServerUrl(std::string_view url) {
  std::string text(url);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\n')) text.pop_back();
  if (text.empty()) return tl::unexpected(std::string("empty server URL"));
  const size_t scheme = text.find("://");
  if (scheme == std::string::npos) {
    text = "https://" + text;
  } else {
    const std::string name = text.substr(0, scheme);
    if (name != "https" && name != "http")
      return tl::unexpected("server URL \"" + std::string(url) + "\": unsupported scheme " + name +
                            " (want https or http)");
  }
  const size_t hostStart = text.find("://") + 3;
  if (hostStart >= text.size() || text[hostStart] == '/')
    return tl::unexpected("server URL \"" + std::string(url) + "\" has no host");
  if (text.find_first_of("?#", hostStart) != std::string::npos)
    return tl::unexpected("server URL \"" + std::string(url) +
                          "\" must not have a query or fragment");
  while (text.size() > hostStart && text.back() == '/') text.pop_back();
  return text;
}

tl::expected<RestConfig, std::string> resolveRestConfig(const ConnectionOptions& options,
                                                        const InClusterEnvironment& env) {
  if (!options.kubeconfig.empty()) {
    auto config = loadKubeconfig(options.kubeconfig, options.context);
    if (!config) return config;
    if (!options.master.empty()) {
      auto server = normalizeServerUrl(options.master);
      if (!server) return tl::unexpected("--master: " + server.error());
      config->server = *server;
      config->origin += ", server from --master";
    }
    return config;
  }
  if (!options.context.empty()) return tl::unexpected(std::string("--context needs --kubeconfig"));
  if (!options.master.empty()) {
    auto server = normalizeServerUrl(options.master);
    if (!server) return tl::unexpected("--master: " + server.error());
    RestConfig config;
    config.server = *server;
    config.origin = "--master " + *server;
    return config;
  }
  return inClusterConfig(env);
}

}  // namespace kpx::watch
