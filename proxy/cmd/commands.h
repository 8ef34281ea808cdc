// The kpx subcommands. main.cc declares the CLI; each command lives in its own file.
#pragma once

#include <string>

#include "proxy/cmd/state_options.h"

namespace kpx::cmd {

struct PlanOptions {
  std::string source;
  std::string format = "table";
  std::string mode;  // empty: the backend-neutral plan
  StateOptions state;
};
int runPlan(const PlanOptions& options);

// A command or flag whose implementation has not landed: says so and fails (exit 3).
int notImplemented(const std::string& what);

}  // namespace kpx::cmd
