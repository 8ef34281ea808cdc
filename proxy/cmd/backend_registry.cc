#include "proxy/cmd/backend_registry.h"

#include "dataplane/nftables/nftables_dataplane.h"
#include "dataplane/node/capabilities.h"
#include "dataplane/node/local_addresses.h"

namespace kpx::cmd {

const std::vector<Backend>& backends() {
  static const std::vector<Backend> all = {
      Backend{.mode = ProxyMode::NFTables,
              .needs = {.netAdmin = true, .nfTables = true, .ipvs = false},
              .make = [](BackendOptions o) -> std::unique_ptr<Dataplane> {
                return std::make_unique<nftables::NftablesDataplane>(std::move(o));
              }},
  };
  return all;
}

const Backend* findBackend(ProxyMode mode) {
  for (const auto& b : backends())
    if (b.mode == mode) return &b;
  return nullptr;
}

std::optional<UnmetNeed> unmetNeeds(const BackendNeeds& needs) {
  using What = UnmetNeed::What;
  if (needs.netAdmin && !node::hasNetAdmin())
    return UnmetNeed{What::NetAdmin, "kpx needs root or CAP_NET_ADMIN to program the kernel"};
  if (needs.nfTables && !node::kernelHasNfTables())
    return UnmetNeed{What::NfTables,
                     "nf_tables is not available in this kernel (the nftables netlink API does not "
                     "answer)"};
  if (needs.ipvs && !node::kernelHasIPVS())
    return UnmetNeed{What::IPVS,
                     "IPVS is not available in this kernel (generic netlink family IPVS not found)"};
  return std::nullopt;
}

BackendOptions backendOptions(const AgentConfig& config) {
  BackendOptions o;
  o.localhostNodePorts = config.localhostNodePorts;
  o.ipvs = config.ipvs;
  o.nodeAddresses = [] { return node::localAddresses(); };
  return o;
}

}  // namespace kpx::cmd
