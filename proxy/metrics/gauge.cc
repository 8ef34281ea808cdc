#include "proxy/metrics/gauge.h"

namespace kpx::metrics {

Gauge::Gauge(MetricOpts opts) : MetricFamily(std::move(opts)) {
  // An unlabelled gauge is exposed at 0 from the start, as client_golang does.
  if (labelNames().empty()) children_.getOrCreate({});
}

GaugeChild& Gauge::labels(const LabelValues& values) {
  checkArity(values);
  return children_.getOrCreate(values);
}

void Gauge::writeTo(std::string& out) const {
  auto children = children_.list();
  if (children.empty()) return;
  sortChildren(children);
  writeHeader(out, name(), help(), type());
  for (const auto& [values, child] : children) {
    writeSample(out, name(), pairsOf(values), child->value());
  }
}

}  // namespace kpx::metrics
