#include "proxy/metrics/registry.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <stdexcept>

#include "proxy/metrics/counter.h"
#include "proxy/metrics/gauge.h"
#include "proxy/metrics/histogram.h"

namespace kpx::metrics {
namespace {

std::shared_ptr<Counter> counter(std::string name, std::vector<std::string> labels = {}) {
  return std::make_shared<Counter>(
      MetricOpts{.name = std::move(name), .help = "help text", .labelNames = std::move(labels)});
}

TEST(Registry, GoldenExpositionSortedByFamilyThenLabels) {
  Registry registry;
  auto requests = std::make_shared<Counter>(MetricOpts{.name = "http_requests_total",
                                                       .help = "Requests \\ served\nby code",
                                                       .labelNames = {"path", "code"}});
  auto temperature = std::make_shared<Gauge>(
      MetricOpts{.name = "a_temperature", .help = "Heat", .labelNames = {}});
  auto latency = std::make_shared<Histogram>(
      HistogramOpts{.metric = {.name = "op_seconds", .help = "Op latency", .labelNames = {"op"}},
                    .buckets = {0.1, 1}});
  ASSERT_TRUE(registry.add(requests));
  ASSERT_TRUE(registry.add(temperature));
  ASSERT_TRUE(registry.add(latency));

  // Declared (path, code) but exposed sorted by name (code, path), children ordered by those.
  requests->labels({"/b", "200"}).inc();
  requests->labels({"/a", "503"}).inc(2);
  requests->labels({"/a", "200"}).inc(0.5);
  requests->labels({"/a\"q\"\n", "200"}).inc();
  temperature->set(-3.25);
  latency->labels({"sync"}).observe(0.1);  // le is inclusive: counts in 0.1
  latency->labels({"sync"}).observe(0.5);
  latency->labels({"sync"}).observe(7);

  EXPECT_EQ(registry.expose(),
            "# HELP a_temperature Heat\n"
            "# TYPE a_temperature gauge\n"
            "a_temperature -3.25\n"
            "# HELP http_requests_total Requests \\\\ served\\nby code\n"
            "# TYPE http_requests_total counter\n"
            "http_requests_total{code=\"200\",path=\"/a\"} 0.5\n"
            "http_requests_total{code=\"200\",path=\"/a\\\"q\\\"\\n\"} 1\n"
            "http_requests_total{code=\"200\",path=\"/b\"} 1\n"
            "http_requests_total{code=\"503\",path=\"/a\"} 2\n"
            "# HELP op_seconds Op latency\n"
            "# TYPE op_seconds histogram\n"
            "op_seconds_bucket{op=\"sync\",le=\"0.1\"} 1\n"
            "op_seconds_bucket{op=\"sync\",le=\"1\"} 2\n"
            "op_seconds_bucket{op=\"sync\",le=\"+Inf\"} 3\n"
            "op_seconds_sum{op=\"sync\"} 7.6\n"
            "op_seconds_count{op=\"sync\"} 3\n");
}

TEST(Registry, UnlabelledFamiliesShowZeroLabelledOnesNothingUntilUsed) {
  Registry registry;
  auto plain = counter("plain_total");
  auto labelled = counter("labelled_total", {"code"});
  ASSERT_TRUE(registry.add(plain));
  ASSERT_TRUE(registry.add(labelled));
  EXPECT_EQ(registry.expose(),
            "# HELP plain_total help text\n# TYPE plain_total counter\nplain_total 0\n");
  labelled->labels({"200"});
  EXPECT_NE(registry.expose().find("labelled_total{code=\"200\"} 0\n"), std::string::npos);
}

TEST(Registry, RejectsDuplicatesAndInvalidNames) {
  Registry registry;
  ASSERT_TRUE(registry.add(counter("x_total")));
  auto dup = registry.add(counter("x_total"));
  ASSERT_FALSE(dup);
  EXPECT_NE(dup.error().find("already registered"), std::string::npos);
  EXPECT_FALSE(registry.add(counter("bad-name")));
  EXPECT_FALSE(registry.add(counter("ok_total", {"__name"})));
  EXPECT_FALSE(registry.add(counter("ok2_total", {"a", "a"})));
  EXPECT_FALSE(registry.add(nullptr));
  auto le = std::make_shared<Histogram>(
      HistogramOpts{.metric = {.name = "h", .help = "h", .labelNames = {"le"}}, .buckets = {1}});
  EXPECT_FALSE(registry.add(le));
  // Failed adds left nothing behind.
  EXPECT_EQ(registry.expose(), "# HELP x_total help text\n# TYPE x_total counter\nx_total 0\n");
}

TEST(Registry, RemoveIsIdempotent) {
  Registry registry;
  ASSERT_TRUE(registry.add(counter("x_total")));
  registry.remove("x_total");
  registry.remove("x_total");
  EXPECT_EQ(registry.expose(), "");
  EXPECT_TRUE(registry.add(counter("x_total")));
}

TEST(Registry, TwoRegistriesAreIndependent) {
  Registry a;
  Registry b;
  auto c = counter("c_total");
  ASSERT_TRUE(a.add(c));
  ASSERT_TRUE(b.add(counter("c_total")));
  c->inc(5);
  EXPECT_NE(a.expose().find("c_total 5\n"), std::string::npos);
  EXPECT_NE(b.expose().find("c_total 0\n"), std::string::npos);
}

TEST(Families, WrongNumberOfLabelValuesThrows) {
  auto c = counter("c_total", {"a", "b"});
  EXPECT_THROW(c->labels({"x"}), std::invalid_argument);
  EXPECT_THROW(c->inc(), std::invalid_argument);
  EXPECT_NO_THROW(c->labels({"x", "y"}).inc());
}

TEST(Families, CounterIgnoresNegativeAndNaNIncrements) {
  auto c = counter("c_total");
  c->inc(2);
  c->inc(-1);
  c->inc(std::nan(""));
  EXPECT_EQ(c->value(), 2);
}

TEST(Families, GaugeGoesBothWays) {
  Gauge g(MetricOpts{.name = "g", .help = "g", .labelNames = {}});
  g.set(10);
  g.add(-4);
  g.add(0.5);
  EXPECT_EQ(g.value(), 6.5);
}

}  // namespace
}  // namespace kpx::metrics
