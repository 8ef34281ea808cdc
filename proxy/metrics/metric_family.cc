#include "proxy/metrics/metric_family.h"

#include <algorithm>
#include <numeric>
#include <set>
#include <stdexcept>

namespace kpx::metrics {

MetricFamily::MetricFamily(MetricOpts opts) : opts_(std::move(opts)) {
  sortedOrder_.resize(opts_.labelNames.size());
  std::iota(sortedOrder_.begin(), sortedOrder_.end(), size_t{0});
  std::sort(sortedOrder_.begin(), sortedOrder_.end(),
            [&](size_t a, size_t b) { return opts_.labelNames[a] < opts_.labelNames[b]; });
}

std::string MetricFamily::validate() const {
  if (!isValidMetricName(opts_.name)) return "invalid metric name \"" + opts_.name + "\"";
  std::set<std::string_view> seen;
  for (const auto& label : opts_.labelNames) {
    if (!isValidLabelName(label)) {
      return opts_.name + ": invalid label name \"" + label + "\"";
    }
    if (!seen.insert(label).second) return opts_.name + ": duplicate label \"" + label + "\"";
  }
  return {};
}

void MetricFamily::checkArity(const LabelValues& values) const {
  if (values.size() != opts_.labelNames.size()) {
    throw std::invalid_argument(opts_.name + ": " + std::to_string(values.size()) +
                                " label values for " + std::to_string(opts_.labelNames.size()) +
                                " label names");
  }
}

std::vector<LabelPair> MetricFamily::pairsOf(const LabelValues& values) const {
  std::vector<LabelPair> pairs;
  pairs.reserve(sortedOrder_.size());
  for (size_t i : sortedOrder_) pairs.push_back({opts_.labelNames[i], values[i]});
  return pairs;
}

bool MetricFamily::lessByLabels(const LabelValues& a, const LabelValues& b) const {
  for (size_t i : sortedOrder_) {
    if (a[i] != b[i]) return a[i] < b[i];
  }
  return false;
}

}  // namespace kpx::metrics
