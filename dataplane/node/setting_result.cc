#include "dataplane/node/setting_result.h"

#include "dataplane/node/int_file.h"
#include "proxy/log.h"

namespace kpx::node {

std::string SettingResult::str() const {
  const std::string want = std::to_string(wanted);
  const std::string was = previous ? std::to_string(*previous) : std::string("unreadable");
  switch (outcome) {
    case Outcome::Applied:
      return "set " + name + " to " + want + " (was " + was + ")";
    case Outcome::Unchanged:
      if (previous && *previous != wanted)  // a lower bound already met (hashsize)
        return name + " stays " + was + " (at least " + want + " wanted)";
      return name + " is already " + want;
    case Outcome::Failed:
      return "cannot set " + name + " to " + want + " (is " + was + "): " + reason;
  }
  return name;
}

SettingResult setIntFile(std::string name, const std::filesystem::path& path, int64_t wanted) {
  SettingResult result;
  result.name = std::move(name);
  result.wanted = wanted;
  // As upstream, an unreadable value does not stop the write: the write's error says more.
  if (auto current = readIntFile(path)) result.previous = *current;
  if (result.previous == wanted) return result;
  if (auto written = writeIntFile(path, wanted); !written) {
    result.outcome = Outcome::Failed;
    result.errnum = written.error().errnum;
    result.reason = written.error().str();
    return result;
  }
  result.outcome = Outcome::Applied;
  return result;
}

void logSettings(std::string_view subject, const std::vector<SettingResult>& results) {
  for (const SettingResult& r : results) {
    const std::string line = std::string(subject) + ": " + r.str();
    switch (r.outcome) {
      case Outcome::Applied:
        log::info(line);
        break;
      case Outcome::Unchanged:
        log::debug(2, line);
        break;
      case Outcome::Failed:
        log::warn(line);
        break;
    }
  }
}

}  // namespace kpx::node
