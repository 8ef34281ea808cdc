// A Prometheus gauge family: values that go up and down, one per set of label values.
#pragma once

#include <atomic>

#include "proxy/metrics/child_map.h"
#include "proxy/metrics/metric_family.h"

namespace kpx::metrics {

class GaugeChild {
 public:
  void set(double value) { value_.store(value, std::memory_order_relaxed); }
  void add(double delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge final : public MetricFamily {
 public:
  explicit Gauge(MetricOpts opts);

  std::string_view type() const override { return "gauge"; }
  // The child for these label values (declaration order), created at zero on first use.
  // Throws std::invalid_argument on a wrong number of values.
  GaugeChild& labels(const LabelValues& values);
  // Shorthands for the unlabelled child of a family without label names.
  void set(double value) { labels({}).set(value); }
  void add(double delta) { labels({}).add(delta); }
  double value(const LabelValues& values = {}) { return labels(values).value(); }

  void writeTo(std::string& out) const override;

 private:
  ChildMap<GaugeChild> children_;
};

}  // namespace kpx::metrics
