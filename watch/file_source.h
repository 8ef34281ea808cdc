// `--source PATH`: Services, EndpointSlices (and legacy Endpoints) and Nodes from a YAML/JSON
// file or directory, for running without an API server (DESIGN §5).
#pragma once

#include <filesystem>
#include <stop_token>
#include <string>

#include <tl/expected.hpp>

#include "proxy/source.h"
#include "watch/manifest_loader.h"

namespace kpx::watch {

class FileSource final : public Source {
 public:
  explicit FileSource(std::filesystem::path path) : path_(std::move(path)) {}

  // Reads PATH once and publishes it: upsert() for each valid object, invalid() for each
  // problem (an invalid object, an unreadable or malformed file), then synced(), and returns.
  // When PATH itself cannot be read there is no view to publish: invalid() gets one error naming
  // PATH and run() returns WITHOUT calling synced(), so the caller can fail clearly.
  void run(EventSink& sink, std::stop_token stop) override;

  // One full read of PATH: what run() publishes. Re-reading on change (inotify) will call it
  // again and diff the result against the previous read to emit removals.
  tl::expected<ParsedObjects, std::string> readAll() const { return loadManifests(path_); }

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace kpx::watch

// The names proxy/cmd wires (DESIGN §1: only cmd/ knows the concrete sources).
namespace kpx {
using watch::FileSource;
using watch::loadManifests;
using watch::ParsedObjects;
}  // namespace kpx
