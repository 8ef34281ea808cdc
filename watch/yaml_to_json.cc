#include "watch/yaml_to_json.h"

#include <sstream>
#include <unordered_map>

#include <yaml-cpp/eventhandler.h>

#include "watch/yaml_scalar.h"

namespace kpx::watch {
namespace {

// Aliases are expanded into copies, so a "billion laughs" document would grow without bound.
// Manifests rarely use aliases at all; this bounds what they may expand to per document.
constexpr size_t kMaxAliasValuesPerDocument = 1'000'000;

// A scalar key as it was written: `80:` is the key "80" and `0x10:` stays "0x10", as
// sigs.k8s.io/yaml keeps them. Keys that are not scalars are written as JSON.
// A key holding bytes that are not UTF-8 (an alias of `[ "\xff" ]`) is written with U+FFFD in
// their place: dump() would throw and the key is only a name.
std::string keyFromJson(const nlohmann::json& key) {
  return key.is_string() ? key.get<std::string>()
                         : key.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Builds one nlohmann::json per YAML document from yaml-cpp's parser events.
class JsonBuilder final : public YAML::EventHandler {
 public:
  std::vector<nlohmann::json> takeDocuments() { return std::move(documents_); }

  void OnDocumentStart(const YAML::Mark&) override {
    root_ = nullptr;
    stack_.clear();
    anchors_.clear();
    aliasValues_ = 0;
  }
  void OnDocumentEnd() override { documents_.push_back(std::move(root_)); }

  void OnNull(const YAML::Mark&, YAML::anchor_t anchor) override {
    add(nullptr, "null", anchor, 1);
  }
  void OnScalar(const YAML::Mark&, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    add(resolveScalar(tag, value), value, anchor, 1);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) throw YAML::ParserException(mark, "unknown alias");
    // Checked before copying: the copy itself is what must not happen.
    aliasValues_ += it->second.weight;
    if (aliasValues_ > kMaxAliasValuesPerDocument)
      throw YAML::ParserException(mark, "aliases expand to too many values");
    add(it->second.value, keyFromJson(it->second.value), YAML::NullAnchor, it->second.weight);
  }
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    stack_.push_back(
        Frame{.value = nlohmann::json::array(), .anchor = anchor, .pendingKey = {}, .weight = 1});
  }
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    stack_.push_back(
        Frame{.value = nlohmann::json::object(), .anchor = anchor, .pendingKey = {}, .weight = 1});
  }
  void OnSequenceEnd() override { closeContainer(); }
  void OnMapEnd() override { closeContainer(); }

 private:
  struct Frame {
    nlohmann::json value;
    YAML::anchor_t anchor = YAML::NullAnchor;
    std::optional<std::string> pendingKey;  // maps: the key waiting for its value
    size_t weight = 1;                      // values inside: what an alias to it costs
  };
  struct Anchored {
    nlohmann::json value;
    size_t weight = 1;
  };

  void closeContainer() {
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    add(std::move(frame.value), "", frame.anchor, frame.weight);
  }

  // Places a finished value in its parent (or as the document), remembering it when anchored.
  // `keyText` is the scalar as written, used when the value is a map key.
  void add(nlohmann::json value, const std::string& keyText, YAML::anchor_t anchor, size_t weight) {
    if (anchor != YAML::NullAnchor) anchors_[anchor] = Anchored{value, weight};
    if (stack_.empty()) {
      root_ = std::move(value);
      return;
    }
    Frame& parent = stack_.back();
    parent.weight += weight;
    if (parent.value.is_array()) {
      parent.value.push_back(std::move(value));
    } else if (!parent.pendingKey) {
      parent.pendingKey = keyText.empty() ? keyFromJson(value) : keyText;
    } else {
      parent.value[*parent.pendingKey] = std::move(value);
      parent.pendingKey.reset();
    }
  }

  std::vector<nlohmann::json> documents_;
  nlohmann::json root_;
  std::vector<Frame> stack_;
  std::unordered_map<YAML::anchor_t, Anchored> anchors_;
  size_t aliasValues_ = 0;
};

}  // namespace

nlohmann::json yamlToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return nullptr;
    case YAML::NodeType::Scalar:
      return resolveScalar(node.Tag(), node.Scalar());
    case YAML::NodeType::Sequence: {
      nlohmann::json array = nlohmann::json::array();
      for (const YAML::Node& item : node) array.push_back(yamlToJson(item));
      return array;
    }
    case YAML::NodeType::Map: {
      nlohmann::json object = nlohmann::json::object();
      for (const auto& entry : node) {
        const std::string key =
            entry.first.IsScalar() ? entry.first.Scalar() : yamlToJson(entry.first).dump();
        object[key] = yamlToJson(entry.second);
      }
      return object;
    }
  }
  return nullptr;
}

std::string YamlSyntaxError::str() const {
  if (line <= 0) return message;
  return "line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + message;
}

tl::expected<std::vector<nlohmann::json>, YamlSyntaxError> parseYamlDocuments(
    std::string_view text) {
  std::istringstream stream{std::string(text)};
  JsonBuilder builder;
  try {
    YAML::Parser parser(stream);
    while (parser.HandleNextDocument(builder)) {
    }
  } catch (const YAML::Exception& e) {
    return tl::unexpected(
        YamlSyntaxError{.line = e.mark.line + 1, .column = e.mark.column + 1, .message = e.msg});
  }
  return builder.takeDocuments();
}

}  // namespace kpx::watch
