// The children of a labelled family, by label values. Children are created on first use and
// never removed (kpx's label values are bounded: families, codes, kinds), so a reference
// handed out stays valid for the family's lifetime and hot paths can keep it.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "proxy/metrics/metric_family.h"

namespace kpx::metrics {

template <typename Child>
class ChildMap {
 public:
  template <typename... Args>
  Child& getOrCreate(const LabelValues& values, Args&&... args) {
    std::lock_guard lock(mutex_);
    auto it = children_.find(values);
    if (it == children_.end()) {
      it = children_.emplace(values, std::make_unique<Child>(std::forward<Args>(args)...)).first;
    }
    return *it->second;
  }

  // A consistent list of the children that exist now; the pointers stay valid (see above).
  std::vector<std::pair<LabelValues, const Child*>> list() const {
    std::lock_guard lock(mutex_);
    std::vector<std::pair<LabelValues, const Child*>> out;
    out.reserve(children_.size());
    for (const auto& [values, child] : children_) out.emplace_back(values, child.get());
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::map<LabelValues, std::unique_ptr<Child>> children_;
};

}  // namespace kpx::metrics
