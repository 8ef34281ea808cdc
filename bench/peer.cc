#include "bench/peer.h"

#include <unistd.h>

#include "bench/netns.h"

namespace kpx::bench {
namespace {

// As kube-proxy's utiliptables runs it.
const std::vector<std::string> kLegacyRestore = {"iptables-legacy-restore", "--noflush", "--counters",
                                                 "-w", "5", "-W", "100000"};

bool exists(const std::string& path) { return access(path.c_str(), R_OK) == 0; }

std::string failure(const std::string& what, const ChildResult& r) {
  if (r.timedOut) return what + ": timed out after " + std::to_string(r.wallS) + " s";
  return what + ": exit " + std::to_string(r.status) + (r.errTail.empty() ? "" : ": " + r.errTail);
}

}  // namespace

tl::expected<std::string, std::string> generatePeerFiles(const Workload& w, const PeerOptions& o) {
  const std::string dir =
      o.genDir + "/n" + std::to_string(w.services) + "m" + std::to_string(w.endpoints);
  if (exists(dir + "/meta.json")) return dir;  // gen.py writes meta.json last
  if (!exists(o.genPy)) return tl::unexpected("gen.py not found at " + o.genPy + " (--gen-py)");
  const CommandResult r = runCommand({"python3", o.genPy, "-n", std::to_string(w.services), "-m",
                                      std::to_string(w.endpoints), "-o", dir});
  if (r.status != 0 || !exists(dir + "/meta.json")) {
    return tl::unexpected("gen.py failed: " + r.output);
  }
  return dir;
}

tl::expected<PeerRep, std::string> runPeerRep(const std::string& method, const std::string& dir,
                                              int changes, const PeerOptions& o) {
  auto ns = Netns::create();
  if (!ns) return tl::unexpected(ns.error());
  Netns& at = *ns;
  PeerRep rep;
  rep.method = method;
  rep.spawnFloor = runInNetns(at, {"true"});
  const bool nft = method == "nft";
  if (!nft) {
    const ChildResult jumps = runInNetns(at, kLegacyRestore, dir + "/ipt-jumps.rules");
    if (!jumps.ok()) return tl::unexpected(failure("jump rules", jumps));
    rep.full = runInNetns(at, kLegacyRestore, dir + "/ipt-full.rules", o.timeoutS);
  } else {
    rep.full = runInNetns(at, {"nft", "-f", dir + "/nft-full.nft"}, "", o.timeoutS);
  }
  if (!rep.full.ok()) {
    rep.error = failure(nft ? "nft -f nft-full.nft" : "iptables-legacy-restore ipt-full.rules",
                        rep.full);
    return rep;
  }
  for (int i = 0; i < changes; ++i) {
    const std::string dirn = i % 2 == 0 ? "fwd" : "rev";
    ChildResult r;
    if (nft) {
      rep.listChains.push_back(runInNetns(at, {"nft", "--json", "list", "chains", "ip"}));
      if (!rep.listChains.back().ok()) return tl::unexpected(failure("list chains", rep.listChains.back()));
      r = runInNetns(at, {"nft", "-f", dir + "/nft-partial-" + dirn + ".nft"});
    } else {
      r = runInNetns(at, kLegacyRestore, dir + "/ipt-partial-" + dirn + ".rules");
    }
    if (!r.ok()) return tl::unexpected(failure("partial " + dirn, r));
    rep.partial.push_back(r);
    if (nft) {
      rep.staleDelete.push_back(runInNetns(at, {"nft", "-f", dir + "/nft-stale-" + dirn + ".nft"}));
      if (!rep.staleDelete.back().ok()) {
        return tl::unexpected(failure("stale delete", rep.staleDelete.back()));
      }
    }
  }
  return rep;
}

}  // namespace kpx::bench
