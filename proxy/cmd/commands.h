// The kpx subcommands. main.cc declares the CLI; each command lives in its own file.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "proxy/cmd/state_options.h"
#include "proxy/dataplane.h"
#include "proxy/object_error.h"
#include "proxy/proxy_mode.h"
#include "proxy/state.h"

namespace kpx::cmd {

inline constexpr ProxyMode kDefaultMode = ProxyMode::NFTables;

struct PlanOptions {
  std::string source;
  std::string format = "table";
  std::optional<ProxyMode> mode;  // none: the backend-neutral plan
  StateOptions state;
};
int runPlan(const PlanOptions& options);

struct RunOptions {
  std::string source;
  std::string kubeconfig;
  bool once = false;
  // -v as given on the command line; unset: the config file's logging.verbosity decides.
  std::optional<int> verbosity;
  StateOptions state;
};
int runRun(const RunOptions& options);

struct DumpOptions {
  ProxyMode mode = kDefaultMode;
  std::string format = "table";
  // --check: compare the kernel with the desired state of --source (and the state flags), name
  // every service port that differs, exit 1 on drift.
  bool check = false;
  std::string source;
  StateOptions state;
};
int runDump(const DumpOptions& options);
// One mode's rules, or (none) every mode's.
int runCleanup(std::optional<ProxyMode> mode);

// `kpx version --format json`: the version, and each backend of the registry with what it needs
// from the machine ("netAdmin", "nfTables", "ipvs"): the declaration the test suites skip on.
std::string versionJson(const char* version, const char* commit);

// A command or flag whose implementation has not landed: says so and fails (exit 3).
int notImplemented(const std::string& what);

// The desired state from manifests: invalid objects are logged, skipped and returned.
struct ManifestState {
  ProxyState state;
  std::vector<ObjectError> skipped;
};
tl::expected<ManifestState, std::string> stateFromManifests(const std::string& source,
                                                            const ProxyConfig& config);

}  // namespace kpx::cmd
