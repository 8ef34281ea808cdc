// kpx plan: manifests in, desired state out. No kernel, no network.
#include <cstdio>
#include <iostream>

#include "dataplane/nftables/nftables_dataplane.h"
#include "proxy/build_state.h"
#include "proxy/cmd/commands.h"
#include "proxy/log.h"
#include "proxy/plan_render.h"
#include "watch/file_source.h"

namespace kpx::cmd {

int notImplemented(const std::string& what) {
  std::fprintf(stderr, "kpx: %s: not implemented yet\n", what.c_str());
  return 3;
}

tl::expected<ManifestState, std::string> stateFromManifests(const std::string& source,
                                                            const ProxyConfig& config) {
  auto loaded = loadManifests(source);
  if (!loaded) return tl::unexpected(loaded.error());
  // Invalid objects are skipped and named; the rest of the cluster is still served.
  for (const auto& err : loaded->errors) log::warn("skipping invalid object: " + err.str());
  ClusterSnapshot cluster;
  for (auto& object : loaded->objects) upsert(cluster, std::move(object));
  const Node* node = cluster.node(config.nodeName);
  if (!node)
    log::info("node \"" + config.nodeName +
              "\" not in the source: no zone, and no endpoint is local unless it names it");
  return ManifestState{buildState(cluster, node, config), std::move(loaded->errors)};
}

int runPlan(const PlanOptions& o) {
  if (!o.mode.empty() && o.mode != "nftables") return notImplemented("plan --mode " + o.mode);
  auto config = toProxyConfig(o.state);
  if (!config) {
    std::fprintf(stderr, "kpx plan: %s\n", config.error().c_str());
    return 2;
  }
  auto planned = stateFromManifests(o.source, *config);
  if (!planned) {
    std::fprintf(stderr, "kpx plan: %s\n", planned.error().c_str());
    return 1;
  }
  if (o.mode == "nftables") {
    std::cout << nftables::NftablesDataplane::renderText(planned->state);
    return 0;
  }
  if (o.format == "json") {
    nlohmann::json out = planToJson(planned->state);
    out["nodeName"] = config->nodeName;
    out["skipped"] = nlohmann::json::array();
    for (const auto& err : planned->skipped) out["skipped"].push_back(err.str());
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << renderPlanTable(planned->state);
    if (!planned->skipped.empty())
      std::cout << planned->skipped.size() << " invalid object(s) skipped (see the log above)\n";
  }
  return 0;
}

}  // namespace kpx::cmd
