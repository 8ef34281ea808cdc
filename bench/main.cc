// kpx-bench (docs/architecture.md, docs/performance.md): sync latency of kpx's nftables backend side by side with the way
// kube-proxy programs the same services on this machine. Every measurement runs in a fresh
// network namespace of its own (kpxb<pid>-<n>); the root namespace is never touched.
#include <sys/utsname.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>
#include <thread>

#include "bench/netns.h"
#include "bench/report.h"
#include "proxy/log.h"

namespace {

using namespace kpx::bench;

struct Options {
  std::vector<int> services = {100, 1000};
  int endpoints = 10;
  int reps = 3;
  int peerReps = 1;
  int changes = 6;
  std::vector<std::string> peers = {"nft", "iptables-legacy"};
  double peerTimeout = 900;
  std::string genPy = KPX_BENCH_GEN_PY;  // bench/kube_proxy_layouts/gen.py in the source tree
  std::string genDir = "/tmp/kpx-bench/gen";
  bool json = false;
  std::string output;
  bool noVerify = false;
};

std::string firstLine(const std::string& s) { return s.substr(0, s.find('\n')); }

std::string hostInfo() {
  utsname u{};
  uname(&u);
  std::string s = std::string("kernel ") + u.release + ", " +
                  std::to_string(std::thread::hardware_concurrency()) + " CPUs";
  for (const char* tool : {"nft", "iptables-legacy-restore"}) {
    if (!haveExecutable(tool)) continue;
    s += ", " + firstLine(runCommand({tool, "--version"}).output);
  }
  return s;
}

std::string utcNow() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

void progress(const std::string& line) { std::fprintf(stderr, "kpx-bench: %s\n", line.c_str()); }

std::string secs(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f s", s);
  return buf;
}

void runSize(const Options& o, const PeerOptions& po, SizeResult& out) {
  const Workload& w = out.workload;
  const std::string at = "N=" + std::to_string(w.services);
  out.loadBefore = loadAverage();
  const kpx::ProxyState a = buildWorkload(w);
  const kpx::ProxyState b = withReplacedEndpoint(a, w);
  std::string dir;
  if (!o.peers.empty()) {
    auto gen = generatePeerFiles(w, po);
    if (gen) {
      dir = *gen;
    } else {
      out.errors.push_back(gen.error());
    }
  }
  for (int rep = 0; rep < std::max(o.reps, o.peerReps); ++rep) {
    if (rep < o.reps) {
      auto r = runKpxRep(w, a, b, o.changes, rep == 0 && !o.noVerify);
      if (r) {
        const Summary inc = summarize([&] {
          std::vector<double> v;
          for (const auto& t : r->incremental) v.push_back(t.wallS);
          return v;
        }());
        progress(at + " rep " + std::to_string(rep) + " kpx full " + secs(r->full.wallS) + " (" +
                 std::to_string(r->full.messages) + " msgs), incremental median " +
                 secs(inc.median) + ", restart " + secs(r->restart.wallS) +
                 (r->adopted ? " (adopted)" : " (NOT adopted)"));
        out.kpx.push_back(std::move(*r));
      } else {
        out.errors.push_back("kpx rep " + std::to_string(rep) + ": " + r.error());
        progress(at + " kpx: " + r.error());
      }
    }
    if (rep >= o.peerReps || dir.empty()) continue;
    for (const auto& method : o.peers) {
      progress(at + " rep " + std::to_string(rep) + " " + method + " full load ...");
      auto r = runPeerRep(method, dir, o.changes, po);
      if (!r) {
        out.errors.push_back(method + " rep " + std::to_string(rep) + ": " + r.error());
        progress(at + " " + method + ": " + r.error());
        continue;
      }
      if (!r->error.empty()) out.errors.push_back(method + ": " + r->error);
      progress(at + " rep " + std::to_string(rep) + " " + method + " full " + secs(r->full.wallS) +
               (r->error.empty() ? "" : " FAILED: " + r->error));
      out.peers[method].push_back(std::move(*r));
    }
  }
  out.loadAfter = loadAverage();
}

int runSync(const Options& o, const std::string& command) {
  if (geteuid() != 0) {
    std::fprintf(stderr, "kpx-bench: needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN for namespaces)\n");
    return 2;
  }
  if (o.changes % 2 != 0) {
    std::fprintf(stderr, "kpx-bench: --changes must be even (A->B, B->A)\n");
    return 2;
  }
  for (const auto& p : o.peers) {
    const char* tool = p == "nft" ? "nft" : "iptables-legacy-restore";
    if (!haveExecutable(tool)) {
      std::fprintf(stderr, "kpx-bench: --peer %s needs %s on PATH\n", p.c_str(), tool);
      return 2;
    }
  }
  installCleanupHandler();
  kpx::log::setVerbosity(0);
  PeerOptions po{o.genPy, o.genDir, o.peerTimeout};
  RunInfo info{command, hostInfo(), utcNow(), o.reps, o.peers.empty() ? 0 : o.peerReps, o.changes};
  progress(info.host + "; load average " + loadAverage());
  std::vector<SizeResult> sizes;
  for (int n : o.services) {
    sizes.push_back({});
    sizes.back().workload = {n, o.endpoints};
    runSize(o, po, sizes.back());
  }
  const nlohmann::json j = toJson(info, sizes);
  if (!o.output.empty()) std::ofstream(o.output) << j.dump(1) << "\n";
  if (o.json) {
    std::printf("%s\n", j.dump(1).c_str());
  } else {
    printTable(stdout, info, sizes);
  }
  bool failed = false;
  for (const auto& s : sizes) failed = failed || !s.errors.empty();
  return failed ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"kpx-bench: kpx's sync latency next to kube-proxy's way, on this machine. Each "
               "measurement runs in a fresh network namespace (kpxb<pid>-<n>).",
               "kpx-bench"};
  app.require_subcommand(1);
  Options o;
  auto* sync = app.add_subcommand("sync", "Full, incremental and restart syncs of N x M services");
  sync->add_option("--services", o.services, "Service counts, comma-separated (default 100,1000)")
      ->delimiter(',')
      ->check(CLI::Range(1, 35535));
  sync->add_option("--endpoints", o.endpoints, "Endpoints per service")->check(CLI::Range(1, 1000));
  sync->add_option("--reps", o.reps, "kpx repetitions per size, each in a fresh namespace")
      ->check(CLI::Range(1, 100));
  sync->add_option("--changes", o.changes, "One-endpoint changes per repetition (even)")
      ->check(CLI::Range(0, 1000));
  std::string peers = "nft,iptables-legacy";
  sync->add_option("--peer", peers, "Peers to time: nft, iptables-legacy, both comma-separated, "
                                    "or none (nft -f at 10,000 services takes minutes)");
  sync->add_option("--peer-reps", o.peerReps, "Peer repetitions per size")->check(CLI::Range(1, 100));
  sync->add_option("--peer-timeout", o.peerTimeout, "Give up on one peer full load after this many "
                                                    "seconds (0: never)");
  sync->add_option("--gen-py", o.genPy, "kube-proxy layout generator (gen.py)");
  sync->add_option("--gen-dir", o.genDir, "Where gen.py's files go (reused when present)");
  sync->add_flag("--json", o.json, "Print JSON instead of the table");
  sync->add_option("--output", o.output, "Also write the JSON to this file");
  sync->add_flag("--no-verify", o.noVerify, "Skip reading kpx's table back in the first rep");
  auto* cleanup = app.add_subcommand(
      "cleanup", "Delete kpxb<pid>-* namespaces left by kpx-bench processes that no longer run");
  CLI11_PARSE(app, argc, argv);

  if (*cleanup) {
    std::printf("deleted %d stale namespace(s)\n", deleteStaleNamespaces());
    return 0;
  }
  o.peers.clear();
  std::stringstream ss(peers);
  for (std::string p; std::getline(ss, p, ',');) {
    if (p == "none" || p.empty()) continue;
    if (p != "nft" && p != "iptables-legacy") {
      std::fprintf(stderr, "kpx-bench: unknown --peer %s (nft, iptables-legacy, none)\n", p.c_str());
      return 2;
    }
    o.peers.push_back(p);
  }
  std::string command = "kpx-bench";
  for (int i = 1; i < argc; ++i) command += std::string(" ") + argv[i];
  return runSync(o, command);
}
