// Go durations: parseDuration and formatDuration against what Go's time.ParseDuration and
// time.Duration.String return for the same inputs (values from Go's own time package tests).
#include "proxy/duration.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace kpx {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::nanoseconds;
using std::chrono::seconds;

struct ParseCase {
  const char* text;
  int64_t nanos;
};

class ParseDurationOk : public ::testing::TestWithParam<ParseCase> {};

TEST_P(ParseDurationOk, MatchesGo) {
  auto parsed = parseDuration(GetParam().text);
  ASSERT_TRUE(parsed) << GetParam().text << ": " << parsed.error();
  EXPECT_EQ(parsed->count(), GetParam().nanos) << GetParam().text;
}

constexpr int64_t kS = 1'000'000'000;
constexpr int64_t kMin = 60 * kS;
constexpr int64_t kH = 60 * kMin;

INSTANTIATE_TEST_SUITE_P(
    Go, ParseDurationOk,
    ::testing::Values(
        // simple
        ParseCase{"0", 0}, ParseCase{"5s", 5 * kS}, ParseCase{"30s", 30 * kS},
        ParseCase{"1478s", 1478 * kS},
        // sign
        ParseCase{"-5s", -5 * kS}, ParseCase{"+5s", 5 * kS}, ParseCase{"-0", 0}, ParseCase{"+0", 0},
        // decimal
        ParseCase{"5.0s", 5 * kS}, ParseCase{"5.6s", 5 * kS + 600'000'000},
        ParseCase{"5.s", 5 * kS}, ParseCase{".5s", kS / 2}, ParseCase{"1.0s", kS},
        ParseCase{"1.00s", kS}, ParseCase{"1.004s", kS + 4'000'000},
        ParseCase{"1.0040s", kS + 4'000'000}, ParseCase{"100.00100s", 100 * kS + 1'000'000},
        // every unit
        ParseCase{"10ns", 10}, ParseCase{"11us", 11'000}, ParseCase{"12\xC2\xB5s", 12'000},
        ParseCase{"12\xCE\xBCs", 12'000}, ParseCase{"13ms", 13'000'000}, ParseCase{"14s", 14 * kS},
        ParseCase{"15m", 15 * kMin}, ParseCase{"16h", 16 * kH},
        // composite
        ParseCase{"3h30m", 3 * kH + 30 * kMin}, ParseCase{"1m30s", 90 * kS},
        ParseCase{"10.5s4m", 4 * kMin + 10 * kS + kS / 2},
        ParseCase{"-2m3.4s", -(2 * kMin + 3 * kS + 400'000'000)},
        ParseCase{"1h2m3s4ms5us6ns", kH + 2 * kMin + 3 * kS + 4'000'000 + 5'000 + 6},
        ParseCase{"39h9m14.425s", 39 * kH + 9 * kMin + 14 * kS + 425'000'000},
        // large and small
        ParseCase{"52763797000ns", 52763797000}, ParseCase{"0.3333333333333333333h", 20 * kMin},
        ParseCase{"9007199254740993ns", 9007199254740993},
        ParseCase{"9223372036854775807ns", std::numeric_limits<int64_t>::max()},
        ParseCase{"9223372036854775.807us", std::numeric_limits<int64_t>::max()},
        ParseCase{"9223372036s854ms775us807ns", std::numeric_limits<int64_t>::max()},
        ParseCase{"-9223372036854775808ns", std::numeric_limits<int64_t>::min()},
        ParseCase{"-9223372036854775.808us", std::numeric_limits<int64_t>::min()},
        ParseCase{"0.100000000000000000000h", 6 * kMin},
        ParseCase{"0.830103483285477580700h", 49 * kMin + 48 * kS + 372'539'827}));

struct ErrorCase {
  const char* text;
  const char* message;
};

class ParseDurationError : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ParseDurationError, FailsWithGosMessage) {
  auto parsed = parseDuration(GetParam().text);
  ASSERT_FALSE(parsed) << GetParam().text << " parsed as " << parsed->count();
  EXPECT_EQ(parsed.error(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Go, ParseDurationError,
    ::testing::Values(
        ErrorCase{"", "time: invalid duration \"\""},
        ErrorCase{"3", "time: missing unit in duration \"3\""},
        ErrorCase{"-", "time: invalid duration \"-\""},
        ErrorCase{"s", "time: invalid duration \"s\""},
        ErrorCase{".", "time: invalid duration \".\""},
        ErrorCase{"-.", "time: invalid duration \"-.\""},
        ErrorCase{".s", "time: invalid duration \".s\""},
        ErrorCase{"+.s", "time: invalid duration \"+.s\""},
        ErrorCase{"1d", "time: unknown unit \"d\" in duration \"1d\""},
        ErrorCase{"1.2.3s", "time: missing unit in duration \"1.2.3s\""},
        ErrorCase{"1 s", "time: unknown unit \" s\" in duration \"1 s\""},
        ErrorCase{"00", "time: missing unit in duration \"00\""},
        ErrorCase{"5sec", "time: unknown unit \"sec\" in duration \"5sec\""},
        ErrorCase{"9223372036854775808ns", "time: invalid duration \"9223372036854775808ns\""},
        ErrorCase{"9223372036854775.808us", "time: invalid duration \"9223372036854775.808us\""},
        ErrorCase{"9223372036854ms775us808ns",
                  "time: invalid duration \"9223372036854ms775us808ns\""},
        ErrorCase{"-9223372036854775809ns", "time: invalid duration \"-9223372036854775809ns\""},
        ErrorCase{"3000000h", "time: invalid duration \"3000000h\""},
        // Go quotes bytes outside printable ASCII as \xNN.
        ErrorCase{"1\xC2\xB5", "time: unknown unit \"\\xc2\\xb5\" in duration \"1\\xc2\\xb5\""},
        ErrorCase{"\"1s", "time: invalid duration \"\\\"1s\""}));

struct FormatCase {
  int64_t nanos;
  const char* text;
};

class FormatDuration : public ::testing::TestWithParam<FormatCase> {};

TEST_P(FormatDuration, MatchesGo) {
  EXPECT_EQ(formatDuration(nanoseconds(GetParam().nanos)), GetParam().text);
}

INSTANTIATE_TEST_SUITE_P(
    Go, FormatDuration,
    ::testing::Values(
        FormatCase{0, "0s"}, FormatCase{1, "1ns"}, FormatCase{1100, "1.1\xC2\xB5s"},
        FormatCase{2'200'000, "2.2ms"}, FormatCase{3'300'000'000, "3.3s"},
        FormatCase{500'000'000, "500ms"}, FormatCase{kS, "1s"}, FormatCase{kS + kS / 2, "1.5s"},
        FormatCase{-2 * kS, "-2s"}, FormatCase{90 * kS, "1m30s"},
        FormatCase{4 * kMin + 5 * kS, "4m5s"},
        FormatCase{4 * kMin + 5 * kS + 1'000'000, "4m5.001s"}, FormatCase{kH, "1h0m0s"},
        FormatCase{5 * kH + 6 * kMin + 7 * kS + 1'000'000, "5h6m7.001s"},
        FormatCase{8 * kH + kMin + 1, "8h1m0.000000001s"}, FormatCase{15 * kMin, "15m0s"},
        FormatCase{24 * kH, "24h0m0s"}, FormatCase{-1, "-1ns"}, FormatCase{999, "999ns"},
        FormatCase{1000, "1\xC2\xB5s"}, FormatCase{999'999'999, "999.999999ms"},
        FormatCase{std::numeric_limits<int64_t>::max(), "2562047h47m16.854775807s"},
        FormatCase{std::numeric_limits<int64_t>::min(), "-2562047h47m16.854775808s"}));

TEST(Duration, FormatThenParseIsTheIdentity) {
  for (Duration d : {Duration(hours(1) + minutes(2) + milliseconds(3)), Duration(microseconds(7)),
                     Duration(-seconds(42)), Duration(nanoseconds(123456789012345))}) {
    auto back = parseDuration(formatDuration(d));
    ASSERT_TRUE(back) << formatDuration(d);
    EXPECT_EQ(*back, d) << formatDuration(d);
  }
}

}  // namespace
}  // namespace kpx
