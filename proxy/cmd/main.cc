// kpx: the command line (docs/cli.md). The only place that knows every layer; it wires them.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "proxy/cmd/commands.h"
#include "proxy/cmd/version.h"
#include "proxy/log.h"

namespace {

constexpr const char* kModes = "nftables|iptables|ipvs";

void addModeOption(CLI::App& app, std::string& mode) {
  app.add_option("--mode", mode, std::string("Dataplane backend: ") + kModes)
      ->check(CLI::IsMember({"nftables", "iptables", "ipvs"}));
}

kpx::ProxyMode modeOf(const std::string& text) {
  return kpx::parseProxyMode(text).value_or(kpx::cmd::kDefaultMode);  // checked by IsMember
}

}  // namespace

int main(int argc, char** argv) {
  using namespace kpx::cmd;
  CLI::App app{
      "kpx: a Kubernetes service proxy. It watches Services and EndpointSlices (or reads them "
      "from manifests) and programs the kernel so that ClusterIP, NodePort, LoadBalancer and "
      "externalIP traffic reaches the pods. A drop-in replacement for kube-proxy.",
      "kpx"};
  app.require_subcommand(1);
  app.footer("Run 'kpx <command> --help' for a command's options.");
  int verbosity = 0;
  app.add_option("-v,--v", verbosity, "Log verbosity: 0 info, higher numbers add debug lines")
      ->check(CLI::Range(0, 10));
  // Subcommands (created below, inheriting this) hand options they do not know to kpx itself:
  // `kpx run --v=2`, as kubeadm's kube-proxy DaemonSet writes it, sets the verbosity.
  app.fallthrough();

  PlanOptions plan;
  std::string planMode;
  auto* planCmd = app.add_subcommand(
      "plan", "Print the rules kpx would program for a set of manifests; touches no kernel");
  planCmd->add_option("--source", plan.source,
                      "A YAML/JSON file or directory of Services, EndpointSlices, Endpoints "
                      "and Nodes (kubectl get -o yaml output works)")
      ->required();
  planCmd->add_option("--format", plan.format, "Output: table (for people) or json")
      ->check(CLI::IsMember({"table", "json"}));
  addModeOption(*planCmd, planMode);
  addStateOptions(*planCmd, plan.state);

  RunOptions run;
  std::string runMode = "nftables";
  auto* runCmd = app.add_subcommand("run", "Run the proxy: sync the kernel with the cluster");
  runCmd->add_option("--source", run.source,
                     "Manifests to serve (file or directory) instead of an API server");
  addModeOption(*runCmd, runMode);
  addStateOptions(*runCmd, run.state);
  addAgentOptions(*runCmd, run.state);  // also --kubeconfig and --master
  runCmd->add_flag("--once", run.once, "Sync once and exit (0 on success)");

  DumpOptions dump;
  std::string dumpMode = "nftables";
  auto* dumpCmd =
      app.add_subcommand("dump", "Read kpx's rules back from the kernel, as services and endpoints");
  addModeOption(*dumpCmd, dumpMode);
  dumpCmd->add_option("--format", dump.format, "Output: table, json or raw")
      ->check(CLI::IsMember({"table", "json", "raw"}));
  auto* checkFlag = dumpCmd->add_flag(
      "--check", dump.check,
      "Compare the kernel with the desired state of --source; name each service port that "
      "differs and exit 1 on drift");
  dumpCmd->add_option("--source", dump.source, "Manifests giving the desired state, for --check")
      ->needs(checkFlag);
  addStateOptions(*dumpCmd, dump.state);

  std::string cleanupMode;
  auto* cleanupCmd = app.add_subcommand(
      "cleanup",
      "Remove every rule, set and service kpx owns (and nothing else): of one mode with --mode, "
      "else of every mode");
  addModeOption(*cleanupCmd, cleanupMode);

  std::string versionFormat = "text";
  app.add_subcommand("version", "Print kpx's version (json: also its backends and what they need)")
      ->add_option("--format", versionFormat, "Output: text or json")
      ->check(CLI::IsMember({"text", "json"}));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version print and succeed; any other parse error is a usage error: 2, as
    // the rest of kpx's configuration errors.
    return app.exit(e) == 0 ? 0 : 2;
  }
  kpx::log::setVerbosity(verbosity);
  // An explicit --mode wins over the config file's mode (run.state decides the AgentConfig).
  if (runCmd->count("--mode") > 0) run.state.mode = runMode;
  if (!planMode.empty()) plan.mode = modeOf(planMode);
  dump.mode = modeOf(dumpMode);
  run.kubeconfig = run.state.kubeconfig.value_or("");
  if (app.count("-v") > 0) run.verbosity = verbosity;

  if (*planCmd) return runPlan(plan);
  if (app.got_subcommand("version")) {
    if (versionFormat == "json") {
      std::printf("%s\n", versionJson(kpx::kVersion, kpx::kGitCommit).c_str());
      return 0;
    }
    std::printf("kpx %s (commit %s)\n", kpx::kVersion, kpx::kGitCommit);
    return 0;
  }
  if (*runCmd) return runRun(run);
  if (*dumpCmd) return runDump(dump);
  if (*cleanupCmd)
    return runCleanup(cleanupMode.empty() ? std::nullopt : std::optional(modeOf(cleanupMode)));
  return 2;
}
