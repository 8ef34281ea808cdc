#include "dataplane/node/conntrack_sysctls.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <fstream>
#include <sstream>

#include "dataplane/node/int_file.h"

namespace kpx::node {
namespace {

constexpr std::string_view kMax = "net/netfilter/nf_conntrack_max";

int64_t wholeSeconds(Duration d) {
  return std::chrono::duration_cast<std::chrono::seconds>(d).count();
}

std::optional<int> parseCpu(std::string_view text) {
  int value = -1;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || value < 0)
    return std::nullopt;
  return value;
}

// The hash table follows nf_conntrack_max: at least max/4 buckets, never shrunk.
SettingResult raiseHashsize(const std::filesystem::path& sys, int64_t max) {
  const std::filesystem::path path = sys / "module/nf_conntrack/parameters/hashsize";
  SettingResult result;
  result.name = path.string();
  result.wanted = max / 4;
  auto current = readIntFile(path);
  if (!current) {
    result.outcome = Outcome::Failed;
    result.errnum = current.error().errnum;
    result.reason = current.error().str();
    return result;
  }
  result.previous = *current;
  if (*current >= result.wanted) return result;
  struct statvfs fs {};
  if (statvfs(path.parent_path().c_str(), &fs) == 0 && (fs.f_flag & ST_RDONLY) != 0) {
    result.outcome = Outcome::Failed;
    result.errnum = EROFS;
    result.reason = "sysfs is mounted read-only; the table keeps its size";
    return result;
  }
  return setIntFile(path.string(), path, result.wanted);
}

}  // namespace

int64_t conntrackMax(const ConntrackConfig& config, int cpus) {
  if (config.maxPerCore <= 0) return 0;
  const int64_t scaled = int64_t{config.maxPerCore} * std::max(cpus, 1);
  return std::max<int64_t>(scaled, config.min);
}

std::optional<int> countCpuList(std::string_view list) {
  while (!list.empty() && (list.back() == '\n' || list.back() == ' ')) list.remove_suffix(1);
  if (list.empty()) return std::nullopt;
  int count = 0;
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::string_view range = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    const size_t dash = range.find('-');
    const auto first = parseCpu(range.substr(0, dash));
    const auto last = dash == std::string_view::npos ? first : parseCpu(range.substr(dash + 1));
    if (!first || !last || *last < *first) return std::nullopt;
    count += *last - *first + 1;
  }
  return count;
}

int onlineCpus(const std::filesystem::path& sysRoot) {
  std::ifstream in(sysRoot / "devices/system/cpu/online");
  std::stringstream text;
  text << in.rdbuf();
  if (in) {
    if (auto count = countCpuList(text.str()); count && *count > 0) return *count;
  }
  const long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

std::vector<SysctlValue> conntrackSysctls(const ConntrackConfig& config, int cpus) {
  std::vector<SysctlValue> out;
  if (const int64_t max = conntrackMax(config, cpus); max > 0)
    out.push_back({std::string(kMax), max});
  const auto timeout = [&](std::string_view name, Duration d) {
    if (d > Duration::zero())
      out.push_back({"net/netfilter/" + std::string(name), wholeSeconds(d)});
  };
  timeout("nf_conntrack_tcp_timeout_established", config.tcpEstablishedTimeout);
  timeout("nf_conntrack_tcp_timeout_close_wait", config.tcpCloseWaitTimeout);
  if (config.tcpBeLiberal) out.push_back({"net/netfilter/nf_conntrack_tcp_be_liberal", 1});
  timeout("nf_conntrack_udp_timeout", config.udpTimeout);
  timeout("nf_conntrack_udp_timeout_stream", config.udpStreamTimeout);
  return out;
}

std::vector<SettingResult> applyConntrackSysctls(const ConntrackConfig& config,
                                                 const ConntrackPaths& paths) {
  std::vector<SettingResult> results;
  const int cpus = config.maxPerCore > 0 ? onlineCpus(paths.sys) : 1;
  for (const SysctlValue& sysctl : conntrackSysctls(config, cpus)) {
    results.push_back(setIntFile(sysctl.name, paths.procSys / sysctl.name, sysctl.value));
    if (sysctl.name != kMax) continue;
    SettingResult& max = results.back();
    if (max.outcome == Outcome::Failed) {
      // Upstream stops here too: with nf_conntrack_max not set the hash size has no target.
      if (max.errnum == EACCES)
        max.reason += " (nf_conntrack_max is read-only outside the host network namespace)";
      continue;
    }
    results.push_back(raiseHashsize(paths.sys, sysctl.value));
  }
  return results;
}

}  // namespace kpx::node
