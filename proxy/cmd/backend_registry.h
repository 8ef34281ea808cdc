// The backends built into kpx, keyed on ProxyMode: what each needs from the machine, and how to
// make one with its BackendOptions. `kpx run`, `plan`, `dump`, `cleanup` and the tests all go
// through here; a mode without an entry is not implemented yet.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proxy/agent_config.h"
#include "proxy/backend_options.h"
#include "proxy/dataplane.h"
#include "proxy/proxy_mode.h"

namespace kpx::cmd {

// What a backend needs to sync, dump or clean up (render needs nothing).
struct BackendNeeds {
  bool netAdmin = false;  // root or CAP_NET_ADMIN
  bool nfTables = false;  // nf_tables in the kernel
  bool ipvs = false;      // IPVS in the kernel
};

struct Backend {
  ProxyMode mode = ProxyMode::NFTables;
  BackendNeeds needs;
  // Makes the backend; touches no kernel (the first sync, dump or cleanup does).
  std::function<std::unique_ptr<Dataplane>(BackendOptions)> make;
};

// Every backend kpx has, in kAllProxyModes order.
const std::vector<Backend>& backends();
// The backend of `mode`, or null when that mode is not implemented yet.
const Backend* findBackend(ProxyMode mode);

// The first of `needs` this machine lacks, with a message for an operator ("IPVS is not
// available in this kernel (generic netlink family IPVS not found)"); nullopt when nothing is
// missing. Probes the kernel in the calling thread's network namespace.
struct UnmetNeed {
  enum class What : uint8_t { NetAdmin, NfTables, IPVS };
  What what = What::NetAdmin;
  std::string message;
};
std::optional<UnmetNeed> unmetNeeds(const BackendNeeds& needs);

// BackendOptions from the agent's configuration, with the node's addresses read from this
// network namespace on every call.
BackendOptions backendOptions(const AgentConfig& config);

}  // namespace kpx::cmd
