// Helpers shared by the watch/ tests: test data paths, parsing shortcuts, temporary directories.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "watch/manifest_loader.h"
#include "watch/object_parser.h"

namespace kpx::watch::testing {

inline std::filesystem::path dataPath(std::string_view name) {
  return std::filesystem::path(KPX_WATCH_TEST_DATA) / name;
}

inline ParsedObjects parseYaml(std::string_view yaml, std::string_view origin = "test.yaml") {
  return parseManifestText(yaml, ManifestFormat::Yaml, origin);
}

// Every error as ObjectError::str() prints it, one per line: for failure messages.
inline std::string describeErrors(const std::vector<ObjectError>& errors) {
  std::string out;
  for (const ObjectError& e : errors) out += e.str() + "\n";
  return out;
}

template <typename T>
std::vector<T> objectsOf(const ParsedObjects& parsed) {
  std::vector<T> out;
  for (const Object& object : parsed.objects)
    if (const T* typed = std::get_if<T>(&object)) out.push_back(*typed);
  return out;
}

// The object of type T with key "namespace/name" (or "name"); fails the test when missing.
template <typename T>
T findObject(const ParsedObjects& parsed, const std::string& key) {
  for (const T& object : objectsOf<T>(parsed))
    if (object.meta.key() == key) return object;
  ADD_FAILURE() << "no object " << key << "; errors:\n" << describeErrors(parsed.errors);
  return T{};
}

// One YAML manifest that must parse into exactly one object of type T.
template <typename T>
T parseOne(std::string_view yaml) {
  ParsedObjects parsed = parseYaml(yaml);
  EXPECT_TRUE(parsed.errors.empty()) << describeErrors(parsed.errors);
  std::vector<T> objects = objectsOf<T>(parsed);
  EXPECT_EQ(objects.size(), 1u) << yaml;
  return objects.empty() ? T{} : objects.front();
}

// A fresh directory under $TMPDIR, removed with everything in it at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "kpx-watch-XXXXXX").string();
    path_ = mkdtemp(pattern.data()) ? pattern : std::string();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path write(const std::string& name, std::string_view text) const {
    const std::filesystem::path file = path_ / name;
    std::ofstream(file) << text;
    return file;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace kpx::watch::testing
