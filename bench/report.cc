#include "bench/report.h"

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>

namespace kpx::bench {
namespace {

// One line of the table: a measure and its samples.
struct Row {
  std::string id;     // JSON key
  std::string label;  // table text
  std::vector<double> wall, user, sys, messages;
  std::string note;
};

std::vector<double> pick(const std::vector<ChildResult>& rs, double ChildResult::*field) {
  std::vector<double> out;
  for (const auto& r : rs) out.push_back(r.*field);
  return out;
}

Row childRow(std::string id, std::string label, const std::vector<ChildResult>& rs) {
  Row row{std::move(id), std::move(label), pick(rs, &ChildResult::wallS),
          pick(rs, &ChildResult::userS), pick(rs, &ChildResult::sysS), {}, ""};
  long rss = 0;
  for (const auto& r : rs) rss = std::max(rss, r.maxRssKiB);
  if (rss > 0) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "peak RSS %.1f MiB", static_cast<double>(rss) / 1024);
    row.note = buf;
  }
  return row;
}

Row timedRow(std::string id, std::string label, const std::vector<Timed>& ts) {
  Row row{std::move(id), std::move(label), {}, {}, {}, {}, ""};
  for (const auto& t : ts) {
    row.wall.push_back(t.wallS);
    row.user.push_back(t.userS);
    row.sys.push_back(t.sysS);
    row.messages.push_back(static_cast<double>(t.messages));
  }
  return row;
}

std::vector<Row> rowsOf(const SizeResult& s) {
  std::vector<Row> rows;
  if (!s.kpx.empty()) {
    std::vector<Timed> full, incr, restart;
    int adopted = 0;
    for (const auto& k : s.kpx) {
      full.push_back(k.full);
      incr.insert(incr.end(), k.incremental.begin(), k.incremental.end());
      restart.push_back(k.restart);
      adopted += k.adopted ? 1 : 0;
    }
    rows.push_back(timedRow("kpx_full", "kpx full sync, empty netns", full));
    rows.push_back(timedRow("kpx_incremental", "kpx incremental, 1 endpoint", incr));
    rows.push_back(timedRow("kpx_restart", "kpx restart, rules in place", restart));
    rows.back().note = "create()+sync(Full); adopted " + std::to_string(adopted) + "/" +
                       std::to_string(s.kpx.size());
  }
  for (const std::string method : {"nft", "iptables-legacy"}) {
    if (!s.peers.contains(method)) continue;
    const auto& reps = s.peers.at(method);
    std::vector<ChildResult> floor, full, partial, list, stale, way;
    for (const auto& r : reps) {
      floor.push_back(r.spawnFloor);
      if (!r.error.empty()) continue;
      full.push_back(r.full);
      partial.insert(partial.end(), r.partial.begin(), r.partial.end());
      list.insert(list.end(), r.listChains.begin(), r.listChains.end());
      stale.insert(stale.end(), r.staleDelete.begin(), r.staleDelete.end());
      for (size_t i = 0; i < r.partial.size() && i < r.listChains.size() && i < r.staleDelete.size();
           ++i) {
        ChildResult sum;
        for (const ChildResult* c : {&r.listChains[i], &r.partial[i], &r.staleDelete[i]}) {
          sum.wallS += c->wallS;
          sum.userS += c->userS;
          sum.sysS += c->sysS;
        }
        way.push_back(sum);
      }
    }
    const bool nft = method == "nft";
    if (!full.empty()) {
      rows.push_back(childRow(method + "_full", nft ? "peer nft -f, kube-proxy layout"
                                                    : "peer iptables-legacy-restore, full",
                              full));
    }
    if (!partial.empty()) {
      rows.push_back(childRow(method + "_partial", nft ? "peer nft -f, partial transaction"
                                                       : "peer iptables-legacy partial restore",
                              partial));
    }
    if (!way.empty()) {
      rows.push_back(childRow("nft_kube_proxy_way", "peer nft, whole kube-proxy change", way));
      rows.back().note = "list chains + transaction + stale delete";
      rows.push_back(childRow("nft_list_chains", "peer nft --json list chains ip", list));
      rows.push_back(childRow("nft_stale_delete", "peer nft -f, stale chain delete", stale));
    }
    rows.push_back(childRow(method + "_spawn_floor", "peer spawn floor (`true`), " + method, floor));
  }
  return rows;
}

