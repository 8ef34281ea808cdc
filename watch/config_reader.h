// Typed, error-collecting reads of a component-config document (KubeProxyConfiguration): every
// problem names its field path, errors and warnings are collected rather than thrown, so one
// run reports all of them (kube-proxy's strict-then-lenient decoding, in one pass).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "proxy/duration.h"

namespace kpx::watch {

class ConfigReader {
 public:
  // A field kpx knows but does not implement, with kube-proxy's default for it (null: none).
  struct Unsupported {
    std::string_view key;
    nlohmann::json defaultValue;
  };

  void error(std::string_view path, std::string message);
  void warn(std::string_view path, std::string message);
  const std::vector<std::string>& errors() const { return errors_; }
  std::string joinedErrors() const;  // "; "-joined
  std::vector<std::string> takeWarnings() { return std::move(warnings_); }

  // The field `key` of `parent` (whose path is `parentPath`). Absent and null read as nothing,
  // as Go's decoder leaves such a field unset; a value of the wrong type is an error (and reads
  // as nothing).
  const nlohmann::json* object(const nlohmann::json& parent, std::string_view parentPath,
                               std::string_view key);
  std::optional<std::string> string(const nlohmann::json& parent, std::string_view parentPath,
                                    std::string_view key);
  std::optional<bool> boolean(const nlohmann::json& parent, std::string_view parentPath,
                              std::string_view key);
  std::optional<int64_t> integer(const nlohmann::json& parent, std::string_view parentPath,
                                 std::string_view key);
  // A Go duration string ("30s", "1m30s"); an unparsable one is an error with Go's message.
  std::optional<Duration> duration(const nlohmann::json& parent, std::string_view parentPath,
                                   std::string_view key);
  std::optional<std::vector<std::string>> strings(const nlohmann::json& parent,
                                                  std::string_view parentPath,
                                                  std::string_view key);

  // Warns about every member of `object` that is neither `used` nor `unsupported` ("unknown
  // field"), and about `unsupported` ones set to something other than their zero value or
  // default ("not supported by kpx").
  void checkFields(const nlohmann::json& object, std::string_view path,
                   std::initializer_list<std::string_view> used,
                   std::initializer_list<Unsupported> unsupported);

 private:
  const nlohmann::json* find(const nlohmann::json& parent, std::string_view key) const;
  void wrongType(std::string_view path, const nlohmann::json& value, std::string_view expected);

  std::vector<std::string> errors_;
  std::vector<std::string> warnings_;
};

// What Go's encoder writes for a field left at its zero value: null, false, 0, "", "0s" (a zero
// duration), "0" (a zero quantity), empty lists and maps, and objects made only of those.
bool isZeroValue(const nlohmann::json& value);

}  // namespace kpx::watch
