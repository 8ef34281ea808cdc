// Reading manifests from the filesystem: `--source PATH` for `kpx run` and `kpx plan`.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "watch/object_parser.h"

namespace kpx::watch {

enum class ManifestFormat : uint8_t { Yaml, Json };

// JSON for *.json, YAML for anything else (JSON files are YAML too, but the JSON parser keeps
// numbers exactly as written and reports JSON syntax errors in JSON terms).
ManifestFormat formatOf(const std::filesystem::path& file);

// Whether a directory entry is a manifest: *.yaml, *.yml or *.json, not hidden. Hidden names are
// editor swap files and the "..data" internals of a ConfigMap volume.
bool isManifestFileName(const std::filesystem::path& file);

// The objects in one file's text. A syntax error is one ObjectError for the whole text (origin
// = `origin`, no object, the line and column in the reason); other problems are per object.
ParsedObjects parseManifestText(std::string_view text, ManifestFormat format,
                                std::string_view origin);

// The manifest files PATH stands for: PATH itself when it is a file (whatever its name), or the
// manifest files directly in the directory PATH, sorted by name. Fails when PATH cannot be read.
tl::expected<std::vector<std::filesystem::path>, std::string> listManifestFiles(
    const std::filesystem::path& path);
// The same by name in PATH: {""} when PATH is a file, else the file names, sorted.
tl::expected<std::vector<std::string>, std::string> listManifestNames(
    const std::filesystem::path& path);

// Everything PATH holds, as `kpx plan` and FileSource read it: all files parsed, legacy
// Endpoints dropped where real EndpointSlices exist for the same service. A file that cannot be
// read or parsed is one error; the other files still load. Fails only when PATH itself cannot
// be read (missing, permission denied), with a message naming it.
tl::expected<ParsedObjects, std::string> loadManifests(const std::filesystem::path& path);

// The whole file, or why it could not be read ("Permission denied").
tl::expected<std::string, std::string> readManifestFile(const std::filesystem::path& file);
// A problem with a whole file rather than with an object in it.
ObjectError fileError(std::string origin, std::string reason);

}  // namespace kpx::watch