std::optional<double> median(const std::vector<Row>& rows, const std::string& id) {
  for (const auto& r : rows) {
    if (r.id == id && !r.wall.empty()) return summarize(r.wall).median;
  }
  return std::nullopt;
}

std::string duration(double s) {
  char buf[32];
  if (s < 1e-3) {
    std::snprintf(buf, sizeof buf, "%.0f us", s * 1e6);
  } else if (s < 1) {
    std::snprintf(buf, sizeof buf, "%.1f ms", s * 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.2f s", s);
  }
  return buf;
}

std::string ratio(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, x < 0.01 ? "%.4fx" : "%.3fx", x);
  return buf;
}

struct Ratio {
  std::string id, label, num, den;
};
const Ratio kRatios[] = {
    {"full_kpx_over_nft", "full sync, kpx / nft -f kube-proxy layout", "kpx_full", "nft_full"},
    {"full_kpx_over_legacy", "full sync, kpx / iptables-legacy-restore", "kpx_full",
     "iptables-legacy_full"},
    {"incremental_kpx_over_nft_transaction", "1-endpoint change, kpx / nft transaction",
     "kpx_incremental", "nft_partial"},
    {"incremental_kpx_over_nft_kube_proxy_way", "1-endpoint change, kpx / whole nft kube-proxy way",
     "kpx_incremental", "nft_kube_proxy_way"},
    {"incremental_kpx_over_legacy_partial", "1-endpoint change, kpx / legacy partial restore",
     "kpx_incremental", "iptables-legacy_partial"},
};

nlohmann::json summaryJson(const std::vector<double>& xs) {
  if (xs.empty()) return nullptr;
  const Summary s = summarize(xs);
  return {{"n", s.n}, {"median", s.median}, {"min", s.min}, {"max", s.max}};
}

// The targets of docs/performance.md this run can speak to, as lines of text and as JSON.
std::vector<std::pair<std::string, nlohmann::json>> targets(const std::vector<SizeResult>& sizes) {
  std::vector<std::pair<std::string, nlohmann::json>> out;
  auto add = [&](const std::string& what, double value, double limit, bool below) {
    const bool met = below ? value <= limit : value >= limit;
    char buf[200];
    std::snprintf(buf, sizeof buf, "%-58s %10.4g (target %s %g)  %s", what.c_str(), value,
                  below ? "<=" : ">=", limit, met ? "met" : "MISSED");
    out.emplace_back(buf, nlohmann::json{{"what", what}, {"value", value}, {"limit", limit},
                                         {"met", met}});
  };
  for (const auto& s : sizes) {
    if (s.workload.services < 10000) continue;  // docs/performance.md sets them at 10,000 x 10
    const auto rows = rowsOf(s);
    const std::string at = " at N=" + std::to_string(s.workload.services);
    auto kf = median(rows, "kpx_full"), nf = median(rows, "nft_full"),
         lf = median(rows, "iptables-legacy_full"), ki = median(rows, "kpx_incremental"),
         nw = median(rows, "nft_kube_proxy_way"), kr = median(rows, "kpx_restart");
    if (kf && nf) add("full sync kpx / nft -f" + at, *kf / *nf, 0.05, true);
    if (kf && lf) add("full sync kpx / iptables-legacy-restore" + at, *kf / *lf, 1.0, true);
    if (ki && nw) add("kube-proxy nft way / kpx incremental" + at, *nw / *ki, 100, false);
    if (kr) add("restart with rules in place, s" + at, *kr, 1.0, true);
  }
  const SizeResult* lo = nullptr;
  const SizeResult* hi = nullptr;
  for (const auto& s : sizes) {
    if (s.kpx.empty()) continue;
    if (!lo || s.workload.services < lo->workload.services) lo = &s;
    if (!hi || s.workload.services > hi->workload.services) hi = &s;
  }
  if (lo && hi && lo != hi) {
    auto a = median(rowsOf(*hi), "kpx_incremental"), b = median(rowsOf(*lo), "kpx_incremental");
    if (a && b) {
      add("incremental N=" + std::to_string(hi->workload.services) + " / N=" +
              std::to_string(lo->workload.services),
          *a / *b, 1.5, true);
    }
  }
  return out;
}

}  // namespace

