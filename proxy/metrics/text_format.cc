#include "proxy/metrics/text_format.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace kpx::metrics {

std::string formatFloat(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == 0) return "0";  // also -0, as expfmt writes it

  // Shortest round-trip digits in scientific form ("1.5e-05"), then Go's 'g' rule: for shortest
  // output strconv decides with precision 6, so exponent form when the exponent is < -4 or >= 6.
  char sci[64];
  const auto sciEnd = std::to_chars(sci, sci + sizeof sci, value, std::chars_format::scientific);
  std::string_view s(sci, static_cast<size_t>(sciEnd.ptr - sci));
  const size_t e = s.find('e');
  const int exponent = std::atoi(std::string(s.substr(e + 1)).c_str());
  if (exponent < -4 || exponent >= 6) return std::string(s);

  char fixed[64];
  const auto fixedEnd = std::to_chars(fixed, fixed + sizeof fixed, value, std::chars_format::fixed);
  return std::string(fixed, fixedEnd.ptr);
}

namespace {
std::string escape(std::string_view in, bool quotes) {
  std::string out;
  out.reserve(in.size());
  for (char c : in) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quotes && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

bool isAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool isDigit(char c) {
  return c >= '0' && c <= '9';
}
}  // namespace

std::string escapeLabelValue(std::string_view value) {
  return escape(value, true);
}
std::string escapeHelp(std::string_view help) {
  return escape(help, false);
}

bool isValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (!(isAlpha(c) || c == ':' || (i > 0 && isDigit(c)))) return false;
  }
  return true;
}

bool isValidLabelName(std::string_view name) {
  if (name.empty() || name.starts_with("__")) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (!(isAlpha(c) || (i > 0 && isDigit(c)))) return false;
  }
  return true;
}

void writeSample(std::string& out, std::string_view name, const std::vector<LabelPair>& labels,
                 double value) {
  out += name;
  if (!labels.empty()) {
    out += '{';
    for (size_t i = 0; i < labels.size(); ++i) {
      if (i > 0) out += ',';
      out += labels[i].name;
      out += "=\"";
      out += escapeLabelValue(labels[i].value);
      out += '"';
    }
    out += '}';
  }
  out += ' ';
  out += formatFloat(value);
  out += '\n';
}

void writeHeader(std::string& out, std::string_view name, std::string_view help,
                 std::string_view type) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += escapeHelp(help);
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

}  // namespace kpx::metrics
