// One node setting kube-proxy makes at startup (a sysctl, a sysfs parameter, oom_score_adj) and
// what became of it. Setting a value is "write only when it differs", so that a node already
// configured (by a previous run, by the admin) sees no write and no log line at info level.
// Failures are the caller's warnings, never fatal: kube-proxy goes on without them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kpx::node {

enum class Outcome : uint8_t { Applied, Unchanged, Failed };

struct SettingResult {
  std::string name;  // as the logs name it: "net/netfilter/nf_conntrack_max", a path otherwise
  int64_t wanted = 0;
  std::optional<int64_t> previous;  // the value read before, when it could be read
  Outcome outcome = Outcome::Unchanged;
  int errnum = 0;      // Failed: the errno behind it, when there is one
  std::string reason;  // Failed: why, one line

  // One log line: "set net/netfilter/nf_conntrack_max to 262144 (was 131072)",
  // "net/netfilter/nf_conntrack_tcp_be_liberal is already 1", "cannot set ...: <reason>".
  std::string str() const;
};

// Reads `path`; writes `wanted` there only when the value differs (or could not be read).
SettingResult setIntFile(std::string name, const std::filesystem::path& path, int64_t wanted);

// One line per result, prefixed by `subject` ("conntrack"): Applied at info, Failed as a
// warning, Unchanged only at -v 2.
void logSettings(std::string_view subject, const std::vector<SettingResult>& results);

}  // namespace kpx::node
