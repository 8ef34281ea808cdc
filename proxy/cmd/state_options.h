// The flags that decide the desired state (shared by run, plan and dump --check) and the agent's
// own flags (run), merged with a KubeProxyConfiguration file (--config) into a validated
// AgentConfig. As kube-proxy: a flag given explicitly wins over the file, the file wins over the
// defaults.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <tl/expected.hpp>
#include <vector>

#include "proxy/agent_config.h"
#include "proxy/config.h"

namespace kpx::cmd {

// Each optional is set only when its flag was given, so that the file's value can apply.
struct StateOptions {
  std::optional<std::string> nodeName;  // --node-name / --hostname-override
  std::optional<std::vector<std::string>> clusterCIDRs;
  std::optional<bool> masqueradeAll;
  std::optional<std::vector<std::string>> nodePortAddresses;
  std::string configFile;

  // Not a flag of its own here: each command declares --mode (plan's differs), and the caller
  // sets this when --mode was given explicitly.
  std::optional<std::string> mode;

  // addAgentOptions (kpx run).
  std::optional<std::string> minSyncPeriod;  // Go durations, parsed by toAgentConfig
  std::optional<std::string> syncPeriod;
  std::optional<std::string> healthzBindAddress;
  std::optional<std::string> metricsBindAddress;
  std::optional<std::string> kubeconfig;
  std::optional<std::string> master;
};

// --node-name (alias --hostname-override), --cluster-cidr, --masquerade-all,
// --nodeport-addresses, --config.
void addStateOptions(CLI::App& app, StateOptions& options);
// kpx run's: --min-sync-period, --sync-period, --healthz-bind-address, --metrics-bind-address,
// --kubeconfig, --master.
void addAgentOptions(CLI::App& app, StateOptions& options);

// The file (if any), then the flags given, validated. Fails with a message naming the flag (or
// the file and field) that is wrong. The file's warnings are logged and, when `warnings` is not
// null, also returned there.
tl::expected<AgentConfig, std::string> toAgentConfig(const StateOptions& options,
                                                     std::vector<std::string>* warnings = nullptr);

// toAgentConfig(options).proxy: what `kpx plan` and `kpx run --once` need.
tl::expected<ProxyConfig, std::string> toProxyConfig(const StateOptions& options);

}  // namespace kpx::cmd
