// A Prometheus counter family: monotonic values, one per set of label values.
#pragma once

#include <atomic>

#include "proxy/metrics/child_map.h"
#include "proxy/metrics/metric_family.h"

namespace kpx::metrics {

class CounterChild {
 public:
  // Counters only go up: a negative or NaN increment is ignored rather than corrupting rates.
  void inc(double delta = 1) {
    if (delta >= 0) value_.fetch_add(delta, std::memory_order_relaxed);
  }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Counter final : public MetricFamily {
 public:
  explicit Counter(MetricOpts opts);

  std::string_view type() const override { return "counter"; }
  // The child for these label values (one per label name, in declaration order), created at
  // zero on first use. Throws std::invalid_argument on a wrong number of values.
  CounterChild& labels(const LabelValues& values);
  // Shorthands for the unlabelled child of a family without label names.
  void inc(double delta = 1) { labels({}).inc(delta); }
  double value(const LabelValues& values = {}) { return labels(values).value(); }

  void writeTo(std::string& out) const override;

 private:
  ChildMap<CounterChild> children_;
};

}  // namespace kpx::metrics
