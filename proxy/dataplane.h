// The seam between the core and dataplane/ (docs/architecture.md): what every backend
// (nftables, iptables, ipvs, the in-memory fake) implements. Pure interface: backends keep their
// own record of what they applied; callers that keep no record of their changes use DiffingSync
// (proxy/diffing_sync.h). Every call reports failure as a DataplaneError, never by throwing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "proxy/dataplane_error.h"
#include "proxy/inventory.h"
#include "proxy/state.h"
#include "proxy/state_changes.h"

namespace kpx {

// Incremental: apply the changes. Verify: the same, after checking (cheaply) that the kernel still
// holds what this process applied, programming everything when it does not (someone flushed or
// replaced kpx's rules): the periodic resync. Full: program everything.
enum class SyncKind : uint8_t { Incremental, Verify, Full };
std::string_view toString(SyncKind kind);  // "incremental", "verify", "full"

struct SyncReport {
  size_t messages = 0;  // kernel messages sent (netlink messages, restore lines, ...)
  // The whole state was programmed (or adopted as found): a Full sync, or one the backend had to
  // make full (its first, the one after a failure, a Verify that found its rules changed).
  bool full = false;
};

template <typename T>
using DataplaneResult = tl::expected<T, DataplaneError>;

class Dataplane {
 public:
  virtual ~Dataplane() = default;

  // Converges the kernel to `desired`. `changes` names the ports that may differ from the state
  // of the previous successful call, with their previous values: an Incremental sync looks at
  // those ports only, so its cost follows the change, not the cluster; a Verify sync does too
  // once the kernel's rules are found in place. A Full sync (and any sync the backend cannot do
  // incrementally: its first, the one after a failure) programs all of `desired` and ignores
  // `changes`. On failure the previous rules stay in force and the next sync is full.
  virtual DataplaneResult<SyncReport> sync(const ProxyState& desired, SyncKind kind,
                                           const StateChanges& changes) = 0;
  // What the kernel holds now, read back from the kernel alone (no state of this process).
  virtual DataplaneResult<Inventory> dump() = 0;
  // What a full sync of `desired` would program, in the backend's own syntax (nft, restore
  // input, ...): `kpx plan --mode`. Touches no kernel.
  virtual DataplaneResult<std::string> render(const ProxyState& desired) const = 0;
  // Removes everything kpx owns in this backend, nothing else. Idempotent.
  virtual DataplaneResult<void> cleanup() = 0;
};

}  // namespace kpx
