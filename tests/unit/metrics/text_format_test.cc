#include "proxy/metrics/text_format.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace kpx::metrics {
namespace {

// Expected strings are what Go's strconv.FormatFloat(v, 'g', -1, 64) prints (expfmt's writeFloat).
TEST(FormatFloat, MatchesGoShortestG) {
  EXPECT_EQ(formatFloat(0), "0");
  EXPECT_EQ(formatFloat(-0.0), "0");
  EXPECT_EQ(formatFloat(1), "1");
  EXPECT_EQ(formatFloat(-1), "-1");
  EXPECT_EQ(formatFloat(42), "42");
  EXPECT_EQ(formatFloat(0.1), "0.1");
  EXPECT_EQ(formatFloat(0.25), "0.25");
  EXPECT_EQ(formatFloat(0.001), "0.001");
  EXPECT_EQ(formatFloat(0.0001), "0.0001");
  EXPECT_EQ(formatFloat(0.00001), "1e-05");
  EXPECT_EQ(formatFloat(0.000015), "1.5e-05");
  EXPECT_EQ(formatFloat(16.384), "16.384");
  EXPECT_EQ(formatFloat(100000), "100000");
  EXPECT_EQ(formatFloat(999999), "999999");
  EXPECT_EQ(formatFloat(1e6), "1e+06");
  EXPECT_EQ(formatFloat(1.5e6), "1.5e+06");
  EXPECT_EQ(formatFloat(123456789), "1.23456789e+08");
  EXPECT_EQ(formatFloat(1700000000.5), "1.7000000005e+09");
  EXPECT_EQ(formatFloat(1e100), "1e+100");
  EXPECT_EQ(formatFloat(-2.5e-7), "-2.5e-07");
  EXPECT_EQ(formatFloat(0.1 + 0.2), "0.30000000000000004");
}

TEST(FormatFloat, SpecialValues) {
  EXPECT_EQ(formatFloat(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(formatFloat(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(formatFloat(std::nan("")), "NaN");
}

TEST(Escaping, LabelValuesEscapeBackslashQuoteAndNewline) {
  EXPECT_EQ(escapeLabelValue("plain"), "plain");
  EXPECT_EQ(escapeLabelValue(R"(a\b)"), R"(a\\b)");
  EXPECT_EQ(escapeLabelValue("say \"hi\""), R"(say \"hi\")");
  EXPECT_EQ(escapeLabelValue("two\nlines"), R"(two\nlines)");
  EXPECT_EQ(escapeLabelValue("tab\tstays"), "tab\tstays");
}

TEST(Escaping, HelpEscapesBackslashAndNewlineButNotQuotes) {
  EXPECT_EQ(escapeHelp("a \"quoted\" \\ word\nnext"), "a \"quoted\" \\\\ word\\nnext");
}

TEST(Names, MetricAndLabelNames) {
  EXPECT_TRUE(isValidMetricName("kubeproxy_sync_proxy_rules_duration_seconds"));
  EXPECT_TRUE(isValidMetricName("ns:sub_name"));
  EXPECT_TRUE(isValidMetricName("_x"));
  EXPECT_FALSE(isValidMetricName(""));
  EXPECT_FALSE(isValidMetricName("1abc"));
  EXPECT_FALSE(isValidMetricName("with-dash"));
  EXPECT_FALSE(isValidMetricName("with space"));
  EXPECT_TRUE(isValidLabelName("ip_family"));
  EXPECT_FALSE(isValidLabelName("__reserved"));
  EXPECT_FALSE(isValidLabelName("a:b"));
  EXPECT_FALSE(isValidLabelName("9lives"));
  EXPECT_FALSE(isValidLabelName(""));
}

TEST(WriteSample, WithAndWithoutLabels) {
  std::string out;
  writeSample(out, "m", {}, 3);
  writeSample(out, "m", {{"a", "x\"y"}, {"b", "z"}}, 0.5);
  EXPECT_EQ(out, "m 3\nm{a=\"x\\\"y\",b=\"z\"} 0.5\n");
}

}  // namespace
}  // namespace kpx::metrics
