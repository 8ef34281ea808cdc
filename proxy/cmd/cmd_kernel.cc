// kpx run --once, dump and cleanup: the commands that touch the kernel.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "dataplane/nftables/nftables_dataplane.h"
#include "proxy/cmd/commands.h"
#include "proxy/log.h"
#include "proxy/text_table.h"

namespace kpx::cmd {

tl::expected<std::unique_ptr<Dataplane>, std::string> makeDataplane(const std::string& mode) {
  if (mode == "nftables") {
    auto dp = nftables::NftablesDataplane::create();
    if (!dp) return tl::unexpected("nftables: " + dp.error());
    return std::unique_ptr<Dataplane>(std::move(*dp));
  }
  return tl::unexpected("--mode " + mode + ": not implemented yet");
}

int runDump(const DumpOptions& o) {
  auto dataplane = makeDataplane(o.mode);
  if (!dataplane) {
    std::fprintf(stderr, "kpx dump: %s\n", dataplane.error().c_str());
    return 1;
  }
  const Inventory inv = (*dataplane)->dump();
  if (!inv.error.empty()) {
    std::fprintf(stderr, "kpx dump: %s\n", inv.error.c_str());
    return 1;
  }
  if (o.format == "raw") {
    std::cout << inv.raw;
  } else if (o.format == "json") {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : inv.entries)
      out.push_back({{"name", e.name},
                     {"family", toString(e.family)},
                     {"protocol", toString(e.protocol)},
                     {"vips", e.vips},
                     {"endpoints", e.endpoints},
                     {"affinity", e.affinity}});
    std::cout << nlohmann::json{{"mode", o.mode}, {"servicePorts", out}}.dump(2) << "\n";
  } else {
    TextTable table({"SERVICE", "FAMILY", "PROTO", "VIPS", "ENDPOINTS", "AFFINITY"});
    for (const auto& e : inv.entries)
      table.addRow({e.name, std::string(toString(e.family)), std::string(toLowerString(e.protocol)),
                    join(e.vips, " "), e.endpoints.empty() ? "-" : join(e.endpoints, ","),
                    e.affinity.empty() ? "-" : e.affinity});
    std::cout << table.str();
    std::cout << "\n" << inv.entries.size() << " service ports in the kernel (" << o.mode << ")\n";
  }
  return 0;
}

int runCleanup(const std::string& mode) {
  auto dataplane = makeDataplane(mode);
  if (!dataplane) {
    std::fprintf(stderr, "kpx cleanup: %s\n", dataplane.error().c_str());
    return 1;
  }
  const SyncResult result = (*dataplane)->cleanup();
  if (!result.ok) {
    std::fprintf(stderr, "kpx cleanup: %s\n", result.error.c_str());
    return 1;
  }
  log::info("removed kpx's " + mode + " rules");
  return 0;
}

}  // namespace kpx::cmd
