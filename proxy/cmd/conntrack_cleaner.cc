#include "proxy/cmd/conntrack_cleaner.h"

#include "proxy/log.h"

namespace kpx::cmd {

void ConntrackCleaner::afterSync(const ProxyState& after, const StateChanges& changes,
                                 bool firstSync) {
  if (firstSync) {
    frontends_ = UdpFrontendIndex(after);
    return;
  }
  frontends_.update(after, changes);
  const auto filters = conntrackCleanup(after, changes, frontends_);
  if (filters.empty()) return;
  if (!table_) {
    auto t = conntrack::ConntrackTable::open();
    if (!t) {
      log::error("conntrack: " + t.error().str());
      return;
    }
    table_.emplace(std::move(*t));
  }
  auto deleted = table_->deleteMatching(filters);
  if (!deleted) {
    log::error("conntrack cleanup: " + deleted.error().str());
    table_.reset();  // a fresh handle next time
    return;
  }
  if (*deleted > 0) log::info("conntrack: deleted " + std::to_string(*deleted) + " stale UDP entries");
}

}  // namespace kpx::cmd
