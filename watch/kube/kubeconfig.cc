#include "watch/kube/kubeconfig.h"

#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "watch/kube/base64.h"

namespace kpx::watch {
namespace {

// Reads one named entry of a kubeconfig section (`users["admin"]`), remembering the first
// problem so the caller can stop there with a precise message.
class Entry {
 public:
  Entry(YAML::Node node, std::string path) : node_(std::move(node)), path_(std::move(path)) {}

  std::string string(const char* key) {
    const YAML::Node value = node_[key];
    if (!value || value.IsNull()) return {};
    if (!value.IsScalar()) {
      fail(key, "must be a string");
      return {};
    }
    return value.Scalar();
  }

  bool boolean(const char* key) {
    const YAML::Node value = node_[key];
    if (!value || value.IsNull()) return false;
    bool result = false;
    if (!value.IsScalar() || !YAML::convert<bool>::decode(value, result))
      fail(key, "must be true or false");
    return result;
  }

  bool has(const char* key) const {
    const YAML::Node value = node_[key];
    return value && !value.IsNull();
  }

  void fail(std::string_view key, std::string_view why) {
    if (error_.empty()) error_ = path_ + "." + std::string(key) + ": " + std::string(why);
  }
  const std::string& error() const { return error_; }

 private:
  YAML::Node node_;
  std::string path_;
  std::string error_;
};

// `section` is a list of {name: N, <field>: {...}}; returns the inner map of entry `name`.
tl::expected<YAML::Node, std::string> findNamed(const YAML::Node& root, const char* section,
                                                const char* field, const std::string& name) {
  const YAML::Node list = root[section];
  std::string names;
  if (list && !list.IsNull()) {
    if (!list.IsSequence()) return tl::unexpected(std::string(section) + ": must be a list");
    for (const YAML::Node& item : list) {
      if (!item.IsMap()) continue;
      const YAML::Node itemName = item["name"];
      if (!itemName || !itemName.IsScalar()) continue;
      if (itemName.Scalar() == name) {
        const YAML::Node inner = item[field];
        if (inner && !inner.IsNull() && !inner.IsMap())
          return tl::unexpected(std::string(section) + "[\"" + name + "\"]." + field +
                                ": must be a map");
        return inner ? inner : YAML::Node(YAML::NodeType::Map);
      }
      names += (names.empty() ? "" : ", ") + itemName.Scalar();
    }
  }
  return tl::unexpected(std::string(field) + " \"" + name + "\" not found in " + section +
                        (names.empty() ? " (there are none)" : " (there are: " + names + ")"));
}

std::filesystem::path resolve(const std::filesystem::path& base, const std::string& file) {
  std::filesystem::path path(file);
  return path.is_relative() ? base / path : path;
}

std::optional<std::string> unreadable(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (in) return std::nullopt;
  const int err = errno;
  return path.string() + ": " + std::strerror(err);  // NOLINT(concurrency-mt-unsafe)
}

// One of `file` / `data` (base64 PEM). Both set is ambiguous, as kubectl says.
std::optional<std::string> readPem(Entry& entry, const char* fileKey, const char* dataKey,
                                   const std::filesystem::path& base, PemSource& out) {
  const std::string file = entry.string(fileKey);
  const std::string data = entry.string(dataKey);
  if (!entry.error().empty()) return entry.error();
  if (!file.empty() && !data.empty()) {
    entry.fail(fileKey, std::string("and ") + dataKey + " are both set; use only one");
    return entry.error();
  }
  if (!file.empty()) {
    out.file = resolve(base, file);
    if (auto why = unreadable(out.file)) {
      entry.fail(fileKey, *why);
      return entry.error();
    }
  }
  if (!data.empty()) {
    auto decoded = decodeBase64(data);
    if (!decoded) {
      entry.fail(dataKey, "invalid base64: " + decoded.error());
      return entry.error();
    }
    if (decoded->find("-----BEGIN ") == std::string::npos) {
      entry.fail(dataKey, "is not PEM (no -----BEGIN line after base64 decoding)");
      return entry.error();
    }
    out.data = std::move(*decoded);
  }
  return std::nullopt;
}

tl::expected<void, std::string> readCluster(const YAML::Node& root, const std::string& name,
                                            const std::filesystem::path& base, RestConfig& config) {
  auto node = findNamed(root, "clusters", "cluster", name);
  if (!node) return tl::unexpected(node.error());
  Entry cluster(*node, "clusters[\"" + name + "\"].cluster");
  const std::string server = cluster.string("server");
  config.insecureSkipTlsVerify = cluster.boolean("insecure-skip-tls-verify");
  if (!cluster.error().empty()) return tl::unexpected(cluster.error());
  if (server.empty()) {
    cluster.fail("server", "required: the cluster has no server URL");
    return tl::unexpected(cluster.error());
  }
  auto url = normalizeServerUrl(server);
  if (!url) {
    cluster.fail("server", url.error());
    return tl::unexpected(cluster.error());
  }
  config.server = *url;
  if (auto error = readPem(cluster, "certificate-authority", "certificate-authority-data", base,
                           config.certificateAuthority))
    return tl::unexpected(*error);
  if (config.insecureSkipTlsVerify && !config.certificateAuthority.empty()) {
    cluster.fail("insecure-skip-tls-verify",
                 "cannot be true together with a certificate-authority (kubectl refuses it too)");
    return tl::unexpected(cluster.error());
  }
  return {};
}

tl::expected<void, std::string> readUser(const YAML::Node& root, const std::string& name,
                                         const std::filesystem::path& base, RestConfig& config) {
  auto node = findNamed(root, "users", "user", name);
  if (!node) return tl::unexpected(node.error());
  Entry user(*node, "users[\"" + name + "\"].user");
  config.token = user.string("token");
  const std::string tokenFile = user.string("tokenFile");
  config.username = user.string("username");
  config.password = user.string("password");
  if (!user.error().empty()) return tl::unexpected(user.error());
  if (!tokenFile.empty()) {
    config.tokenFile = resolve(base, tokenFile);
    if (auto why = unreadable(config.tokenFile)) {
      user.fail("tokenFile", *why);
      return tl::unexpected(user.error());
    }
  }
  if (auto error = readPem(user, "client-certificate", "client-certificate-data", base,
                           config.clientCertificate))
    return tl::unexpected(*error);
  if (auto error = readPem(user, "client-key", "client-key-data", base, config.clientKey))
    return tl::unexpected(*error);
  if (config.clientCertificate.empty() != config.clientKey.empty()) {
    user.fail(config.clientKey.empty() ? "client-key" : "client-certificate",
              "required: a client certificate needs both client-certificate and client-key");
    return tl::unexpected(user.error());
  }
  const bool hasCredentials = !config.token.empty() || !config.tokenFile.empty() ||
                              !config.clientCertificate.empty() || !config.username.empty();
  for (const char* plugin : {"exec", "auth-provider"}) {
    if (user.has(plugin) && !hasCredentials) {
      user.fail(plugin,
                "credential plugins are not supported by kpx; use a token, tokenFile or "
                "client certificate (a service account kubeconfig)");
      return tl::unexpected(user.error());
    }
  }
  return {};
}

tl::expected<RestConfig, std::string> parse(const YAML::Node& root,
                                            const std::filesystem::path& path,
                                            std::string_view wantedContext) {
  if (!root || root.IsNull()) return tl::unexpected(std::string("the file is empty"));
  if (!root.IsMap()) return tl::unexpected(std::string("not a kubeconfig: the top is not a map"));
  std::string contextName(wantedContext);
  if (contextName.empty()) {
    const YAML::Node current = root["current-context"];
    if (current && current.IsScalar()) contextName = current.Scalar();
    if (contextName.empty())
      return tl::unexpected(std::string("no current-context is set and no context was chosen"));
  }
  auto contextNode = findNamed(root, "contexts", "context", contextName);
  if (!contextNode) return tl::unexpected(contextNode.error());
  Entry context(*contextNode, "contexts[\"" + contextName + "\"].context");
  const std::string clusterName = context.string("cluster");
  const std::string userName = context.string("user");
  if (!context.error().empty()) return tl::unexpected(context.error());
  if (clusterName.empty()) {
    context.fail("cluster", "required: the context names no cluster");
    return tl::unexpected(context.error());
  }

  RestConfig config;
  config.origin = "kubeconfig " + path.string() + " (context " + contextName + ")";
  const std::filesystem::path base = path.parent_path();
  if (auto ok = readCluster(root, clusterName, base, config); !ok)
    return tl::unexpected(ok.error());
  if (!userName.empty())
    if (auto ok = readUser(root, userName, base, config); !ok) return tl::unexpected(ok.error());
  return config;
}

}  // namespace

tl::expected<RestConfig, std::string> parseKubeconfig(std::string_view text,
                                                      const std::filesystem::path& path,
                                                      std::string_view context) {
  const std::string prefix = "kubeconfig " + path.string() + ": ";
  try {
    const YAML::Node root = YAML::Load(std::string(text));
    auto config = parse(root, path, context);
    if (!config) return tl::unexpected(prefix + config.error());
    return config;
  } catch (const YAML::Exception& e) {
    // e.what() carries "yaml-cpp: error at line L, column C: ..." for syntax errors.
    return tl::unexpected(prefix + "not valid YAML: " + e.what());
  }
}

tl::expected<RestConfig, std::string> loadKubeconfig(const std::filesystem::path& path,
                                                     std::string_view context) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return tl::unexpected("kubeconfig " + path.string() + ": is a directory, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    return tl::unexpected("kubeconfig " + path.string() +
                          ": cannot read: " + std::strerror(err));  // NOLINT(concurrency-mt-unsafe)
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parseKubeconfig(text.str(), path, context);
}

}  // namespace kpx::watch
