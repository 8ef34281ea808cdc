#include "proxy/cmd/conntrack_cleaner.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "dataplane/conntrack/conntrack_table.h"
#include "proxy/log.h"

namespace kpx::cmd {

namespace {

class KernelConntrackEntries final : public ConntrackEntries {
 public:
  tl::expected<size_t, conntrack::ConntrackError> deleteStale(
      const std::vector<ConntrackFilter>& filters, const ConntrackReconcile* reconcile) override {
    if (!table_) {
      auto opened = conntrack::ConntrackTable::open();
      if (!opened) return tl::unexpected(std::move(opened.error()));
      table_.emplace(std::move(*opened));
    }
    auto deleted =
        reconcile ? table_->deleteStale(*reconcile, filters) : table_->deleteMatching(filters);
    // A failed request may leave half a reply in the socket: a fresh one next time.
    if (!deleted) table_.reset();
    return deleted;
  }

 private:
  std::optional<conntrack::ConntrackTable> table_;
};

}  // namespace

std::unique_ptr<ConntrackEntries> kernelConntrackEntries() {
  return std::make_unique<KernelConntrackEntries>();
}

ConntrackCleaner::ConntrackCleaner(std::unique_ptr<ConntrackEntries> table)
    : table_(std::move(table)) {}

void ConntrackCleaner::afterSync(const ProxyState& after, const StateChanges& changes,
                                 bool firstSync) {
  std::vector<ConntrackFilter> filters;
  if (firstSync) {
    // Every port is new to this process: the filters of the changes would name every frontend
    // and delete flows to valid endpoints. The reconcile deletes only what is stale.
    frontends_ = UdpFrontendIndex(after);
    reconcilePending_ = true;
    failed_.clear();
  } else {
    frontends_.update(after, changes);
    filters = conntrackCleanup(after, changes, frontends_);
  }
  if (!failed_.empty()) {
    std::vector<ConntrackFilter> retried = retryableFilters(failed_, after, frontends_);
    std::vector<ConntrackFilter> merged;
    std::set_union(filters.begin(), filters.end(), retried.begin(), retried.end(),
                   std::back_inserter(merged));
    filters = std::move(merged);
    failed_.clear();
  }
  std::optional<ConntrackReconcile> reconcile;
  if (reconcilePending_) reconcile.emplace(after);
  if (filters.empty() && (!reconcile || reconcile->empty())) {
    reconcilePending_ = false;  // nothing is owed any more: no longer failing either
    lastError_.reset();
    return;
  }

  auto deleted = table_->deleteStale(filters, reconcile ? &*reconcile : nullptr);
  if (!deleted) {
    // Kept for the next successful sync. The reconcile then covers every frontend that still
    // exists, against the state of that sync; the filters keep what it cannot see.
    reconcilePending_ = true;
    failed_ = std::move(filters);
    // The same failure again (same kind of operation and errno; which dump, entry or count
    // may differ) is not logged again at the default verbosity: a node without ctnetlink would
    // say it on every sync.
    const conntrack::ConntrackError& e = deleted.error();
    std::string kind =
        e.operation.substr(0, e.operation.find(' ')) + ": errno " + std::to_string(e.errnum);
    const std::string line =
        "conntrack cleanup failed (retried after the next successful sync): " + e.str();
    if (lastError_ != kind) {
      log::error(line);
    } else {
      log::debug(1, line);
    }
    lastError_ = std::move(kind);
    return;
  }
  const bool reconciled = reconcile.has_value();
  reconcilePending_ = false;
  if (lastError_) {
    log::info("conntrack cleanup succeeded after failing (" + *lastError_ + ")");
    lastError_.reset();
  }
  if (*deleted > 0) {
    log::info("conntrack: deleted " + std::to_string(*deleted) + " stale UDP entries" +
              (reconciled ? " (reconciled with the whole state)" : ""));
  }
}

}  // namespace kpx::cmd
