// kpx dump and cleanup: the commands that read or clear the kernel without a desired state.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "proxy/cmd/backend_registry.h"
#include "proxy/cmd/commands.h"
#include "proxy/log.h"
#include "proxy/text_table.h"

namespace kpx::cmd {
namespace {

nlohmann::json inventoryJson(const Inventory& inv, ProxyMode mode) {
  nlohmann::json ports = nlohmann::json::array();
  for (const auto& p : inv.ports) {
    nlohmann::json vips = nlohmann::json::array(), endpoints = nlohmann::json::array();
    for (const auto& v : p.vips)
      vips.push_back({{"kind", toString(v.kind)},
                      {"ip", v.ip ? v.ip->str() : ""},
                      {"port", v.port},
                      {"action", toString(v.action)},
                      {"text", v.str()}});
    for (const auto& e : p.endpoints)
      endpoints.push_back({{"ip", e.ip.str()},
                           {"port", e.port},
                           {"phase", e.phase == EndpointPhase::Draining ? "draining" : "active"},
                           {"text", e.str()}});
    ports.push_back({{"name", p.key.str()},
                     {"namespace", p.key.namespace_},
                     {"service", p.key.name},
                     {"portName", p.key.portName},
                     {"family", toString(p.key.family)},
                     {"protocol", toString(p.key.protocol)},
                     {"vips", vips},
                     {"endpoints", endpoints},
                     {"affinityTimeoutSeconds",
                      p.affinitySeconds ? nlohmann::json(*p.affinitySeconds) : nlohmann::json()}});
  }
  return {{"mode", toString(mode)}, {"servicePorts", ports}};
}

std::string inventoryTable(const Inventory& inv, ProxyMode mode) {
  TextTable table({"SERVICE", "FAMILY", "PROTO", "VIPS", "ENDPOINTS", "AFFINITY"});
  for (const auto& p : inv.ports) {
    std::vector<std::string> vips, endpoints;
    for (const auto& v : p.vips) vips.push_back(v.str());
    for (const auto& e : p.endpoints) endpoints.push_back(e.str());
    table.addRow({p.key.str(), std::string(toString(p.key.family)),
                  std::string(toLowerString(p.key.protocol)), join(vips, " "),
                  endpoints.empty() ? "-" : join(endpoints, ","),
                  p.affinitySeconds ? "ClientIP " + std::to_string(*p.affinitySeconds) + "s" : "-"});
  }
  return table.str() + "\n" + std::to_string(inv.ports.size()) + " service ports in the kernel (" +
         std::string(toString(mode)) + ")\n";
}

// The backend of `mode`, ready to touch this network namespace's kernel; exit code on failure.
std::unique_ptr<Dataplane> openKernelBackend(const char* command, ProxyMode mode, int& exitCode) {
  const Backend* backend = findBackend(mode);
  if (!backend) {
    exitCode = notImplemented(std::string(command) + " --mode " + std::string(toString(mode)));
    return nullptr;
  }
  if (auto missing = unmetNeeds(backend->needs)) {
    std::fprintf(stderr, "kpx %s: %s\n", command, missing->message.c_str());
    exitCode = 1;
    return nullptr;
  }
  return backend->make(backendOptions(AgentConfig{}));
}

}  // namespace

// dump --check: the drift check is one comparison of typed inventories.
int checkDrift(const DumpOptions& o, const Inventory& inv) {
  if (o.source.empty()) {
    std::fprintf(stderr, "kpx dump: --check needs --source (the desired state)\n");
    return 2;
  }
  auto config = toAgentConfig(o.state);
  if (!config) {
    std::fprintf(stderr, "kpx dump: %s\n", config.error().c_str());
    return 2;
  }
  auto planned = stateFromManifests(o.source, config->proxy);
  if (!planned) {
    std::fprintf(stderr, "kpx dump: %s\n", planned.error().c_str());
    return 1;
  }
  const Inventory want = expectedInventory(planned->state);
  const auto differences = inventoryDifferences(want, inv.withoutDraining());
  for (const auto& d : differences) std::cout << "drift: " << d << "\n";
  if (!differences.empty()) {
    std::cout << differences.size() << " service ports differ from " << o.source << "\n";
    return 1;
  }
  std::cout << "no drift: the kernel holds the " << want.ports.size() << " service ports of "
            << o.source << "\n";
  return 0;
}

int runDump(const DumpOptions& o) {
  int exitCode = 0;
  auto dataplane = openKernelBackend("dump", o.mode, exitCode);
  if (!dataplane) return exitCode;
  const auto inv = dataplane->dump();
  if (!inv) {
    std::fprintf(stderr, "kpx dump: %s\n", inv.error().str().c_str());
    return 1;
  }
  if (o.check) return checkDrift(o, *inv);
  if (o.format == "raw")
    std::cout << inv->raw;
  else if (o.format == "json")
    std::cout << inventoryJson(*inv, o.mode).dump(2) << "\n";
  else
    std::cout << inventoryTable(*inv, o.mode);
  return 0;
}

std::string versionJson(const char* version, const char* commit) {
  nlohmann::json backends = nlohmann::json::array();
  for (const auto& b : cmd::backends()) {
    nlohmann::json needs = nlohmann::json::array();
    if (b.needs.netAdmin) needs.push_back("netAdmin");
    if (b.needs.nfTables) needs.push_back("nfTables");
    if (b.needs.ipvs) needs.push_back("ipvs");
    backends.push_back({{"mode", toString(b.mode)}, {"needs", needs}});
  }
  return nlohmann::json{{"version", version}, {"commit", commit}, {"backends", backends}}.dump(2);
}

int runCleanup(std::optional<ProxyMode> mode) {
  if (mode) {
    int exitCode = 0;
    auto dataplane = openKernelBackend("cleanup", *mode, exitCode);
    if (!dataplane) return exitCode;
    if (auto done = dataplane->cleanup(); !done) {
      std::fprintf(stderr, "kpx cleanup: %s\n", done.error().str().c_str());
      return 1;
    }
    log::info("removed kpx's " + std::string(toString(*mode)) + " rules");
    return 0;
  }
  // Every mode's, as kube-proxy does when switching modes. A kernel that lacks what a mode needs
  // cannot hold its rules either.
  int exitCode = 0;
  for (const auto& backend : backends()) {
    const std::string name(toString(backend.mode));
    if (auto missing = unmetNeeds(backend.needs)) {
      if (missing->what == UnmetNeed::What::NetAdmin) {
        std::fprintf(stderr, "kpx cleanup: %s\n", missing->message.c_str());
        return 1;
      }
      log::info("cleanup: nothing to remove for " + name + ": " + missing->message);
      continue;
    }
    if (auto done = backend.make(backendOptions(AgentConfig{}))->cleanup(); !done) {
      std::fprintf(stderr, "kpx cleanup: %s: %s\n", name.c_str(), done.error().str().c_str());
      exitCode = 1;
      continue;
    }
    log::info("removed kpx's " + name + " rules");
  }
  return exitCode;
}

}  // namespace kpx::cmd
