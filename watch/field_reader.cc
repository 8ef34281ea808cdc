#include "watch/field_reader.h"

#include <limits>

namespace kpx::watch {
namespace {

// Long enough for any IP, CIDR or name; short enough to keep a log line readable when someone
// puts a whole object where a string belongs.
constexpr size_t kMaxValueText = 120;

const nlohmann::json& emptyObject() {
  static const nlohmann::json kEmpty = nlohmann::json::object();
  return kEmpty;
}

// "a string", "an integer": how the JSON type of a wrong value is named in the message.
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

std::string childPath(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  std::string out(parent);
  out += '.';
  out += key;
  return out;
}

std::string indexPath(std::string_view parent, size_t index) {
  return std::string(parent) + "[" + std::to_string(index) + "]";
}

std::string keyPath(std::string_view parent, std::string_view key) {
  return std::string(parent) + "[" + std::string(key) + "]";
}

std::string valueText(const nlohmann::json& value) {
  std::string text = value.is_string()
                         ? value.get<std::string>()
                         : value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (text.size() > kMaxValueText) text = text.substr(0, kMaxValueText) + "...";
  return text;
}

void ErrorList::add(std::string field, std::string value, std::string reason) {
  errors_.push_back(ObjectError{.kind = kind_,
                                .object = object_,
                                .field = std::move(field),
                                .value = std::move(value),
                                .reason = std::move(reason),
                                .origin = {}});
}

FieldReader::FieldReader(const nlohmann::json& node, std::string path, ErrorList& errors)
    : node_(&node), path_(std::move(path)), errors_(&errors) {}

void FieldReader::invalid(std::string_view key, std::string value, std::string reason) const {
  errors_->add(pathOf(key), std::move(value), std::move(reason));
}

void FieldReader::wrongType(std::string_view key, const nlohmann::json& value,
                            std::string_view expected) const {
  invalid(key, valueText(value),
          "must be " + std::string(expected) + ", not " + std::string(describeType(value)));
}

const nlohmann::json* FieldReader::find(std::string_view key) const {
  if (!node_->is_object()) return nullptr;
  auto it = node_->find(key);
  if (it == node_->end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<std::string> FieldReader::string(std::string_view key) const {
  const nlohmann::json* v = find(key);
  if (!v) return std::nullopt;
  if (!v->is_string()) {
    wrongType(key, *v, "a string");
    return std::nullopt;
  }
  return v->get<std::string>();
}

std::optional<int64_t> FieldReader::integer(std::string_view key) const {
  const nlohmann::json* v = find(key);
  if (!v) return std::nullopt;
  if (v->is_number_unsigned()) {
    const uint64_t u = v->get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      invalid(key, valueText(*v), "integer out of range");
      return std::nullopt;
    }
    return static_cast<int64_t>(u);
  }
  if (!v->is_number_integer()) {
    wrongType(key, *v, "an integer");
    return std::nullopt;
  }
  return v->get<int64_t>();
}

std::optional<bool> FieldReader::boolean(std::string_view key) const {
  const nlohmann::json* v = find(key);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) {
    wrongType(key, *v, "a boolean");
    return std::nullopt;
  }
  return v->get<bool>();
}

std::optional<RawIntOrString> FieldReader::intOrString(std::string_view key) const {
  const nlohmann::json* v = find(key);
  if (!v) return std::nullopt;
  if (v->is_string()) return RawIntOrString(v->get<std::string>());
  if (v->is_number_integer()) {
    if (auto n = integer(key)) return RawIntOrString(*n);
    return std::nullopt;
  }
  wrongType(key, *v, "an integer or a string");
  return std::nullopt;
}

FieldReader FieldReader::object(std::string_view key) const {
  const nlohmann::json* v = find(key);
  if (v && !v->is_object()) {
    wrongType(key, *v, "an object");
    v = nullptr;
  }
  return FieldReader(v ? *v : emptyObject(), pathOf(key), *errors_);
}

std::vector<FieldReader> FieldReader::objects(std::string_view key) const {
  std::vector<FieldReader> out;
  const nlohmann::json* v = find(key);
  if (!v) return out;
  if (!v->is_array()) {
    wrongType(key, *v, "a list");
    return out;
  }
  const std::string listPath = pathOf(key);
  for (size_t i = 0; i < v->size(); ++i) {
    const nlohmann::json& item = (*v)[i];
    if (!item.is_object()) {
      errors_->add(indexPath(listPath, i), valueText(item),
                   "must be an object, not " + std::string(describeType(item)));
      continue;
    }
    out.emplace_back(item, indexPath(listPath, i), *errors_);
  }
  return out;
}

std::vector<std::string> FieldReader::strings(std::string_view key) const {
  std::vector<std::string> out;
  const nlohmann::json* v = find(key);
  if (!v) return out;
  if (!v->is_array()) {
    wrongType(key, *v, "a list");
    return out;
  }
  bool ok = true;
  for (size_t i = 0; i < v->size(); ++i) {
    const nlohmann::json& item = (*v)[i];
    if (!item.is_string()) {
      errors_->add(indexPath(pathOf(key), i), valueText(item),
                   "must be a string, not " + std::string(describeType(item)));
      ok = false;
      continue;
    }
    out.push_back(item.get<std::string>());
  }
  if (!ok) out.clear();
  return out;
}

std::map<std::string, std::string> FieldReader::stringMap(std::string_view key) const {
  std::map<std::string, std::string> out;
  const nlohmann::json* v = find(key);
  if (!v) return out;
  if (!v->is_object()) {
    wrongType(key, *v, "a map of strings");
    return out;
  }
  for (const auto& [k, item] : v->items()) {
    // `key:` with no value is null, which Go decodes into a map[string]string as "".
    if (item.is_null()) {
      out.emplace(k, std::string());
      continue;
    }
    // An unquoted `version: 1` in YAML is a number here; kubectl rejects it the same way.
    if (!item.is_string()) {
      errors_->add(keyPath(pathOf(key), k), valueText(item),
                   "must be a string, not " + std::string(describeType(item)));
      continue;
    }
    out.emplace(k, item.get<std::string>());
  }
  return out;
}

size_t FieldReader::listSize(std::string_view key) const {
  const nlohmann::json* v = find(key);
  return v && v->is_array() ? v->size() : 0;
}

}  // namespace kpx::watch
