// What FileSource has published from PATH, and what changed since (DESIGN §1: sources push
// upserts and removes, not snapshots). Each refresh() re-reads PATH, compares the parsed objects
// with the previous read, and sends only the difference.
//
// Nothing is lost to a bad edit: a file that cannot be read or parsed keeps the objects it had at
// its last good read, and an object that became invalid keeps its last valid version, as the API
// server keeps an object whose update it rejected. The problem goes to invalid(), once per
// distinct problem.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

#include <tl/expected.hpp>

#include "proxy/source.h"

namespace kpx::watch {

class ManifestTracker {
 public:
  explicit ManifestTracker(std::filesystem::path path) : path_(std::move(path)) {}

  struct Changes {
    size_t upserted = 0;
    size_t removed = 0;
    size_t invalid = 0;  // problems reported (new ones only)
  };

  // Re-reads PATH and sends `sink` upsert() for new and changed objects, remove() for vanished
  // ones, invalid() for new problems. When PATH itself cannot be read, reports that (once) and
  // changes nothing: returns false. Stops sending when `stop` is requested (returns false).
  bool refresh(EventSink& sink, const std::stop_token& stop, Changes* changes = nullptr);

  size_t objectCount() const { return published_.size(); }

 private:
  using Key = std::pair<ObjectKind, std::string>;

  // One file's objects (its problems appended to `errors`), or its last good ones when it no
  // longer parses; fails with the system's reason when it cannot be read at all.
  tl::expected<std::vector<Object>, std::string> readFile(const std::filesystem::path& file,
                                                          std::vector<ObjectError>& errors);

  std::filesystem::path path_;
  std::map<std::string, std::vector<Object>> lastGood_;  // by file
  std::map<Key, Object> published_;
  std::set<std::string> reported_;  // the problems of the previous read, as ObjectError::str()
};

}  // namespace kpx::watch
