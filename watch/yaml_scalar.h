// YAML scalar typing by the YAML 1.2 core schema: what a scalar is (bool, integer, float, null,
// string) given its text and its tag. yaml-cpp leaves this to its users.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace kpx::watch {

// A plain (unquoted, untagged) scalar: true/false (and True, TRUE...), integers (decimal, 0o
// octal, 0x hex), floats (incl. .inf, .nan), null/~/empty; anything else is the string itself.
// YAML 1.1 spellings (yes/no/on/off) stay strings.
nlohmann::json resolvePlainScalar(const std::string& text);

// A scalar with yaml-cpp's tag: "?" is plain (resolved as above), "!" is quoted (a string),
// "tag:yaml.org,2002:int" and the other core tags resolve, "!!str" and unknown tags keep the text.
nlohmann::json resolveScalar(const std::string& tag, const std::string& text);

}  // namespace kpx::watch
