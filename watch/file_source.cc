#include "watch/file_source.h"

#include <sys/inotify.h>

#include <optional>

#include "proxy/log.h"
#include "watch/inotify_watcher.h"
#include "watch/manifest_tracker.h"

namespace kpx::watch {
namespace {

namespace fs = std::filesystem;

// Content changes of PATH (a file, or the entries of a directory) and of its parent's entries.
constexpr uint32_t kContentEvents = IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB | IN_CREATE | IN_DELETE |
                                    IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF;
constexpr uint32_t kParentEvents =
    IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ATTRIB;
// Without inotify (its limits reached), PATH is polled this often instead.
constexpr std::chrono::seconds kPollInterval{2};

// ConfigMap volumes swap a "..data" symlink (and "..<timestamp>" directories) to update files.
bool isConfigMapInternal(const std::string& name) {
  return name.starts_with("..");
}

// The watches on PATH and its parent, kept pointing at whatever PATH names now.
class PathWatches {
 public:
  PathWatches(InotifyWatcher& watcher, fs::path path)
      : watcher_(&watcher),
        path_(std::move(path)),
        parent_(path_.has_parent_path() ? path_.parent_path() : fs::path(".")),
        name_(path_.filename().string()) {
    if (auto wd = watcher_->add(parent_, kParentEvents | IN_ONLYDIR))
      parentWd_ = *wd;
    else
      log::warn("not watching " + parent_.string() + ": " + wd.error());
    refresh();
  }

  // PATH may now be another inode (replaced by rename) or gone: watch what it names now.
  void refresh() {
    auto wd = watcher_->add(path_, kContentEvents);
    if (pathWd_ && (!wd || *wd != *pathWd_)) watcher_->remove(*pathWd_);
    pathWd_ = wd ? std::optional<int>(*wd) : std::nullopt;
    isDirectory_ = fs::is_directory(path_);
  }

  // Whether `event` can change what PATH holds.
  bool relevant(const InotifyWatcher::Event& event) const {
    if (event.mask & IN_Q_OVERFLOW) return true;  // events were lost: re-read to be sure
    if (parentWd_ && event.wd == *parentWd_)
      return event.name == name_ || isConfigMapInternal(event.name);
    if (!pathWd_ || event.wd != *pathWd_) return false;
    if (event.mask & IN_IGNORED) return true;  // the watched inode is gone
    if (!isDirectory_ || event.name.empty()) return true;
    return isManifestFileName(event.name) || isConfigMapInternal(event.name);
  }

 private:
  InotifyWatcher* watcher_;
  fs::path path_;
  fs::path parent_;
  std::string name_;
  std::optional<int> parentWd_;
  std::optional<int> pathWd_;
  bool isDirectory_ = false;
};

void reread(ManifestTracker& tracker, EventSink& sink, const std::stop_token& stop,
            const fs::path& path) {
  ManifestTracker::Changes changes;
  if (!tracker.refresh(sink, stop, &changes)) return;
  log::debug(1, "re-read " + path.string() + ": " + std::to_string(changes.filesParsed) +
                    " file(s) changed");
  if (changes.upserted + changes.removed + changes.invalid > 0)
    log::info("re-read " + path.string() + ": " + std::to_string(changes.upserted) +
              " added or changed, " + std::to_string(changes.removed) + " removed, " +
              std::to_string(changes.invalid) + " new problems");
}

}  // namespace

void FileSource::run(EventSink& sink, std::stop_token stop) {
  if (stop.stop_requested()) return;
  // Watch before the first read, so that a change landing in between is not missed.
  std::optional<InotifyWatcher> watcher;
  std::optional<PathWatches> watches;
  std::string watchError;
  if (!options_.once) {
    if (auto created = InotifyWatcher::create()) {
      watcher.emplace(std::move(*created));
      watches.emplace(*watcher, path_);
    } else {
      watchError = created.error();
    }
  }

  ManifestTracker tracker(path_);
  ManifestTracker::Changes initial;
  if (!tracker.refresh(sink, stop, &initial)) return;
  log::info("loaded " + path_.string() + ": " + std::to_string(tracker.objectCount()) +
            " objects, " + std::to_string(initial.invalid) + " errors");
  sink.synced();
  if (options_.once || stop.stop_requested()) return;

  if (!watcher) {
    log::warn("cannot watch " + path_.string() + " (" + watchError + "); polling it every " +
              std::to_string(kPollInterval.count()) + "s instead");
    while (clock_.sleepFor(kPollInterval, stop)) reread(tracker, sink, stop, path_);
    return;
  }
  std::stop_callback wake(stop, [&] { watcher->interrupt(); });
  // The current burst of changes: re-read once it has been quiet for a debounce, or has lasted
  // ten.
  bool changed = false;
  Clock::TimePoint firstChange;
  Clock::TimePoint lastChange;
  const auto due = [&] {
    return std::min(lastChange + options_.debounce, firstChange + 10 * options_.debounce);
  };
  while (!stop.stop_requested()) {
    // The wait itself is on real time: what the clock says is left of the debounce, cut short by
    // any event and by a stop.
    std::optional<std::chrono::milliseconds> timeout;
    if (changed) timeout = std::chrono::ceil<std::chrono::milliseconds>(due() - clock_.now());
    for (const InotifyWatcher::Event& event : watcher->wait(timeout)) {
      if (!watches->relevant(event)) continue;
      lastChange = clock_.now();
      if (!changed) firstChange = lastChange;
      changed = true;
    }
    if (stop.stop_requested()) return;
    if (!changed || clock_.now() < due()) continue;
    changed = false;
    // Watch first, then read: a change landing between the two is seen by the next wait.
    watches->refresh();
    reread(tracker, sink, stop, path_);
  }
}

}  // namespace kpx::watch
