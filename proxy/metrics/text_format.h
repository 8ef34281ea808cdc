// Pieces of the Prometheus text exposition format 0.0.4, written the way client_golang's expfmt
// writes them, so a scrape of kpx reads byte for byte like a scrape of kube-proxy.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kpx::metrics {

// The Content-Type of a text exposition, as client_golang sends it.
inline constexpr std::string_view kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

// Go's strconv.FormatFloat(v, 'g', -1, 64) with expfmt's special cases: "+Inf", "-Inf", "NaN",
// shortest round-trip digits, exponent form below 1e-4 and from 1e6 up ("1e+06", "1.5e-05").
std::string formatFloat(double value);

// Label values escape backslash, double quote and newline; HELP text escapes backslash and newline.
std::string escapeLabelValue(std::string_view value);
std::string escapeHelp(std::string_view help);

// Valid names per the data model: metric [a-zA-Z_:][a-zA-Z0-9_:]*, label [a-zA-Z_][a-zA-Z0-9_]*
// and not starting with "__" (reserved for Prometheus itself).
bool isValidMetricName(std::string_view name);
bool isValidLabelName(std::string_view name);

struct LabelPair {
  std::string_view name;
  std::string_view value;
};

// One sample line: name{l1="v1",l2="v2"} value\n. No braces when there are no labels.
void writeSample(std::string& out, std::string_view name, const std::vector<LabelPair>& labels,
                 double value);

// The "# HELP" and "# TYPE" lines that open a family.
void writeHeader(std::string& out, std::string_view name, std::string_view help,
                 std::string_view type);

}  // namespace kpx::metrics
