// Typed, error-collecting access to the JSON of one Kubernetes object. A field of the wrong JSON
// type (a string where an integer belongs) becomes an ObjectError naming the field, never an
// exception: one bad field rejects its object and nothing else (CONTRIBUTING.md, habit 6).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "proxy/object_error.h"

namespace kpx::watch {

// Field paths as the API server prints them: "spec" + "ports" -> "spec.ports",
// index 1 -> "spec.ports[1]", map key -> "metadata.annotations[example.com/key]".
std::string childPath(std::string_view parent, std::string_view key);
std::string indexPath(std::string_view parent, size_t index);
std::string keyPath(std::string_view parent, std::string_view key);

// A JSON value as an error message shows it: strings bare, anything else as compact JSON; long
// values are cut so that one message stays one readable line.
std::string valueText(const nlohmann::json& value);

// The problems found in one object. Every error names the object's kind and "namespace/name".
class ErrorList {
 public:
  ErrorList(std::string kind, std::string object)
      : kind_(std::move(kind)), object_(std::move(object)) {}

  void add(std::string field, std::string value, std::string reason);
  bool empty() const { return errors_.empty(); }
  size_t size() const { return errors_.size(); }
  const std::vector<ObjectError>& errors() const { return errors_; }
  std::vector<ObjectError> take() { return std::move(errors_); }

 private:
  std::string kind_;
  std::string object_;
  std::vector<ObjectError> errors_;
};

// A raw IntOrString (targetPort) before range checks: the number is kept wide so that validation
// can show an out-of-range value as it was written.
using RawIntOrString = std::variant<int64_t, std::string>;

// One JSON object inside a manifest, with its field path. Accessors treat an absent field and a
// null one alike (Go's decoder leaves both unset) and return nothing; a field of the wrong type
// is recorded in the ErrorList and also returns nothing. Copyable and cheap: it only points.
class FieldReader {
 public:
  FieldReader(const nlohmann::json& node, std::string path, ErrorList& errors);

  const std::string& path() const { return path_; }
  std::string pathOf(std::string_view key) const { return childPath(path_, key); }
  ErrorList& errors() const { return *errors_; }
  // Records an error against the field `key` of this object.
  void invalid(std::string_view key, std::string value, std::string reason) const;

  const nlohmann::json* find(std::string_view key) const;  // nullptr when absent or null
  bool has(std::string_view key) const { return find(key) != nullptr; }

  std::optional<std::string> string(std::string_view key) const;
  std::optional<int64_t> integer(std::string_view key) const;
  std::optional<bool> boolean(std::string_view key) const;
  std::optional<RawIntOrString> intOrString(std::string_view key) const;
  // The nested object; an empty one (with the right path) when absent or of the wrong type.
  FieldReader object(std::string_view key) const;
  // The items of a list of objects, each with its "[i]" path; items of the wrong type are
  // reported and left out.
  std::vector<FieldReader> objects(std::string_view key) const;
  // A list of strings. Empty when absent; when any item is not a string the error is recorded
  // and the list is empty, so indexes in the result always match the input.
  std::vector<std::string> strings(std::string_view key) const;
  std::map<std::string, std::string> stringMap(std::string_view key) const;
  // The length of a list field (0 when absent or not a list): for "too many" checks.
  size_t listSize(std::string_view key) const;

 private:
  void wrongType(std::string_view key, const nlohmann::json& value,
                 std::string_view expected) const;

  const nlohmann::json* node_;
  std::string path_;
  ErrorList* errors_;
};

}  // namespace kpx::watch