Summary summarize(std::vector<double> xs) {
  Summary s;
  if (xs.empty()) return s;
  std::sort(xs.begin(), xs.end());
  s.n = xs.size();
  const size_t mid = s.n / 2;
  s.median = s.n % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
  s.min = xs.front();
  s.max = xs.back();
  return s;
}

std::string loadAverage() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a + " " + b + " " + c;
}

void printTable(std::FILE* out, const RunInfo& info, const std::vector<SizeResult>& sizes) {
  std::fprintf(out, "kpx-bench sync   %s\n%s\nstarted %s; kpx reps %d, peer reps %d, %d changes per rep\n",
               info.command.c_str(), info.host.c_str(), info.started.c_str(), info.reps,
               info.peerReps, info.changes);
  for (const auto& s : sizes) {
    const auto rows = rowsOf(s);
    std::fprintf(out, "\nN=%d services x M=%d endpoints   load average %s -> %s\n",
                 s.workload.services, s.workload.endpoints, s.loadBefore.c_str(), s.loadAfter.c_str());
    std::fprintf(out, "  %-44s %10s %23s %4s %8s %8s %8s  %s\n", "measure", "median", "min - max",
                 "runs", "user", "sys", "msgs", "note");
    for (const auto& r : rows) {
      const Summary w = summarize(r.wall);
      const std::string range = duration(w.min) + " - " + duration(w.max);
      const std::string msgs =
          r.messages.empty() ? "" : std::to_string(static_cast<long>(summarize(r.messages).median));
      std::fprintf(out, "  %-44s %10s %23s %4zu %8s %8s %8s  %s\n", r.label.c_str(),
                   duration(w.median).c_str(), range.c_str(), w.n,
                   duration(summarize(r.user).median).c_str(),
                   duration(summarize(r.sys).median).c_str(), msgs.c_str(), r.note.c_str());
    }
    for (const auto& q : kRatios) {
      auto n = median(rows, q.num), d = median(rows, q.den);
      if (n && d && *d > 0) std::fprintf(out, "  ratio %-56s %s\n", q.label.c_str(), ratio(*n / *d).c_str());
    }
    for (const auto& e : s.errors) std::fprintf(out, "  ERROR %s\n", e.c_str());
  }
  const auto t = targets(sizes);
  if (!t.empty()) {
    std::fprintf(out, "\ntargets (docs/performance.md) (medians)\n");
    for (const auto& [line, _] : t) std::fprintf(out, "  %s\n", line.c_str());
  }
}

nlohmann::json toJson(const RunInfo& info, const std::vector<SizeResult>& sizes) {
  nlohmann::json j{{"command", info.command}, {"host", info.host},   {"started", info.started},
                   {"reps", info.reps},       {"peer_reps", info.peerReps}, {"changes", info.changes}};
  j["sizes"] = nlohmann::json::array();
  for (const auto& s : sizes) {
    nlohmann::json js{{"services", s.workload.services}, {"endpoints", s.workload.endpoints},
                      {"loadavg_before", s.loadBefore}, {"loadavg_after", s.loadAfter},
                      {"errors", s.errors}};
    const auto rows = rowsOf(s);
    for (const auto& r : rows) {
      nlohmann::json m{{"label", r.label}, {"wall_s", summaryJson(r.wall)},
                       {"user_s", summaryJson(r.user)}, {"sys_s", summaryJson(r.sys)},
                       {"samples_s", r.wall}};
      if (!r.messages.empty()) m["messages"] = summaryJson(r.messages);
      if (!r.note.empty()) m["note"] = r.note;
      js["measures"][r.id] = m;
    }
    for (const auto& q : kRatios) {
      auto n = median(rows, q.num), d = median(rows, q.den);
      if (n && d && *d > 0) js["ratios"][q.id] = *n / *d;
    }
    j["sizes"].push_back(js);
  }
  j["targets"] = nlohmann::json::array();
  for (const auto& [_, t] : targets(sizes)) j["targets"].push_back(t);
  return j;
}

}  // namespace kpx::bench
