#include "proxy/duration.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>

namespace kpx {
namespace {

constexpr uint64_t kTwo63 = uint64_t{1} << 63;  // |INT64_MIN|: the largest magnitude Go accepts

struct Unit {
  std::string_view name;
  uint64_t nanos;
};
// "µs" is U+00B5 (micro sign) and "μs" U+03BC (Greek mu): Go accepts both.
constexpr std::array<Unit, 8> kUnits{{{"ns", 1},
                                      {"us", 1'000},
                                      {"\xC2\xB5s", 1'000},
                                      {"\xCE\xBCs", 1'000},
                                      {"ms", 1'000'000},
                                      {"s", 1'000'000'000},
                                      {"m", 60'000'000'000},
                                      {"h", 3'600'000'000'000}}};

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

// Go's time.quote: the text in double quotes, bytes outside printable ASCII as \xNN, so a
// message never carries control characters from a config file.
std::string quote(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80 || c < 0x20) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else {
      if (c == '"' || c == '\\') out += '\\';
      out += ch;
    }
  }
  return out + "\"";
}

// [0-9]* as an integer; nullopt when it exceeds 2^63 (Go's errLeadingInt).
std::optional<uint64_t> leadingInt(std::string_view& s) {
  uint64_t x = 0;
  size_t i = 0;
  for (; i < s.size() && isDigit(s[i]); ++i) {
    if (x > kTwo63 / 10) return std::nullopt;
    x = x * 10 + static_cast<uint64_t>(s[i] - '0');
    if (x > kTwo63) return std::nullopt;
  }
  s.remove_prefix(i);
  return x;
}

// The digits after a '.': the value and 10^digits. Digits past 63 bits of precision are
// consumed and ignored, as Go does.
void leadingFraction(std::string_view& s, uint64_t& x, double& scale) {
  x = 0;
  scale = 1;
  bool overflow = false;
  size_t i = 0;
  for (; i < s.size() && isDigit(s[i]); ++i) {
    if (overflow) continue;
    if (x > (kTwo63 - 1) / 10) {
      overflow = true;
      continue;
    }
    const uint64_t y = x * 10 + static_cast<uint64_t>(s[i] - '0');
    if (y > kTwo63) {
      overflow = true;
      continue;
    }
    x = y;
    scale *= 10;
  }
  s.remove_prefix(i);
}

}  // namespace

tl::expected<Duration, std::string> parseDuration(std::string_view text) {
  const std::string invalid = "time: invalid duration " + quote(text);
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return Duration::zero();
  if (s.empty()) return tl::unexpected(invalid);

  uint64_t total = 0;
  while (!s.empty()) {
    if (!(s[0] == '.' || isDigit(s[0]))) return tl::unexpected(invalid);
    const size_t before = s.size();
    const std::optional<uint64_t> whole = leadingInt(s);
    if (!whole) return tl::unexpected(invalid);
    uint64_t v = *whole;
    const bool pre = s.size() != before;

    uint64_t fraction = 0;
    double scale = 1;
    bool post = false;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      const size_t afterDot = s.size();
      leadingFraction(s, fraction, scale);
      post = s.size() != afterDot;
    }
    if (!pre && !post) return tl::unexpected(invalid);  // ".s", "-.s"

    size_t unitLength = 0;
    while (unitLength < s.size() && s[unitLength] != '.' && !isDigit(s[unitLength])) ++unitLength;
    if (unitLength == 0) return tl::unexpected("time: missing unit in duration " + quote(text));
    const std::string_view unitName = s.substr(0, unitLength);
    s.remove_prefix(unitLength);
    const auto* unit = std::find_if(kUnits.begin(), kUnits.end(),
                                    [&](const Unit& u) { return u.name == unitName; });
    if (unit == kUnits.end())
      return tl::unexpected("time: unknown unit " + quote(unitName) + " in duration " +
                            quote(text));

    if (v > kTwo63 / unit->nanos) return tl::unexpected(invalid);
    v *= unit->nanos;
    if (fraction > 0) {
      // Through a double, as Go does: exact to the nanosecond for fractions of an hour.
      v += static_cast<uint64_t>(static_cast<double>(fraction) *
                                 (static_cast<double>(unit->nanos) / scale));
      if (v > kTwo63) return tl::unexpected(invalid);
    }
    total += v;
    if (total > kTwo63) return tl::unexpected(invalid);
  }
  if (negative) return Duration(static_cast<int64_t>(0 - total));  // 2^63 wraps to INT64_MIN
  if (total > kTwo63 - 1) return tl::unexpected(invalid);
  return Duration(static_cast<int64_t>(total));
}

namespace {

// Go's fmtFrac: the low `precision` digits of v as a fraction, without trailing zeros (and
// without the point when they are all zero), prepended to `out`; returns v without them.
uint64_t prependFraction(std::string& out, uint64_t v, int precision) {
  std::string digits;
  bool print = false;
  for (int i = 0; i < precision; ++i) {
    const auto digit = static_cast<char>('0' + v % 10);
    print = print || digit != '0';
    if (print) digits.insert(digits.begin(), digit);
    v /= 10;
  }
  if (print) out.insert(0, "." + digits);
  return v;
}

void prependInt(std::string& out, uint64_t v) {
  out.insert(0, std::to_string(v));
}

}  // namespace

std::string formatDuration(Duration d) {
  const int64_t count = d.count();
  const bool negative = count < 0;
  // Two's complement negation in unsigned arithmetic: INT64_MIN has no positive int64.
  const uint64_t magnitude =
      negative ? uint64_t{0} - static_cast<uint64_t>(count) : static_cast<uint64_t>(count);
  constexpr uint64_t kSecond = 1'000'000'000;

  std::string out;
  if (magnitude == 0) return "0s";
  if (magnitude < kSecond) {
    // Below a second: the largest unit among ns, µs, ms that keeps an integer part.
    int precision = 0;
    if (magnitude < 1'000) {
      out = "ns";
    } else if (magnitude < 1'000'000) {
      out = "\xC2\xB5s";
      precision = 3;
    } else {
      out = "ms";
      precision = 6;
    }
    prependInt(out, prependFraction(out, magnitude, precision));
  } else {
    out = "s";
    uint64_t u = prependFraction(out, magnitude, 9);  // whole seconds
    prependInt(out, u % 60);
    u /= 60;  // minutes
    if (u > 0) {
      out.insert(0, "m");
      prependInt(out, u % 60);
      u /= 60;  // hours: Go stops there, days have no fixed length
      if (u > 0) {
        out.insert(0, "h");
        prependInt(out, u);
      }
    }
  }
  if (negative) out.insert(0, "-");
  return out;
}

}  // namespace kpx
