#include "proxy/metrics/histogram.h"

#include <algorithm>
#include <cmath>

namespace kpx::metrics {

HistogramChild::HistogramChild(const std::vector<double>* upperBounds)
    : upperBounds_(upperBounds), counts_(upperBounds->size() + 1, 0) {}

void HistogramChild::observe(double value) {
  // lower_bound: the first bound >= value. NaN compares false with everything, so it would land
  // in bucket 0: send it to +Inf explicitly.
  size_t index = upperBounds_->size();
  if (!std::isnan(value)) {
    index =
        static_cast<size_t>(std::lower_bound(upperBounds_->begin(), upperBounds_->end(), value) -
                            upperBounds_->begin());
  }
  std::lock_guard lock(mutex_);
  ++counts_[index];
  sum_ += value;
  ++count_;
}

HistogramSnapshot HistogramChild::snapshot() const {
  HistogramSnapshot snap;
  std::lock_guard lock(mutex_);
  snap.cumulative.reserve(counts_.size());
  uint64_t running = 0;
  for (uint64_t c : counts_) {
    running += c;
    snap.cumulative.push_back(running);
  }
  snap.sum = sum_;
  snap.count = count_;
  return snap;
}

Histogram::Histogram(HistogramOpts opts)
    : MetricFamily(std::move(opts.metric)), upperBounds_(std::move(opts.buckets)) {
  if (!upperBounds_.empty() && std::isinf(upperBounds_.back()) && upperBounds_.back() > 0) {
    upperBounds_.pop_back();
  }
  if (labelNames().empty()) children_.getOrCreate({}, &upperBounds_);
}

HistogramChild& Histogram::labels(const LabelValues& values) {
  checkArity(values);
  return children_.getOrCreate(values, &upperBounds_);
}

std::string Histogram::validate() const {
  if (auto error = MetricFamily::validate(); !error.empty()) return error;
  for (const auto& label : labelNames()) {
    if (label == "le") return name() + ": label name \"le\" is reserved for histogram buckets";
  }
  if (upperBounds_.empty()) return name() + ": no buckets";
  for (size_t i = 0; i < upperBounds_.size(); ++i) {
    if (!std::isfinite(upperBounds_[i])) return name() + ": bucket bounds must be finite";
    if (i > 0 && !(upperBounds_[i - 1] < upperBounds_[i])) {
      return name() + ": bucket bounds must be strictly increasing";
    }
  }
  return {};
}

void Histogram::writeTo(std::string& out) const {
  auto children = children_.list();
  if (children.empty()) return;
  sortChildren(children);
  writeHeader(out, name(), help(), type());
  const std::string bucketName = name() + "_bucket";
  const std::string sumName = name() + "_sum";
  const std::string countName = name() + "_count";
  std::vector<std::string> bounds;
  bounds.reserve(upperBounds_.size() + 1);
  for (double b : upperBounds_) bounds.push_back(formatFloat(b));
  bounds.push_back("+Inf");

  for (const auto& [values, child] : children) {
    const HistogramSnapshot snap = child->snapshot();
    std::vector<LabelPair> pairs = pairsOf(values);
    // "le" goes last, after the sorted label pairs, as expfmt writes it.
    pairs.push_back({"le", {}});
    for (size_t i = 0; i < bounds.size(); ++i) {
      pairs.back().value = bounds[i];
      writeSample(out, bucketName, pairs, static_cast<double>(snap.cumulative[i]));
    }
    pairs.pop_back();
    writeSample(out, sumName, pairs, snap.sum);
    writeSample(out, countName, pairs, static_cast<double>(snap.count));
  }
}

}  // namespace kpx::metrics
