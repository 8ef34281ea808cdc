// `--config FILE`: kube-proxy's own KubeProxyConfiguration (kubeproxy.config.k8s.io/v1alpha1)
// read into kpx's AgentConfig (docs/cli.md), so a cluster's existing kube-proxy ConfigMap works
// unchanged.
//
// As kube-proxy: fields left out, null or zero take kube-proxy's defaults (minSyncPeriod 1s,
// syncPeriod 30s, masqueradeBit 14, healthz 0.0.0.0:10256, metrics 127.0.0.1:10249, ...); the
// section whose periods and masquerade settings apply follows `mode` (nftables: nftables.*,
// ipvs: ipvs periods with iptables masquerade, iptables or "": iptables.*); values are validated
// as kube-proxy validates them.
//
// Never fatal: unknown fields (typos, fields of other versions) and fields kpx does not
// implement set to a non-default value are warnings naming the field path, and the rest of the
// file still applies. Fatal, with every problem named: not a KubeProxyConfiguration of a known
// version, a syntax error, a wrong type or an unparsable duration in a field kpx uses, a value
// kube-proxy would reject.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "proxy/agent_config.h"

namespace kpx::watch {

struct KubeProxyConfigFile {
  AgentConfig config;                 // defaults where the file is silent; nodeName unresolved
  std::vector<std::string> warnings;  // "iptables.snatNodeInternalIP: not supported by kpx..."
};

// YAML or JSON text holding a KubeProxyConfiguration; also accepted: a multi-document YAML in
// which one document is one (kind's and kubeadm's config files; the others are skipped with a
// warning), and a ConfigMap holding it under data["config.conf"] (kubeadm's kube-proxy
// ConfigMap, as `kubectl get -o yaml` prints it). Errors are "field: reason", "; "-joined.
tl::expected<KubeProxyConfigFile, std::string> parseKubeProxyConfiguration(std::string_view text);

// The file at `path`; errors start with the path.
tl::expected<KubeProxyConfigFile, std::string> loadKubeProxyConfiguration(
    const std::filesystem::path& path);

// "10.0.0.1" -> "10.0.0.1:<port>", "::1" -> "[::1]:<port>"; anything else unchanged (kube-proxy's
// AppendPortIfNeeded: an address written without its port keeps the default port).
std::string appendPortIfNeeded(const std::string& address, int port);

// Why `address` is not "IP:port" ("[IPv6]:port"), or "" when it is.
std::string hostPortProblem(const std::string& address);

}  // namespace kpx::watch
