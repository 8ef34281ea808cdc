// For callers that keep no record of what they changed (tests, one-shot commands, benchmarks):
// finds the changes by comparing with the state last synced through it, O(cluster). The agent
// never uses it: it knows its changes (StateChanges) and passes them to Dataplane::sync.
#pragma once

#include <optional>

#include "proxy/dataplane.h"

namespace kpx {

class DiffingSync {
 public:
  explicit DiffingSync(Dataplane& dataplane) : dataplane_(dataplane) {}

  // The first call, and the one after a failure, is Full whatever `kind` says.
  DataplaneResult<SyncReport> sync(const ProxyState& desired, SyncKind kind);
  Dataplane& dataplane() { return dataplane_; }

 private:
  Dataplane& dataplane_;
  std::optional<ProxyState> last_;
};

}  // namespace kpx
