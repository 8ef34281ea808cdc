// The seam between the core and dataplane/ (DESIGN §1). Implementations converge the kernel
// to a ProxyState and read it back.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <optional>

#include "proxy/state.h"
#include "proxy/state_changes.h"

namespace kpx {

// Incremental: apply the changes. Verify: the same, after checking (cheaply) that the kernel still
// holds what this process applied, programming everything when it does not (someone flushed or
// replaced kpx's rules): the periodic resync. Full: program everything.
enum class SyncKind : uint8_t { Incremental, Verify, Full };
std::string_view toString(SyncKind kind);  // "incremental", "verify", "full"

struct SyncResult {
  bool ok = true;
  std::string error;      // what failed, naming the object concerned
  size_t messages = 0;    // kernel messages sent (netlink messages, restore lines, ...)
  // The whole state was programmed (or adopted as found): a Full sync, or one the backend had to
  // make full (its first, the one after a failure, a Verify that found its rules changed).
  bool full = false;
};

// One service port as the kernel holds it, for `kpx dump`.
struct InventoryEntry {
  std::string name;        // "ns/name:port"
  IPFamily family = IPFamily::V4;
  Protocol protocol = Protocol::TCP;
  std::vector<std::string> vips;       // "10.96.0.10:80 (cluster)", ...
  std::vector<std::string> endpoints;  // "10.244.1.2:8080"
  std::string affinity;                // "" or "ClientIP 10800s"
};

struct Inventory {
  std::vector<InventoryEntry> entries;
  std::string raw;    // the backend's own textual form, for --format raw
  std::string error;  // set when the kernel could not be read
};

class Dataplane {
 public:
  virtual ~Dataplane() = default;

  // Converges the kernel to `desired`. `changes` names the ports that may differ from the
  // state of the previous call, with their previous values: an Incremental sync looks at those
  // ports only, so its cost follows the change, not the cluster; a Verify sync does too once the
  // kernel's rules are found in place. A Full sync (and any sync the
  // backend cannot do incrementally, such as the first or the one after a failure) programs
  // all of `desired` and ignores `changes`.
  SyncResult sync(const ProxyState& desired, SyncKind kind, const StateChanges& changes) {
    lastGiven_.reset();
    return apply(desired, kind, changes);
  }
  // For callers that keep no record of what they changed (tests, one-shot commands): the
  // changes are found by comparing with the state last given here, which is kept for that.
  SyncResult sync(const ProxyState& desired, SyncKind kind) {
    const StateChanges changes =
        lastGiven_ ? changesBetween(*lastGiven_, desired) : StateChanges{.global = true, .before = {}};
    SyncResult result = apply(desired, lastGiven_ ? kind : SyncKind::Full, changes);
    if (result.ok) lastGiven_ = desired;
    else lastGiven_.reset();
    return result;
  }
  virtual Inventory dump() = 0;
  virtual SyncResult cleanup() = 0;  // removes everything kpx owns; idempotent

 protected:
  virtual SyncResult apply(const ProxyState& desired, SyncKind kind,
                           const StateChanges& changes) = 0;

 private:
  std::optional<ProxyState> lastGiven_;
};

}  // namespace kpx
