// The sync thread writes while the HTTP thread scrapes: totals must add up, and every scrape
// must be self-consistent (a histogram's count equals its +Inf bucket and never goes back).
#include <gtest/gtest.h>

#include <atomic>
#include <sstream>
#include <thread>
#include <vector>

#include "proxy/metrics/counter.h"
#include "proxy/metrics/gauge.h"
#include "proxy/metrics/histogram.h"
#include "proxy/metrics/registry.h"

namespace kpx::metrics {
namespace {

double sampleValue(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(series + " ")) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

TEST(Concurrency, WritersAndScrapersAgree) {
  Registry registry;
  auto counter = std::make_shared<Counter>(
      MetricOpts{.name = "events_total", .help = "e", .labelNames = {"kind"}});
  auto gauge = std::make_shared<Gauge>(MetricOpts{.name = "level", .help = "l", .labelNames = {}});
  auto histogram = std::make_shared<Histogram>(HistogramOpts{
      .metric = {.name = "op_seconds", .help = "o", .labelNames = {}}, .buckets = {0.5}});
  ASSERT_TRUE(registry.add(counter));
  ASSERT_TRUE(registry.add(gauge));
  ASSERT_TRUE(registry.add(histogram));

  constexpr int kWriters = 4;
  constexpr int kPerWriter = 20000;
  std::atomic<bool> done{false};
  std::atomic<int> scrapes{0};
  std::atomic<int> inconsistent{0};
  std::thread scraper([&] {
    double lastCount = 0;
    while (!done) {
      const std::string text = registry.expose();
      const double count = sampleValue(text, "op_seconds_count");
      const double inf = sampleValue(text, "op_seconds_bucket{le=\"+Inf\"}");
      if (count != inf || count < lastCount) ++inconsistent;
      lastCount = count;
      ++scrapes;
    }
  });
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      // Half the writers create the label child concurrently with the others.
      const std::string kind = w % 2 == 0 ? "even" : "odd";
      for (int i = 0; i < kPerWriter; ++i) {
        counter->labels({kind}).inc();
        gauge->add(1);
        histogram->observe(i % 2 == 0 ? 0.25 : 1.0);
      }
    });
  }
  for (auto& t : writers) t.join();
  done = true;
  scraper.join();

  EXPECT_EQ(inconsistent.load(), 0);
  EXPECT_GT(scrapes.load(), 0);
  const std::string text = registry.expose();
  EXPECT_EQ(sampleValue(text, "events_total{kind=\"even\"}"), kWriters / 2 * kPerWriter);
  EXPECT_EQ(sampleValue(text, "events_total{kind=\"odd\"}"), kWriters / 2 * kPerWriter);
  EXPECT_EQ(sampleValue(text, "level"), kWriters * kPerWriter);
  EXPECT_EQ(sampleValue(text, "op_seconds_count"), kWriters * kPerWriter);
  EXPECT_EQ(sampleValue(text, "op_seconds_bucket{le=\"0.5\"}"), kWriters * kPerWriter / 2);
  EXPECT_EQ(sampleValue(text, "op_seconds_sum"), kWriters * (kPerWriter / 2) * 1.25);
}

}  // namespace
}  // namespace kpx::metrics
