// kpx run's UDP conntrack cleanup after each successful sync (docs/semantics.md): the entries a
// sync made stale, found from the changed ports only. The first sync after a start has no
// "before" to compare with: kpx then cleans nothing (a restart must not disturb flows), and
// only indexes the state's UDP frontends.
#pragma once

#include <optional>

#include "dataplane/conntrack/conntrack_table.h"
#include "proxy/conntrack_plan.h"
#include "proxy/state.h"
#include "proxy/state_changes.h"

namespace kpx::cmd {

class ConntrackCleaner {
 public:
  void afterSync(const ProxyState& after, const StateChanges& changes, bool firstSync);

 private:
  std::optional<conntrack::ConntrackTable> table_;
  UdpFrontendIndex frontends_;  // of the state of the last sync
};

}  // namespace kpx::cmd
