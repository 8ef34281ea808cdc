// How to reach and authenticate to an API server: what a kubeconfig context or the in-cluster
// service account resolves to (client-go's rest.Config, as much of it as kpx needs).
#pragma once

#include <filesystem>
#include <string>

#include <tl/expected.hpp>

#include "watch/kube/in_cluster_config.h"

namespace kpx::watch {

// PEM material either in a file (read by libcurl at each TLS handshake, so a certificate rotated
// on disk is picked up by the next connection) or inline (a kubeconfig's *-data field, handed to
// libcurl as a blob: never written to a temporary file).
struct PemSource {
  std::filesystem::path file;
  std::string data;
  bool empty() const { return file.empty() && data.empty(); }
};

struct RestConfig {
  std::string server;  // "https://10.0.0.1:6443" or with a path prefix; no trailing slash
  PemSource certificateAuthority;  // empty: the system's trust store
  PemSource clientCertificate;
  PemSource clientKey;
  std::string token;                // bearer token
  std::filesystem::path tokenFile;  // re-read when it changes; wins over `token` once read
  std::string username, password;   // basic auth (old clusters)
  bool insecureSkipTlsVerify = false;
  std::string
      origin;  // where this came from, for messages: "kubeconfig F (context C)", "in-cluster"
};

// kube-proxy's flags: --kubeconfig, --master, and in-cluster config when neither is given.
struct ConnectionOptions {
  std::filesystem::path kubeconfig;
  std::string context;  // empty: the kubeconfig's current-context
  std::string master;   // overrides the server of the kubeconfig (or is the only setting)
};

// --kubeconfig [--context] [--master]: the kubeconfig, with the server overridden by --master;
// --master alone: that server, no credentials; neither: the in-cluster service account.
tl::expected<RestConfig, std::string> resolveRestConfig(const ConnectionOptions& options,
                                                        const InClusterEnvironment& env = {});

// "https://host:6443/prefix/" -> "https://host:6443/prefix"; a URL without a scheme gets
// https://. An error names what is wrong ("unsupported scheme ftp").
tl::expected<std::string, std::string> normalizeServerUrl(std::string_view url);

}  // namespace kpx::watch
