// The flags that decide the desired state (shared by run, plan and dump --check), and their
// translation into a validated ProxyConfig.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <tl/expected.hpp>
#include <vector>

#include "proxy/config.h"

namespace kpx::cmd {

struct StateOptions {
  std::string nodeName;  // default: $NODE_NAME, then the host name (as kube-proxy)
  std::vector<std::string> clusterCIDRs;
  bool masqueradeAll = false;
  std::vector<std::string> nodePortAddresses;
  std::string configFile;
};

void addStateOptions(CLI::App& app, StateOptions& options);

// Fails with a message naming the flag and value that are wrong.
tl::expected<ProxyConfig, std::string> toProxyConfig(const StateOptions& options);

}  // namespace kpx::cmd
