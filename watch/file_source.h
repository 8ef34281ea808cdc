// `--source PATH`: Services, EndpointSlices (and legacy Endpoints) and Nodes from a YAML/JSON
// file or directory, for running without an API server (docs/cli.md). Re-read on change.
#pragma once

#include <chrono>
#include <filesystem>
#include <stop_token>
#include <string>

#include <tl/expected.hpp>

#include "proxy/clock.h"
#include "proxy/source.h"
#include "watch/manifest_loader.h"

namespace kpx::watch {

struct FileSourceOptions {
  // `--once`: read PATH, publish it, synced(), return; no watching.
  bool once = false;
  // Changes are applied once PATH has been quiet this long (editors and `kubectl`-style atomic
  // writes touch a file several times in a row), and at the latest 10 debounces after the
  // first change, so a file rewritten without pause still gets re-read. Measured on the
  // source's clock.
  std::chrono::milliseconds debounce{100};
};

class FileSource final : public Source {
 public:
  // `clock` times the debounce and the polling that replaces inotify when it is unavailable.
  explicit FileSource(std::filesystem::path path, FileSourceOptions options = {},
                      const Clock& clock = systemClock())
      : path_(std::move(path)), options_(options), clock_(clock) {}

  // Reads PATH and publishes it: upsert() for each valid object, invalid() for each problem (an
  // invalid object, an unreadable or malformed file), then synced(). When PATH itself cannot be
  // read there is no view to publish: invalid() gets one error naming PATH and run() returns
  // WITHOUT calling synced(), so the caller can fail clearly.
  //
  // Then, unless `once`, watches PATH (inotify on PATH and on its parent directory, so that
  // replace-by-rename, a deleted and re-created file and a ConfigMap volume's "..data" swap are
  // all seen) and after each burst of changes re-reads it and publishes only what changed:
  // upsert() for new and changed objects, remove() for vanished ones. Only files that changed
  // are parsed again, and the source keeps no copy of the objects (the sink has them). A file
  // that no longer parses keeps its previous objects (see ManifestTracker). Returns promptly
  // once `stop` is requested.
  void run(EventSink& sink, std::stop_token stop) override;

  // One full read of PATH, as `kpx plan` reads it.
  tl::expected<ParsedObjects, std::string> readAll() const { return loadManifests(path_); }

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  FileSourceOptions options_;
  const Clock& clock_;
};

}  // namespace kpx::watch

// The names proxy/cmd wires (docs/architecture.md: only cmd/ knows the concrete sources).
namespace kpx {
using watch::FileSource;
using watch::FileSourceOptions;
using watch::loadManifests;
using watch::ParsedObjects;
}  // namespace kpx
