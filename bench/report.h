// kpx-bench's results: what one run measured, printed as a table (with the ratios kpx/peer and
// the targets of docs/performance.md) or as JSON.
#pragma once

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/kpx_sync.h"
#include "bench/peer.h"

namespace kpx::bench {

struct Summary {
  size_t n = 0;
  double median = 0;
  double min = 0;
  double max = 0;
};
Summary summarize(std::vector<double> xs);

struct SizeResult {
  Workload workload;
  std::vector<KpxRep> kpx;
  std::map<std::string, std::vector<PeerRep>> peers;  // "nft", "iptables-legacy"
  std::vector<std::string> errors;
  std::string loadBefore;  // /proc/loadavg's first three fields
  std::string loadAfter;
};

struct RunInfo {
  std::string command;  // the command line
  std::string host;     // kernel, CPUs, tool versions
  std::string started;  // UTC
  int reps = 0;
  int peerReps = 0;
  int changes = 0;
};

std::string loadAverage();
void printTable(std::FILE* out, const RunInfo& info, const std::vector<SizeResult>& sizes);
nlohmann::json toJson(const RunInfo& info, const std::vector<SizeResult>& sizes);

}  // namespace kpx::bench
