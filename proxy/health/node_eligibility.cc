#include "proxy/health/node_eligibility.h"

#include <algorithm>

namespace kpx::health {

bool nodeEligible(bool hasDeletionTimestamp, const std::vector<std::string>& taintKeys) {
  if (hasDeletionTimestamp) return false;
  return std::none_of(taintKeys.begin(), taintKeys.end(),
                      [](const std::string& key) { return key == kToBeDeletedTaint; });
}

bool nodeEligible(const Node& node) {
  return nodeEligible(node.deleting, node.taintKeys);
}

}  // namespace kpx::health
