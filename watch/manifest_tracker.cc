#include "watch/manifest_tracker.h"

#include <sys/stat.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <unordered_set>

#include "proxy/log.h"
#include "watch/legacy_endpoints.h"
#include "watch/object_hash.h"

namespace kpx::watch {
namespace {

namespace fs = std::filesystem;

// A problem with the whole file (syntax error), not with one object in it.
bool isFileLevel(const ObjectError& error) {
  return error.kind.empty() && error.object.empty();
}

int64_t nanoseconds(const struct timespec& t) {
  return static_cast<int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

struct FileStat {
  uint64_t signature = 0;  // 0: stat() failed
  int64_t changedNs = 0;   // the later of mtime and ctime
};

// Which inode PATH names now, and when it last changed: what says "unchanged" without reading.
FileStat statOf(const fs::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return {};
  const std::array<int64_t, 8> fields{static_cast<int64_t>(st.st_dev),
                                      static_cast<int64_t>(st.st_ino),
                                      static_cast<int64_t>(st.st_mode),
                                      static_cast<int64_t>(st.st_size),
                                      st.st_mtim.tv_sec,
                                      st.st_mtim.tv_nsec,
                                      st.st_ctim.tv_sec,
                                      st.st_ctim.tv_nsec};
  const uint64_t hash =
      textHash(std::string_view(reinterpret_cast<const char*>(fields.data()), sizeof fields));
  return {.signature = hash | 1,
          .changedNs = std::max(nanoseconds(st.st_mtim), nanoseconds(st.st_ctim))};
}

// Kind, then key: the order of upserts and removes.
template <typename A, typename B>
bool keyLess(const A& a, const B& b) {
  if (a.kind != b.kind) return a.kind < b.kind;
  return std::string_view(a.key) < std::string_view(b.key);
}

int64_t wallClockNs() {
  struct timespec now {};
  clock_gettime(CLOCK_REALTIME, &now);
  return nanoseconds(now);
}

}  // namespace

ManifestTracker::ManifestTracker(fs::path path, std::chrono::milliseconds racyWindow)
    : path_(std::move(path)), racyWindow_(racyWindow) {}

ManifestTracker::~ManifestTracker() = default;

fs::path ManifestTracker::fileOf(const FileState& state) const {
  return state.name.empty() ? path_ : path_ / state.name;
}

ManifestTracker::Look ManifestTracker::look(const fs::path& file,
                                            uint64_t previousSignature) const {
  Look out;
  // stat() before reading: a write landing in between changes the signature next time.
  const FileStat before = statOf(file);
  if (before.signature != 0 && before.signature == previousSignature) {
    out.signature = before.signature;
    out.unchanged = true;
    return out;
  }
  out.text = readManifestFile(file);
  const int64_t window = std::chrono::duration_cast<std::chrono::nanoseconds>(racyWindow_).count();
  const bool racy = before.changedNs > wallClockNs() - window;
  out.signature = racy ? 0 : before.signature;
  return out;
}

size_t ManifestTracker::objectCount() const {
  size_t count = orphans_.size();
  for (const FileState& file : files_)
    for (const Entry& entry : file.entries) count += entry.published ? 1 : 0;
  return count;
}

bool ManifestTracker::update(FileState& state, Look look, const fs::path& file,
                             std::vector<ObjectError>& errors,
                             std::vector<Retired>& retired) const {
  if (look.unchanged) return false;
  const std::string origin = file.string();
  // Its last good objects stay, and it is read again next time.
  const auto keepLastGood = [&] {
    state.signature = 0;
    for (Entry& entry : state.entries) entry.stale = true;
  };
  if (!look.text) {
    // Unreadable for now (permissions, a rename in flight).
    errors.push_back(fileError(origin, "cannot read file: " + look.text.error()));
    keepLastGood();
    return false;
  }
  ParsedObjects parsed = parseManifestText(*look.text, formatOf(file), origin);
  look.text = std::string();
  if (std::any_of(parsed.errors.begin(), parsed.errors.end(), isFileLevel)) {
    keepLastGood();
    for (ObjectError& error : parsed.errors) errors.push_back(std::move(error));
    return true;
  }

  // What the sink holds of this file's objects, by key: an object it already holds as it is now
  // need not be kept.
  const auto byKey = [](const Entry* a, const Entry* b) { return keyLess(*a, *b); };
  std::vector<const Entry*> held;
  for (const Entry& entry : state.entries)
    if (entry.published) held.push_back(&entry);
  std::sort(held.begin(), held.end(), byKey);
  std::vector<Entry> entries;
  entries.reserve(parsed.objects.size());
  for (Object& object : parsed.objects) {
    Entry entry;
    entry.kind = kindOf(object);
    entry.key = keyOf(object);
    entry.key.shrink_to_fit();
    entry.hash = contentHash(object);
    if (const auto* slice = std::get_if<EndpointSlice>(&object)) {
      entry.legacy = isLegacySlice(*slice);
      if (!slice->serviceName.empty())
        entry.service = textHash(slice->meta.namespace_ + "/" + slice->serviceName) | 1;
    }
    const auto same = std::lower_bound(held.begin(), held.end(), &entry, byKey);
    const bool sinkHasIt =
        same != held.end() && !keyLess(entry, **same) && (*same)->hash == entry.hash;
    if (!sinkHasIt) entry.object = std::make_unique<Object>(std::move(object));
    entries.push_back(std::move(entry));
  }
  parsed.objects.clear();

  // An object that became invalid keeps its last valid version.
  std::vector<bool> carried(state.entries.size(), false);
  for (const ObjectError& error : parsed.errors) {
    const auto same = [&](const Entry& entry) {
      return toString(entry.kind) == error.kind && entry.key == error.object;
    };
    if (std::any_of(entries.begin(), entries.end(), same)) continue;
    const auto old = std::find_if(state.entries.begin(), state.entries.end(), same);
    if (old == state.entries.end()) continue;
    carried[static_cast<size_t>(old - state.entries.begin())] = true;
    entries.push_back(std::move(*old));
    entries.back().stale = true;
  }
  for (size_t i = 0; i < state.entries.size(); ++i) {
    Entry& old = state.entries[i];
    if (!carried[i] && old.published)
      retired.push_back(Retired{.kind = old.kind, .key = std::move(old.key), .hash = old.hash});
  }
  state.entries = std::move(entries);
  state.signature = parsed.errors.empty() ? look.signature : 0;
  for (ObjectError& error : parsed.errors) errors.push_back(std::move(error));
  return true;
}

std::vector<ManifestTracker::Winner> ManifestTracker::winners(std::vector<FileState>& files) {
  // Legacy Endpoints lose to real EndpointSlices of the same service (dropShadowedLegacySlices).
  std::unordered_set<uint64_t> servicesWithSlices;
  const bool anyLegacy = std::any_of(files.begin(), files.end(), [](const FileState& file) {
    return std::any_of(file.entries.begin(), file.entries.end(),
                       [](const Entry& entry) { return entry.legacy; });
  });
  if (anyLegacy) {
    for (const FileState& file : files)
      for (const Entry& entry : file.entries)
        if (entry.kind == ObjectKind::EndpointSlice && !entry.legacy && entry.service != 0)
          servicesWithSlices.insert(entry.service);
  }
  std::vector<Winner> all;
  for (size_t f = 0; f < files.size(); ++f)
    for (Entry& entry : files[f].entries)
      if (!entry.legacy || !servicesWithSlices.contains(entry.service))
        all.push_back(Winner{.entry = &entry, .file = f});
  const auto less = [](const Winner& a, const Winner& b) { return keyLess(*a.entry, *b.entry); };
  // The last definition of each key wins: files in order, objects in file order.
  std::stable_sort(all.begin(), all.end(), less);
  size_t kept = 0;
  for (size_t i = 0; i < all.size(); ++i)
    if (i + 1 == all.size() || less(all[i], all[i + 1])) all[kept++] = all[i];
  all.resize(kept);
  return all;
}

std::unique_ptr<Object> ManifestTracker::contentOf(
    const Winner& winner, std::vector<FileState>& files,
    std::map<size_t, ParsedObjects>& reparsed) const {
  Entry& entry = *winner.entry;
  if (entry.object) return std::move(entry.object);
  if (entry.stale) return nullptr;  // its file no longer holds it
  // Its file is unchanged since it was parsed: parse it again.
  auto parsed = reparsed.find(winner.file);
  if (parsed == reparsed.end()) {
    const fs::path file = fileOf(files[winner.file]);
    auto text = readManifestFile(file);
    parsed =
        reparsed
            .emplace(winner.file, text ? parseManifestText(*text, formatOf(file), file.string())
                                       : ParsedObjects{})
            .first;
  }
  std::vector<Object>& objects = parsed->second.objects;
  for (auto it = objects.rbegin(); it != objects.rend(); ++it) {
    if (kindOf(*it) != entry.kind || keyOf(*it) != entry.key || contentHash(*it) != entry.hash)
      continue;
    auto object = std::make_unique<Object>(std::move(*it));
    objects.erase(std::next(it).base());
    return object;
  }
  files[winner.file].signature = 0;  // it changed after all: parse it next time
  return nullptr;
}

bool ManifestTracker::refresh(EventSink& sink, const std::stop_token& stop, Changes* changes) {
  Changes counts;
  const auto report = [&](const ObjectError& error, std::set<std::string>& now) {
    const std::string text = error.str();
    now.insert(text);
    if (reported_.count(text) > 0) return;  // already said, and nothing changed
    log::warn("skipping invalid input: " + text);
    sink.invalid(error);
    ++counts.invalid;
  };
  const auto previousState = [&](const std::string& name) -> FileState* {
    auto it = std::lower_bound(files_.begin(), files_.end(), name,
                               [](const FileState& f, const std::string& n) { return f.name < n; });
    return it != files_.end() && it->name == name ? &*it : nullptr;
  };

  std::vector<ObjectError> errors;
  auto names = listManifestNames(path_);
  std::optional<Look> single;
  if (names && names->size() == 1 && (*names)[0].empty()) {
    const FileState* previous = previousState("");
    single = look(path_, previous ? previous->signature : 0);
    // PATH is this one file: when it cannot be read there is no view at all.
    if (!single->text)
      names = tl::unexpected("cannot read " + path_.string() + ": " + single->text.error());
  }
  if (!names) {
    std::set<std::string> now;
    report(fileError(path_.string(), names.error()), now);
    reported_ = std::move(now);
    if (changes) *changes = counts;
    return false;
  }

  // Every file's state brought up to date, in file order. The published entries of files that
  // changed or went away are retired: their keys are removed below unless still defined.
  std::vector<FileState> files;
  std::vector<Retired> retired;
  files.reserve(names->size());
  for (std::string& name : *names) {
    FileState state;
    if (FileState* previous = previousState(name)) {
      state.signature = previous->signature;
      state.entries = std::move(previous->entries);
      previous->entries.clear();
    }
    state.name = std::move(name);
    if (!stop.stop_requested()) {  // when stopping, files not read yet keep what they had
      const fs::path file = fileOf(state);
      if (update(state, single ? std::move(*single) : look(file, state.signature), file, errors,
                 retired))
        ++counts.filesParsed;
    }
    files.push_back(std::move(state));
  }
  names->clear();
  for (FileState& gone : files_)  // no longer in PATH
    for (Entry& entry : gone.entries)
      if (entry.published)
        retired.push_back(
            Retired{.kind = entry.kind, .key = std::move(entry.key), .hash = entry.hash});
  files_.clear();
  const std::vector<Winner> current = winners(files);

  bool stopped = false;
  std::set<std::string> now;
  for (const ObjectError& error : errors) {
    if ((stopped = stop.stop_requested())) break;
    report(error, now);
  }
  if (!stopped) reported_ = std::move(now);

  // What the sink holds: published entries, retired ones and orphans, sorted by kind and key.
  struct Held {
    ObjectKind kind;
    std::string_view key;
    uint64_t hash;
    Entry* entry;  // nullptr: retired or orphan
  };
  const std::map<Key, uint64_t> orphans = std::move(orphans_);
  orphans_.clear();
  std::vector<Held> held;
  for (FileState& file : files)
    for (Entry& entry : file.entries)
      if (entry.published) held.push_back(Held{entry.kind, entry.key, entry.hash, &entry});
  for (const Retired& gone : retired) held.push_back(Held{gone.kind, gone.key, gone.hash, nullptr});
  for (const auto& [key, hash] : orphans)
    held.push_back(Held{key.first, key.second, hash, nullptr});
  std::sort(held.begin(), held.end(), [](const Held& a, const Held& b) { return keyLess(a, b); });
  // The sink keeps `version` / no longer holds it.
  const auto keep = [&](const Held& version) {
    if (!version.entry) orphans_.emplace(Key(version.kind, version.key), version.hash);
  };
  const auto drop = [&](const Held& version) {
    if (version.entry) version.entry->published = false;
  };

  // Upserts, in kind and key order, then removes. Once stopping, only the bookkeeping goes on.
  std::map<size_t, ParsedObjects> reparsed;
  std::vector<const Held*> vanished;
  size_t next = 0;
  for (const Winner& winner : current) {
    Entry& entry = *winner.entry;
    while (next < held.size() && keyLess(held[next], entry)) vanished.push_back(&held[next++]);
    const Held* holds = next < held.size() && !keyLess(entry, held[next]) ? &held[next++] : nullptr;
    if (holds && holds->hash == entry.hash) {
      if (holds->entry != &entry) {
        drop(*holds);
        entry.published = true;
      }
      continue;
    }
    std::unique_ptr<Object> object;
    if (!stopped && !(stopped = stop.stop_requested())) {
      object = contentOf(winner, files, reparsed);
      // The last good version of an object whose file no longer parses, lost to another file's
      // definition before and not kept then; or its file changed during this read.
      if (!object)
        log::warn("cannot restore " + std::string(toString(entry.kind)) + " " + entry.key +
                  " from " + fileOf(files[winner.file]).string() +
                  ": the file changed or no longer parses; keeping the current version");
    }
    if (!object) {
      if (holds) keep(*holds);
      continue;
    }
    if (holds) drop(*holds);
    entry.published = true;
    sink.upsert(std::move(*object));
    ++counts.upserted;
  }
  while (next < held.size()) vanished.push_back(&held[next++]);
  for (const Held* gone : vanished) {
    if (stopped || (stopped = stop.stop_requested())) {
      keep(*gone);
      continue;
    }
    sink.remove(gone->kind, std::string(gone->key));
    drop(*gone);
    ++counts.removed;
  }

  // The sink holds the published entries: their objects are not kept. The others keep theirs,
  // to come back if the published one goes away.
  for (FileState& file : files)
    for (Entry& entry : file.entries)
      if (entry.published) entry.object.reset();
  std::sort(files.begin(), files.end(),
            [](const FileState& a, const FileState& b) { return a.name < b.name; });
  files_ = std::move(files);
  if (stopped) return false;
  if (changes) *changes = counts;
  return true;
}

}  // namespace kpx::watch
