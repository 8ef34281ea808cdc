#include "proxy/diffing_sync.h"

namespace kpx {

DataplaneResult<SyncReport> DiffingSync::sync(const ProxyState& desired, SyncKind kind) {
  const StateChanges changes =
      last_ ? changesBetween(*last_, desired) : StateChanges{.global = true, .before = {}};
  auto result = dataplane_.sync(desired, last_ ? kind : SyncKind::Full, changes);
  if (result)
    last_ = desired;
  else
    last_.reset();
  return result;
}

}  // namespace kpx
