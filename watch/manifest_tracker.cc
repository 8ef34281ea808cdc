#include "watch/manifest_tracker.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include <tl/expected.hpp>

#include "proxy/log.h"
#include "watch/legacy_endpoints.h"
#include "watch/manifest_loader.h"

namespace kpx::watch {
namespace {

namespace fs = std::filesystem;

// A problem with the whole file (syntax error), not with one object in it.
bool isFileLevel(const ObjectError& error) {
  return error.kind.empty() && error.object.empty();
}

bool sameObject(const Object& object, std::string_view kind, std::string_view key) {
  return toString(kindOf(object)) == kind && keyOf(object) == key;
}

}  // namespace

tl::expected<std::vector<Object>, std::string> ManifestTracker::readFile(
    const fs::path& file, std::vector<ObjectError>& errors) {
  const std::string name = file.string();
  const auto previous = lastGood_.find(name);
  const std::vector<Object> kept =
      previous == lastGood_.end() ? std::vector<Object>{} : previous->second;
  auto text = readManifestFile(file);
  if (!text) return tl::unexpected(text.error());
  ParsedObjects parsed = parseManifestText(*text, formatOf(file), name);
  const bool broken = std::any_of(parsed.errors.begin(), parsed.errors.end(), isFileLevel);
  if (!broken) {
    // An object that became invalid keeps its last valid version.
    for (const ObjectError& error : parsed.errors) {
      const auto old = std::find_if(kept.begin(), kept.end(), [&](const Object& o) {
        return sameObject(o, error.kind, error.object);
      });
      const bool stillThere =
          std::any_of(parsed.objects.begin(), parsed.objects.end(),
                      [&](const Object& o) { return sameObject(o, error.kind, error.object); });
      if (old != kept.end() && !stillThere) parsed.objects.push_back(*old);
    }
    lastGood_[name] = parsed.objects;
  }
  for (ObjectError& error : parsed.errors) errors.push_back(std::move(error));
  return broken ? kept : parsed.objects;
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

  std::vector<ObjectError> errors;
  auto files = listManifestFiles(path_);
  std::optional<tl::expected<std::vector<Object>, std::string>> single;
  if (files && files->size() == 1 && (*files)[0] == path_) {
    single = readFile(path_, errors);
    // PATH is this one file: when it cannot be read there is no view at all.
    if (!*single) files = tl::unexpected("cannot read " + path_.string() + ": " + single->error());
  }
  if (!files) {
    std::set<std::string> now;
    report(fileError(path_.string(), files.error()), now);
    reported_ = std::move(now);
    if (changes) *changes = counts;
    return false;
  }

  std::vector<Object> objects;
  std::set<std::string> seen;
  for (const fs::path& file : *files) {
    seen.insert(file.string());
    auto read = single ? std::move(*single) : readFile(file, errors);
    if (!read) {
      // Unreadable for now (permissions, a rename in flight): its last good objects stay.
      errors.push_back(fileError(file.string(), "cannot read file: " + read.error()));
      const auto previous = lastGood_.find(file.string());
      if (previous != lastGood_.end()) read = previous->second;
    }
    if (read) objects.insert(objects.end(), read->begin(), read->end());
  }
  std::erase_if(lastGood_, [&](const auto& entry) { return seen.count(entry.first) == 0; });
  dropShadowedLegacySlices(objects);
  std::map<Key, Object> current;
  for (Object& object : objects) current[Key{kindOf(object), keyOf(object)}] = std::move(object);

  std::set<std::string> now;
  for (const ObjectError& error : errors) {
    if (stop.stop_requested()) return false;
    report(error, now);
  }
  reported_ = std::move(now);
  for (auto& [key, object] : current) {
    const auto it = published_.find(key);
    if (it != published_.end() && it->second == object) continue;
    if (stop.stop_requested()) return false;
    published_[key] = object;
    sink.upsert(std::move(object));
    ++counts.upserted;
  }
  for (auto it = published_.begin(); it != published_.end();) {
    if (current.count(it->first) > 0) {
      ++it;
      continue;
    }
    if (stop.stop_requested()) return false;
    sink.remove(it->first.first, it->first.second);
    it = published_.erase(it);
    ++counts.removed;
  }
  if (changes) *changes = counts;
  return true;
}

}  // namespace kpx::watch
