// The peer side of `kpx-bench sync`: kube-proxy's own layouts for the same N x M, written by
// bench/kube_proxy_layouts/gen.py and loaded with the tools kube-proxy uses, each repetition in
// a fresh namespace:
//   nft:              `nft -f nft-full.nft`; then per change `nft --json list chains ip` (kube-proxy
//                     lists chains every sync), `nft -f nft-partial-*.nft`, `nft -f nft-stale-*.nft`
//   iptables-legacy:  jump rules, then `iptables-legacy-restore --noflush --counters` of
//                     ipt-full.rules; per change the partial restore MinimizeIPTablesRestore sends
#pragma once

#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "bench/child.h"
#include "bench/workload.h"

namespace kpx::bench {

struct PeerOptions {
  std::string genPy;     // path of gen.py
  std::string genDir;    // generated files go to <genDir>/n<N>m<M> (reused when present)
  double timeoutS = 0;   // cap on one full load (0: none)
};

struct PeerRep {
  std::string method;                    // "nft" or "iptables-legacy"
  ChildResult spawnFloor;                // `true` through the same harness
  ChildResult full;
  std::vector<ChildResult> partial;      // the sync transaction / partial restore
  std::vector<ChildResult> listChains;   // nft only
  std::vector<ChildResult> staleDelete;  // nft only
  std::string error;                     // set when the full load failed or timed out
};

// Runs gen.py for this size unless its files are already there; returns the directory.
tl::expected<std::string, std::string> generatePeerFiles(const Workload& w, const PeerOptions& o);

// One repetition of `method` in a fresh namespace. `changes` must be even.
tl::expected<PeerRep, std::string> runPeerRep(const std::string& method, const std::string& dir,
                                              int changes, const PeerOptions& o);

}  // namespace kpx::bench
