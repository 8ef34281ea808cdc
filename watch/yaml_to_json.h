// YAML -> JSON with the types a Kubernetes client would see (typing rules in yaml_scalar.h):
// `port: 80` is a number and `port: "80"` a string, so validation can tell them apart as the
// API server does.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

namespace kpx::watch {

// A yaml-cpp node tree as JSON. Map keys become strings (JSON has no other keys).
nlohmann::json yamlToJson(const YAML::Node& node);

struct YamlSyntaxError {
  int line = 0;    // 1-based; 0 when yaml-cpp gave no position
  int column = 0;  // 1-based
  std::string message;
  std::string str() const;  // "line 3, column 7: end of map not found"
};

// Every document of a multi-document YAML text ("---" separated), in order; an empty document is
// a null. A syntax error anywhere fails the whole text. Same result as YAML::LoadAll and
// yamlToJson, but built from parser events: no node tree, so a 20 MB `kubectl get -o yaml`
// dump costs a fraction of the memory and time.
tl::expected<std::vector<nlohmann::json>, YamlSyntaxError> parseYamlDocuments(
    std::string_view text);

}  // namespace kpx::watch
