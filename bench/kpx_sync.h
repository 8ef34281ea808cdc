// The kpx side of `kpx-bench sync`: one repetition at one size, in a fresh namespace.
//   full:        NftablesDataplane::sync(A, Full) on an empty namespace
//   incremental: `changes` syncs alternating A->B, B->A (one endpoint of one service replaced)
//   restart:     a new NftablesDataplane in the same namespace: create() + sync(A, Full), which
//                must find its table in place and adopt it
#pragma once

#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "bench/workload.h"

namespace kpx::bench {

struct Timed {
  double wallS = 0;
  double userS = 0;  // CPU of this process over the same interval
  double sysS = 0;
  size_t messages = 0;  // netlink messages the sync sent
};

struct KpxRep {
  double createS = 0;               // NftablesDataplane::create() before the full sync
  Timed full;
  std::vector<Timed> incremental;
  Timed restart;                     // create() + sync(Full), rules in place
  bool adopted = false;              // the restart found its table and wrote nothing
  long maxRssKiB = 0;                // this process's peak so far (includes building the states)
  std::string verified;              // what was checked against the kernel, if anything
};

// `verify`: read the table back (dump(), outside the timings) after the full sync and after the
// first incremental change, and fail unless it holds what was synced.
tl::expected<KpxRep, std::string> runKpxRep(const Workload& w, const ProxyState& a,
                                            const ProxyState& b, int changes, bool verify);

}  // namespace kpx::bench
