#include "proxy/metrics/counter.h"

namespace kpx::metrics {

Counter::Counter(MetricOpts opts) : MetricFamily(std::move(opts)) {
  // An unlabelled counter is exposed at 0 from the start, as client_golang does.
  if (labelNames().empty()) children_.getOrCreate({});
}

CounterChild& Counter::labels(const LabelValues& values) {
  checkArity(values);
  return children_.getOrCreate(values);
}

void Counter::writeTo(std::string& out) const {
  auto children = children_.list();
  if (children.empty()) return;
  sortChildren(children);
  writeHeader(out, name(), help(), type());
  for (const auto& [values, child] : children) {
    writeSample(out, name(), pairsOf(values), child->value());
  }
}

}  // namespace kpx::metrics
