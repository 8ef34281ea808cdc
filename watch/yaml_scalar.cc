#include "watch/yaml_scalar.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>

namespace kpx::watch {
namespace {

constexpr std::string_view kCoreTagPrefix = "tag:yaml.org,2002:";

bool isDigits(std::string_view text, int base) {
  if (text.empty()) return false;
  for (char c : text) {
    const bool ok = base == 16  ? std::isxdigit(static_cast<unsigned char>(c)) != 0
                    : base == 8 ? (c >= '0' && c <= '7')
                                : (c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// [-+]?[0-9]+ | 0o[0-7]+ | 0x[0-9a-fA-F]+ as an integer; too large for 64 bits becomes a float,
// as the core schema only promises an integer, not its width.
std::optional<nlohmann::json> resolveInteger(const std::string& text) {
  std::string_view digits = text;
  int base = 10;
  bool negative = false;
  if (digits.starts_with("0o")) {
    base = 8;
    digits.remove_prefix(2);
  } else if (digits.starts_with("0x")) {
    base = 16;
    digits.remove_prefix(2);
  } else if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  if (!isDigits(digits, base)) return std::nullopt;
  const std::string copy(digits);
  errno = 0;
  const unsigned long long value = std::strtoull(copy.c_str(), nullptr, base);
  if (errno == ERANGE) return nlohmann::json(std::strtod(text.c_str(), nullptr));
  // Signed when it fits, as JSON parsers store small numbers: types compare equal that way.
  if (!negative && value <= static_cast<unsigned long long>(std::numeric_limits<int64_t>::max()))
    return nlohmann::json(static_cast<int64_t>(value));
  if (!negative) return nlohmann::json(static_cast<uint64_t>(value));
  constexpr auto kMinMagnitude =
      static_cast<unsigned long long>(std::numeric_limits<int64_t>::max()) + 1;
  if (value > kMinMagnitude) return nlohmann::json(-static_cast<double>(value));
  return nlohmann::json(value == kMinMagnitude ? std::numeric_limits<int64_t>::min()
                                               : -static_cast<int64_t>(value));
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? and the .inf / .nan spellings.
std::optional<nlohmann::json> resolveFloat(const std::string& text) {
  std::string_view rest = text;
  bool negative = false;
  if (!rest.empty() && (rest[0] == '-' || rest[0] == '+')) {
    negative = rest[0] == '-';
    rest.remove_prefix(1);
  }
  if (rest == ".inf" || rest == ".Inf" || rest == ".INF")
    return nlohmann::json(negative ? -std::numeric_limits<double>::infinity()
                                   : std::numeric_limits<double>::infinity());
  if (text == ".nan" || text == ".NaN" || text == ".NAN")
    return nlohmann::json(std::numeric_limits<double>::quiet_NaN());
  size_t i = 0;
  size_t intDigits = 0, fracDigits = 0;
  while (i < rest.size() && std::isdigit(static_cast<unsigned char>(rest[i]))) ++i, ++intDigits;
  if (i < rest.size() && rest[i] == '.') {
    ++i;
    while (i < rest.size() && std::isdigit(static_cast<unsigned char>(rest[i]))) ++i, ++fracDigits;
  }
  if (intDigits == 0 && fracDigits == 0) return std::nullopt;
  if (i < rest.size() && (rest[i] == 'e' || rest[i] == 'E')) {
    ++i;
    if (i < rest.size() && (rest[i] == '-' || rest[i] == '+')) ++i;
    if (!isDigits(rest.substr(i), 10)) return std::nullopt;
    i = rest.size();
  }
  if (i != rest.size()) return std::nullopt;
  return nlohmann::json(std::strtod(text.c_str(), nullptr));
}

}  // namespace

nlohmann::json resolvePlainScalar(const std::string& text) {
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL")
    return nullptr;
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  if (auto integer = resolveInteger(text)) return *integer;
  if (auto number = resolveFloat(text)) return *number;
  return text;
}

nlohmann::json resolveScalar(const std::string& tag, const std::string& text) {
  if (tag == "?") return resolvePlainScalar(text);
  // Explicit core tags (`!!int 80`) resolve like plain scalars would; `!!str`, quoting ("!")
  // and any other tag keep the text.
  if (!tag.starts_with(kCoreTagPrefix) || tag.ends_with(":str")) return text;
  return resolvePlainScalar(text);
}

}  // namespace kpx::watch
