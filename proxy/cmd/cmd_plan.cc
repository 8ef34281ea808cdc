// kpx plan: manifests in, desired state out. No kernel, no network.
#include <cstdio>
#include <iostream>

#include "proxy/build_state.h"
#include "proxy/cmd/backend_registry.h"
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
  const Backend* backend = nullptr;
  if (o.mode) {
    backend = findBackend(*o.mode);
    if (!backend) return notImplemented("plan --mode " + std::string(toString(*o.mode)));
  }
  auto config = toAgentConfig(o.state);
  if (!config) {
    std::fprintf(stderr, "kpx plan: %s\n", config.error().c_str());
    return 2;
  }
  auto planned = stateFromManifests(o.source, config->proxy);
  if (!planned) {
    std::fprintf(stderr, "kpx plan: %s\n", planned.error().c_str());
    return 1;
  }
  if (backend) {
    auto text = backend->make(backendOptions(*config))->render(planned->state);
    if (!text) {
      std::fprintf(stderr, "kpx plan: %s\n", text.error().str().c_str());
      return 1;
    }
    std::cout << *text;
    return 0;
  }
  if (o.format == "json") {
    nlohmann::json out = planToJson(planned->state);
    out["nodeName"] = config->proxy.nodeName;
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
