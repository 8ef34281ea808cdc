// What FileSource has published from PATH, and what changed since (docs/architecture.md: sources push
// upserts and removes, not snapshots). Each refresh() looks at every file of PATH, parses the
// ones that changed since their last read, and sends only the difference.
//
// Nothing is lost to a bad edit: a file that cannot be read or parsed keeps the objects it had at
// its last good read, and an object that became invalid keeps its last valid version, as the API
// server keeps an object whose update it rejected. The problem goes to invalid(), once per
// distinct problem. When two files define the same object, the later one (by name) wins; when it
// stops defining it, the earlier one's comes back.
//
// The tracker does not keep the objects it published (the sink does): per file it keeps each
// object's kind, key and a 64-bit digest of its content (object_hash.h), which is what tells a
// changed object from an unchanged one. A file is parsed again only when its inode, size, mtime
// or ctime changed (or it changed within the last seconds of its read, when a second write could
// go unnoticed). An object that lost to another file's definition keeps its content, so that it
// can come back even if its own file no longer parses; otherwise content is re-read on demand.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <tl/expected.hpp>

#include "proxy/source.h"
#include "watch/manifest_loader.h"

namespace kpx::watch {

class ManifestTracker {
 public:
  // A file whose ctime or mtime is less than `racyWindow` before the end of its read is read
  // again next time, even if it looks unchanged: a second write in the same clock tick, with the
  // same size, would not change what stat() says.
  explicit ManifestTracker(std::filesystem::path path,
                           std::chrono::milliseconds racyWindow = std::chrono::seconds(2));
  ~ManifestTracker();
  ManifestTracker(const ManifestTracker&) = delete;
  ManifestTracker& operator=(const ManifestTracker&) = delete;

  struct Changes {
    size_t upserted = 0;
    size_t removed = 0;
    size_t invalid = 0;      // problems reported (new ones only)
    size_t filesParsed = 0;  // the others had not changed since their last read
  };

  // Looks at PATH and sends `sink` upsert() for new and changed objects, remove() for vanished
  // ones, invalid() for new problems. When PATH itself cannot be read, reports that (once) and
  // changes nothing: returns false. Stops sending when `stop` is requested (returns false).
  bool refresh(EventSink& sink, const std::stop_token& stop, Changes* changes = nullptr);

  // How many objects the sink holds from PATH.
  size_t objectCount() const;

 private:
  using Key = std::pair<ObjectKind, std::string>;

  // One object of a file's last good read.
  struct Entry {
    std::string key;
    uint64_t hash = 0;     // contentHash()
    uint64_t service = 0;  // EndpointSlices: textHash("namespace/serviceName"), 0 for none
    ObjectKind kind = ObjectKind::Service;
    bool legacy = false;     // an EndpointSlice converted from legacy Endpoints
    bool stale = false;      // a last good version the file no longer holds (broken or invalid)
    bool published = false;  // the sink holds this version of the key
    // The object itself, only while the sink does not hold it: just parsed and new or changed
    // (until it is sent), or lost to another file's definition.
    std::unique_ptr<Object> object;
  };
  struct FileState {
    std::string name;        // in PATH; "" for PATH itself
    uint64_t signature = 0;  // stat() at its last clean read; 0: parse it next time
    std::vector<Entry> entries;
  };
  // A published entry its file no longer has (the file changed or went away).
  struct Retired {
    ObjectKind kind;
    std::string key;
    uint64_t hash;
  };
  struct Winner {
    Entry* entry;
    size_t file;  // in the refresh's file order
  };

  // What stat() and, unless the file is unchanged, a read of it gave.
  struct Look {
    uint64_t signature = 0;  // 0: cannot stat, or changed too recently to be trusted
    bool unchanged = false;  // same signature as at its last clean read: not read
    tl::expected<std::string, std::string> text;  // or why it cannot be read
  };
  Look look(const std::filesystem::path& file, uint64_t previousSignature) const;
  // Brings `state` up to date with what `look` saw of `file`: its problems are appended to
  // `errors`, the published entries it no longer has to `retired`. Returns whether the file
  // was parsed.
  bool update(FileState& state, Look look, const std::filesystem::path& file,
              std::vector<ObjectError>& errors, std::vector<Retired>& retired) const;
  // The published object of each kind and key: the last definition, in file order, not shadowed
  // (legacy slices of a service that has real ones). Sorted by kind and key.
  static std::vector<Winner> winners(std::vector<FileState>& files);
  // `winner`'s object, from the entry or parsed again from its file (cached in `reparsed`);
  // nullptr when it cannot be had (its file no longer holds that version).
  std::unique_ptr<Object> contentOf(const Winner& winner, std::vector<FileState>& files,
                                    std::map<size_t, ParsedObjects>& reparsed) const;
  std::filesystem::path fileOf(const FileState& state) const;

  std::filesystem::path path_;
  std::chrono::milliseconds racyWindow_;
  std::vector<FileState> files_;  // sorted by name
  // Versions the sink holds that no file has any more, because the definition that replaces
  // them could not be read (see contentOf). Normally empty.
  std::map<Key, uint64_t> orphans_;
  std::set<std::string> reported_;  // the problems of the previous read, as ObjectError::str()
};

}  // namespace kpx::watch
