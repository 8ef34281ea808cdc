#include "proxy/metrics/histogram.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "proxy/metrics/buckets.h"
#include "proxy/metrics/registry.h"

namespace kpx::metrics {
namespace {

Histogram make(std::vector<double> buckets) {
  return Histogram(HistogramOpts{.metric = {.name = "h_seconds", .help = "h", .labelNames = {}},
                                 .buckets = std::move(buckets)});
}

TEST(Histogram, BucketsAreInclusiveUpperBoundsAndCumulative) {
  Histogram h = make({1, 2, 4});
  for (double v : {0.0, 1.0, 1.0000001, 2.0, 3.0, 4.0, 4.5, 100.0, -5.0}) h.observe(v);
  const HistogramSnapshot s = h.labels({}).snapshot();
  // <=1: 0, 1, -5 | <=2: 1.0000001, 2 | <=4: 3, 4 | +Inf: 4.5, 100
  EXPECT_EQ(s.cumulative, (std::vector<uint64_t>{3, 5, 7, 9}));
  EXPECT_EQ(s.count, 9U);
  EXPECT_DOUBLE_EQ(s.sum, 0 + 1 + 1.0000001 + 2 + 3 + 4 + 4.5 + 100 - 5);
}

TEST(Histogram, NaNGoesToInfAndPoisonsTheSum) {
  Histogram h = make({1});
  h.observe(std::nan(""));
  const HistogramSnapshot s = h.labels({}).snapshot();
  EXPECT_EQ(s.cumulative, (std::vector<uint64_t>{0, 1}));
  EXPECT_TRUE(std::isnan(s.sum));
  std::string out;
  h.writeTo(out);
  EXPECT_NE(out.find("h_seconds_sum NaN\n"), std::string::npos) << out;
  EXPECT_NE(out.find("h_seconds_bucket{le=\"+Inf\"} 1\n"), std::string::npos) << out;
}

TEST(Histogram, ExplicitInfBoundIsDroppedAndValidationCatchesBadBounds) {
  Histogram h = make({0.5, std::numeric_limits<double>::infinity()});
  EXPECT_EQ(h.upperBounds(), std::vector<double>{0.5});
  EXPECT_EQ(h.validate(), "");
  EXPECT_NE(make({2, 1}).validate(), "");
  EXPECT_NE(make({1, 1}).validate(), "");
  EXPECT_NE(make({}).validate(), "");
  EXPECT_NE(make({std::nan("")}).validate(), "");
}

TEST(Histogram, ExpositionGolden) {
  Registry registry;
  auto h = std::make_shared<Histogram>(
      HistogramOpts{.metric = {.name = "sync_seconds", .help = "Sync latency", .labelNames = {}},
                    .buckets = {0.001, 0.01, 1e6}});
  ASSERT_TRUE(registry.add(h));
  h->observe(0.005);
  h->observe(2e6);
  EXPECT_EQ(registry.expose(),
            "# HELP sync_seconds Sync latency\n"
            "# TYPE sync_seconds histogram\n"
            "sync_seconds_bucket{le=\"0.001\"} 0\n"
            "sync_seconds_bucket{le=\"0.01\"} 1\n"
            "sync_seconds_bucket{le=\"1e+06\"} 1\n"
            "sync_seconds_bucket{le=\"+Inf\"} 2\n"
            "sync_seconds_sum 2.000000005e+06\n"
            "sync_seconds_count 2\n");
}

TEST(Buckets, AsClientGolangAndComponentBase) {
  EXPECT_EQ(exponentialBuckets(0.001, 2, 4), (std::vector<double>{0.001, 0.002, 0.004, 0.008}));
  EXPECT_EQ(linearBuckets(60, 5, 3), (std::vector<double>{60, 65, 70}));
  EXPECT_EQ(mergeBuckets({linearBuckets(0.25, 0.25, 2), {1, 2}}),
            (std::vector<double>{0, 0.25, 0.5, 1, 2}));
}

}  // namespace
}  // namespace kpx::metrics
