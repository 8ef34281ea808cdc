#include "watch/config_reader.h"

#include <algorithm>
#include <limits>

#include "watch/field_reader.h"

namespace kpx::watch {
namespace {

std::string_view describeType(const nlohmann::json& value) {
  if (value.is_string()) return "a string";
  if (value.is_boolean()) return "a boolean";
  if (value.is_number_integer()) return "an integer";
  if (value.is_number()) return "a floating-point number";
  if (value.is_array()) return "a list";
  if (value.is_object()) return "an object";
  return "null";
}

}  // namespace

bool isZeroValue(const nlohmann::json& value) {
  if (value.is_null()) return true;
  if (value.is_boolean()) return !value.get<bool>();
  if (value.is_number()) return value.get<double>() == 0;
  if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    return s.empty() || s == "0" || s == "0s";
  }
  if (value.is_array()) return value.empty();
  return std::all_of(value.begin(), value.end(), [](const auto& v) { return isZeroValue(v); });
}

void ConfigReader::error(std::string_view path, std::string message) {
  // A section read by two readers (ipvs: periods, then the rest) reports its type once.
  std::string text = std::string(path) + ": " + message;
  if (std::find(errors_.begin(), errors_.end(), text) == errors_.end())
    errors_.push_back(std::move(text));
}

void ConfigReader::warn(std::string_view path, std::string message) {
  warnings_.push_back(std::string(path) + ": " + message);
}

std::string ConfigReader::joinedErrors() const {
  std::string out;
  for (const std::string& e : errors_) out += (out.empty() ? "" : "; ") + e;
  return out;
}

const nlohmann::json* ConfigReader::find(const nlohmann::json& parent, std::string_view key) const {
  if (!parent.is_object()) return nullptr;
  const auto it = parent.find(key);
  return it == parent.end() || it->is_null() ? nullptr : &*it;
}

void ConfigReader::wrongType(std::string_view path, const nlohmann::json& value,
                             std::string_view expected) {
  error(path, "must be " + std::string(expected) + ", not " + std::string(describeType(value)) +
                  " (" + valueText(value) + ")");
}

const nlohmann::json* ConfigReader::object(const nlohmann::json& parent,
                                           std::string_view parentPath, std::string_view key) {
  const nlohmann::json* v = find(parent, key);
  if (v && !v->is_object()) {
    wrongType(childPath(parentPath, key), *v, "an object");
    return nullptr;
  }
  return v;
}

std::optional<std::string> ConfigReader::string(const nlohmann::json& parent,
                                                std::string_view parentPath, std::string_view key) {
  const nlohmann::json* v = find(parent, key);
  if (!v) return std::nullopt;
  if (!v->is_string()) {
    wrongType(childPath(parentPath, key), *v, "a string");
    return std::nullopt;
  }
  return v->get<std::string>();
}

std::optional<bool> ConfigReader::boolean(const nlohmann::json& parent, std::string_view parentPath,
                                          std::string_view key) {
  const nlohmann::json* v = find(parent, key);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) {
    wrongType(childPath(parentPath, key), *v, "a boolean (true or false)");
    return std::nullopt;
  }
  return v->get<bool>();
}

std::optional<int64_t> ConfigReader::integer(const nlohmann::json& parent,
                                             std::string_view parentPath, std::string_view key) {
  const nlohmann::json* v = find(parent, key);
  if (!v) return std::nullopt;
  if (!v->is_number_integer() ||
      (v->is_number_unsigned() &&
       v->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))) {
    wrongType(childPath(parentPath, key), *v, "an integer");
    return std::nullopt;
  }
  return v->get<int64_t>();
}

std::optional<Duration> ConfigReader::duration(const nlohmann::json& parent,
                                               std::string_view parentPath, std::string_view key) {
  const nlohmann::json* v = find(parent, key);
  if (!v) return std::nullopt;
  if (!v->is_string()) {
    wrongType(childPath(parentPath, key), *v, "a duration string such as \"30s\"");
    return std::nullopt;
  }
  auto d = parseDuration(v->get_ref<const std::string&>());
  if (!d) {
    error(childPath(parentPath, key), d.error());
    return std::nullopt;
  }
  return *d;
}

std::optional<std::vector<std::string>> ConfigReader::strings(const nlohmann::json& parent,
                                                              std::string_view parentPath,
                                                              std::string_view key) {
  const nlohmann::json* v = find(parent, key);
  if (!v) return std::nullopt;
  const std::string path = childPath(parentPath, key);
  if (!v->is_array()) {
    wrongType(path, *v, "a list of strings");
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < v->size(); ++i) {
    if (!(*v)[i].is_string()) {
      wrongType(indexPath(path, i), (*v)[i], "a string");
      return std::nullopt;
    }
    out.push_back((*v)[i].get<std::string>());
  }
  return out;
}

void ConfigReader::checkFields(const nlohmann::json& object, std::string_view path,
                               std::initializer_list<std::string_view> used,
                               std::initializer_list<Unsupported> unsupported) {
  if (!object.is_object()) return;
  for (const auto& [key, value] : object.items()) {
    if (std::find(used.begin(), used.end(), key) != used.end()) continue;
    const auto known = std::find_if(unsupported.begin(), unsupported.end(),
                                    [&](const Unsupported& u) { return u.key == key; });
    if (known == unsupported.end()) {
      warn(childPath(path, key), "unknown field; ignored");
    } else if (!isZeroValue(value) && value != known->defaultValue) {
      warn(childPath(path, key), "not supported by kpx; ignored (" + valueText(value) + ")");
    }
  }
}

}  // namespace kpx::watch
