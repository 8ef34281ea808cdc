// A set of metric families exposed together on /metrics. Not a global: the agent makes one and
// hands it by reference to whoever registers or exposes metrics; tests make their own.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include <tl/expected.hpp>

#include "proxy/metrics/metric_family.h"

namespace kpx::metrics {

class Registry {
 public:
  // Adds a family; fails (and adds nothing) when its names are invalid or another family of
  // the same name is registered. Thread-safe.
  tl::expected<void, std::string> add(MetricFamilyPtr family);
  // Removes the family of that name, if any (idempotent).
  void remove(const std::string& name);

  // Every family, sorted by name, in text format 0.0.4. Thread-safe against updates and
  // registrations; each family is read consistently (see the families' writeTo).
  std::string expose() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, MetricFamilyPtr> families_;
};

}  // namespace kpx::metrics
