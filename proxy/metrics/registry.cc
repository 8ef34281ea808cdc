#include "proxy/metrics/registry.h"

#include <vector>

namespace kpx::metrics {

tl::expected<void, std::string> Registry::add(MetricFamilyPtr family) {
  if (!family) return tl::unexpected<std::string>("null metric family");
  if (auto error = family->validate(); !error.empty()) return tl::unexpected(std::move(error));
  std::lock_guard lock(mutex_);
  auto [it, inserted] = families_.emplace(family->name(), family);
  if (!inserted) {
    return tl::unexpected("metric \"" + family->name() + "\" is already registered");
  }
  return {};
}

void Registry::remove(const std::string& name) {
  std::lock_guard lock(mutex_);
  families_.erase(name);
}

std::string Registry::expose() const {
  std::vector<MetricFamilyPtr> families;
  {
    // Copy the list, then write without the registry lock: a slow scrape must not block
    // registrations, and families synchronise their own children.
    std::lock_guard lock(mutex_);
    families.reserve(families_.size());
    for (const auto& [name, family] : families_) families.push_back(family);
  }
  std::string out;
  for (const auto& family : families) family->writeTo(out);
  return out;
}

}  // namespace kpx::metrics
