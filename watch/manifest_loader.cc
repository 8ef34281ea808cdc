#include "watch/manifest_loader.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <system_error>

#include "proxy/log.h"
#include "watch/legacy_endpoints.h"
#include "watch/yaml_to_json.h"

namespace kpx::watch {
namespace {

namespace fs = std::filesystem;

ParsedObjects parseJsonText(std::string_view text, std::string_view origin) {
  ParsedObjects out;
  nlohmann::json document;
  try {
    document = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    // parse_error, and out_of_range for a number no double holds (4E400). e.what() says where ("parse error at line 3, column 7: ..."), after an internal id.
    std::string_view message = e.what();
    if (message.starts_with("[json.exception.") && message.find("] ") != std::string_view::npos)
      message.remove_prefix(message.find("] ") + 2);
    out.errors.push_back(fileError(std::string(origin), "invalid JSON: " + std::string(message)));
    return out;
  }
  return parseDocument(document, origin);
}

ParsedObjects parseYamlText(std::string_view text, std::string_view origin) {
  ParsedObjects out;
  auto documents = parseYamlDocuments(text);
  if (!documents) {
    // The whole file is unusable: yaml-cpp cannot resume after an error to find the next
    // document, and guessing where it starts could load half of a broken object.
    out.errors.push_back(
        fileError(std::string(origin), "invalid YAML: " + documents.error().str()));
    return out;
  }
  for (const nlohmann::json& document : *documents) out.append(parseDocument(document, origin));
  return out;
}

}  // namespace

ManifestFormat formatOf(const fs::path& file) {
  return file.extension() == ".json" ? ManifestFormat::Json : ManifestFormat::Yaml;
}

bool isManifestFileName(const fs::path& file) {
  const std::string name = file.filename().string();
  if (name.empty() || name.front() == '.') return false;
  const fs::path extension = file.extension();
  return extension == ".yaml" || extension == ".yml" || extension == ".json";
}

ParsedObjects parseManifestText(std::string_view text, ManifestFormat format,
                                std::string_view origin) {
  return format == ManifestFormat::Json ? parseJsonText(text, origin) : parseYamlText(text, origin);
}

tl::expected<std::vector<std::string>, std::string> listManifestNames(const fs::path& path) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec) return tl::unexpected("cannot read " + path.string() + ": " + ec.message());
  if (!fs::is_directory(status)) return std::vector<std::string>{std::string()};

  std::vector<std::string> names;
  fs::directory_iterator it(path, ec);
  if (ec) return tl::unexpected("cannot read directory " + path.string() + ": " + ec.message());
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    // is_regular_file follows symlinks: ConfigMap volumes hold symlinks to the real files.
    std::error_code typeError;
    if (isManifestFileName(it->path()) && it->is_regular_file(typeError))
      names.push_back(it->path().filename().string());
  }
  if (ec) return tl::unexpected("cannot read directory " + path.string() + ": " + ec.message());
  std::sort(names.begin(), names.end());
  return names;
}

tl::expected<std::vector<fs::path>, std::string> listManifestFiles(const fs::path& path) {
  auto names = listManifestNames(path);
  if (!names) return tl::unexpected(names.error());
  std::vector<fs::path> files;
  files.reserve(names->size());
  for (const std::string& name : *names) files.push_back(name.empty() ? path : path / name);
  return files;
}

tl::expected<ParsedObjects, std::string> loadManifests(const fs::path& path) {
  auto files = listManifestFiles(path);
  if (!files) return tl::unexpected(files.error());
  ParsedObjects all;
  for (const fs::path& file : *files) {
    auto text = readManifestFile(file);
    if (!text) {
      // PATH named this file itself: nothing else to load, so it is PATH that is unreadable.
      if (files->size() == 1 && file == path)
        return tl::unexpected("cannot read " + file.string() + ": " + text.error());
      all.errors.push_back(fileError(file.string(), "cannot read file: " + text.error()));
      continue;
    }
    all.append(parseManifestText(*text, formatOf(file), file.string()));
  }
  dropShadowedLegacySlices(all.objects);
  log::debug(1, "read " + path.string() + ": " + std::to_string(all.objects.size()) + " objects, " +
                    std::to_string(all.errors.size()) + " invalid, " + std::to_string(all.ignored) +
                    " of other kinds");
  return all;
}

// The whole file, or why it could not be read ("Permission denied").
tl::expected<std::string, std::string> readManifestFile(const fs::path& file) {
  std::unique_ptr<FILE, int (*)(FILE*)> stream(std::fopen(file.c_str(), "rb"), &std::fclose);
  if (!stream) return tl::unexpected(std::string(std::strerror(errno)));
  std::string text;
  char buffer[64 * 1024];
  while (size_t n = std::fread(buffer, 1, sizeof buffer, stream.get())) text.append(buffer, n);
  if (std::ferror(stream.get())) return tl::unexpected(std::string(std::strerror(errno)));
  return text;
}

// A problem with a whole file rather than with an object in it.
ObjectError fileError(std::string origin, std::string reason) {
  return ObjectError{.kind = {},
                     .object = {},
                     .field = {},
                     .value = {},
                     .reason = std::move(reason),
                     .origin = std::move(origin)};
}

}  // namespace kpx::watch
