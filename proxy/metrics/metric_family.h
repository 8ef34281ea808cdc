// A metric family: one name, help text, type and label names; one child per set of label values.
// Families are created by their owner (e.g. KubeProxyMetrics) and registered with a Registry,
// which only reads them when a scrape asks for the exposition.
#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/metrics/text_format.h"

namespace kpx::metrics {

using LabelValues = std::vector<std::string>;

struct MetricOpts {
  std::string name;  // full name, e.g. "kubeproxy_sync_proxy_rules_duration_seconds"
  std::string help;
  std::vector<std::string> labelNames{};  // empty: a single, unlabelled child
};

class MetricFamily {
 public:
  explicit MetricFamily(MetricOpts opts);
  virtual ~MetricFamily() = default;
  MetricFamily(const MetricFamily&) = delete;
  MetricFamily& operator=(const MetricFamily&) = delete;

  const std::string& name() const { return opts_.name; }
  const std::string& help() const { return opts_.help; }
  const std::vector<std::string>& labelNames() const { return opts_.labelNames; }
  virtual std::string_view type() const = 0;  // "counter", "gauge", "histogram"

  // Appends the family in text format 0.0.4; nothing at all when a labelled family has no
  // child yet (as client_golang, which exposes no HELP/TYPE for an empty vector).
  // Safe to call from any thread while others update the family.
  virtual void writeTo(std::string& out) const = 0;

  // Empty when the names are valid; else what is wrong. Registry::add checks it.
  virtual std::string validate() const;

 protected:
  // Positions of the label names in sorted order: exposition writes label pairs sorted by name
  // and orders children by their values in that order, as client_golang does.
  const std::vector<size_t>& sortedLabelOrder() const { return sortedOrder_; }
  // Throws std::invalid_argument when `values` does not have one value per label name: that is a
  // programming error at the call site (client_golang panics the same way).
  void checkArity(const LabelValues& values) const;
  // The label pairs of a child, sorted by label name (they view `values`, keep it alive).
  std::vector<LabelPair> pairsOf(const LabelValues& values) const;
  // Sorts children the way client_golang does: by their values in sorted-label-name order.
  template <typename Child>
  void sortChildren(std::vector<std::pair<LabelValues, const Child*>>& children) const {
    std::sort(children.begin(), children.end(),
              [this](const auto& a, const auto& b) { return lessByLabels(a.first, b.first); });
  }

 private:
  bool lessByLabels(const LabelValues& a, const LabelValues& b) const;

  MetricOpts opts_;
  std::vector<size_t> sortedOrder_;
};

using MetricFamilyPtr = std::shared_ptr<const MetricFamily>;

}  // namespace kpx::metrics
