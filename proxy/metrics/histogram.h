// A Prometheus histogram family with explicit bucket upper bounds (the +Inf bucket is implicit),
// one child per set of label values.
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

#include "proxy/metrics/child_map.h"
#include "proxy/metrics/metric_family.h"

namespace kpx::metrics {

struct HistogramSnapshot {
  std::vector<uint64_t> cumulative;  // one per upper bound, then the +Inf bucket (== count)
  double sum = 0;
  uint64_t count = 0;
};

class HistogramChild {
 public:
  explicit HistogramChild(const std::vector<double>* upperBounds);

  // Counts `value` in the first bucket whose upper bound is >= value (bounds are inclusive, as
  // Prometheus defines "le"); NaN lands in +Inf only and makes the sum NaN, as client_golang.
  void observe(double value);
  // Buckets, sum and count read together: a scrape never sees count != the +Inf bucket.
  HistogramSnapshot snapshot() const;

 private:
  const std::vector<double>* upperBounds_;  // owned by the family, which outlives its children
  mutable std::mutex mutex_;
  std::vector<uint64_t> counts_;  // per bucket, not cumulative; last: above every bound
  double sum_ = 0;
  uint64_t count_ = 0;
};

struct HistogramOpts {
  MetricOpts metric;
  std::vector<double> buckets;  // strictly increasing; a trailing +Inf is dropped (implicit)
};

class Histogram final : public MetricFamily {
 public:
  explicit Histogram(HistogramOpts opts);

  std::string_view type() const override { return "histogram"; }
  const std::vector<double>& upperBounds() const { return upperBounds_; }
  // The child for these label values (declaration order), created empty on first use.
  // Throws std::invalid_argument on a wrong number of values.
  HistogramChild& labels(const LabelValues& values);
  // Shorthand for the unlabelled child of a family without label names.
  void observe(double value) { labels({}).observe(value); }

  void writeTo(std::string& out) const override;
  // Adds bucket checks (sorted, finite, not empty) and the reserved "le" label to the base ones.
  std::string validate() const override;

 private:
  std::vector<double> upperBounds_;
  ChildMap<HistogramChild> children_;
};

}  // namespace kpx::metrics
