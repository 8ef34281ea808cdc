// kpx run's UDP conntrack cleanup after each successful sync (docs/semantics.md, "UDP conntrack
// cleanup"):
// - the first sync after a start has no "before": it reconciles the whole table with the state
//   as upstream kube-proxy's reconciler does (ConntrackReconcile), deleting the UDP entries to a
//   current frontend whose reply source is not one of that frontend's endpoints (DNATed to an
//   endpoint it no longer has, or never DNATed). Flows to endpoints the frontend still has are
//   left alone, so a restart does not disturb them;
// - every later sync deletes what its changes made stale, found from the changed ports only
//   (conntrackCleanup(after, changes, frontends)): what a reconcile would delete among the
//   flows the running rules made, at the cost of the change rather than of a dump of every UDP
//   entry;
// - a cleanup that fails (opening the table, a dump, a delete) is retried after the next
//   successful sync, as a reconcile plus the failed filters that still name a gone endpoint
//   (retryableFilters()), until one succeeds. Each failure is logged once: an error, then at
//   -v 1 while the same error repeats; the first success after failures says so.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "dataplane/conntrack/conntrack_error.h"
#include "proxy/conntrack_plan.h"
#include "proxy/state.h"
#include "proxy/state_changes.h"

namespace kpx::cmd {

// The kernel's conntrack table as the cleaner uses it; tests pass a fake.
class ConntrackEntries {
 public:
  virtual ~ConntrackEntries() = default;
  // Deletes the entries one of `filters` matches and, when `reconcile` is set, those it finds
  // stale; returns how many. Opening the table is part of the call: its failure is returned as
  // any other error.
  virtual tl::expected<size_t, conntrack::ConntrackError> deleteStale(
      const std::vector<ConntrackFilter>& filters, const ConntrackReconcile* reconcile) = 0;
};

// The production one: dataplane/conntrack's ConntrackTable, opened at the first request (in
// the namespace of the calling thread) and opened anew after any error.
std::unique_ptr<ConntrackEntries> kernelConntrackEntries();

class ConntrackCleaner {
 public:
  explicit ConntrackCleaner(std::unique_ptr<ConntrackEntries> table = kernelConntrackEntries());

  // After a successful sync that applied `after`; `changes` lead from the state of the previous
  // successful sync (ignored when `firstSync`: the first sync after a start reconciles).
  void afterSync(const ProxyState& after, const StateChanges& changes, bool firstSync);

  // A reconcile (and maybe filters) is owed: the first sync's, or a failed cleanup's.
  bool retryPending() const { return reconcilePending_; }

 private:
  std::unique_ptr<ConntrackEntries> table_;
  UdpFrontendIndex frontends_;            // of the state of the last sync
  bool reconcilePending_ = false;         // set by the first sync and by every failure
  std::vector<ConntrackFilter> failed_;   // the filters of the last failed cleanup
  std::optional<std::string> lastError_;  // "dump: errno 1" while cleanups fail
};

}  // namespace kpx::cmd
