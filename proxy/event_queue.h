// The one thing sources and the sync thread share (docs/architecture.md): sources push object events from
// their own threads; the sync thread drains them into its ClusterSnapshot right before a sync.
// Nothing else crosses threads, so the store, the state and the dataplane need no locks.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "proxy/clock.h"
#include "proxy/source.h"
#include "proxy/store.h"

namespace kpx {

// What one drain changed, for the sync's decisions and kube-proxy's change metrics.
struct DrainedChanges {
  size_t serviceChanges = 0;   // upserts and deletes of Services
  size_t endpointChanges = 0;  // upserts and deletes of EndpointSlices
  size_t nodeChanges = 0;      // of any Node (the sink cannot tell)
  // The services whose ports may have changed, by key ("ns/name"): each Service upserted or
  // removed, and the service each upserted or removed EndpointSlice named before and names now.
  // An upsert of an object equal to the one held changes nothing and touches nothing (a re-list).
  std::set<std::string> touchedServices;
  // This node's Node was added, changed or removed.
  bool nodeChanged = false;
  std::vector<ObjectError> invalid;
  // When the oldest drained event arrived, on the queue's clock (for event-to-kernel latency).
  std::optional<Clock::TimePoint> oldestEvent;
  std::vector<Clock::TimePoint> eventTimes;  // every event's arrival
  bool any() const { return serviceChanges + endpointChanges + nodeChanges > 0; }
};

class EventQueue final : public EventSink {
 public:
  // Events are stamped with `clock`'s time as they arrive; the agent passes its own clock, so
  // event-to-kernel latency is measured on one clock. `wake` runs (in the source's thread,
  // outside the queue's lock) after each event once the source has synced, and once at
  // synced(): the agent passes SyncLoop::notify.
  EventQueue(const Clock& clock, std::function<void(bool firstSync)> wake)
      : clock_(clock), wake_(std::move(wake)) {}

  void upsert(Object object) override;
  void remove(ObjectKind kind, const std::string& key) override;
  void invalid(const ObjectError& error) override;
  void synced() override;

  // Applies every waiting event to `cluster`, in arrival order. `nodeName`: this node, for
  // DrainedChanges::nodeChanged. Sync thread only.
  DrainedChanges drainInto(ClusterSnapshot& cluster, const std::string& nodeName);

  bool hasSynced() const;
  // Events waiting (kubeproxy_sync_proxy_rules_*_changes_pending).
  size_t pendingServiceChanges() const;
  size_t pendingEndpointChanges() const;

 private:
  struct Upsert {
    Object object;
  };
  struct Remove {
    ObjectKind kind;
    std::string key;
  };
  struct Invalid {
    ObjectError error;
  };
  struct Event {
    std::variant<Upsert, Remove, Invalid> what;
    Clock::TimePoint at;
  };
  void push(Event event, std::optional<ObjectKind> kind);

  const Clock& clock_;
  std::function<void(bool)> wake_;
  mutable std::mutex mutex_;
  std::deque<Event> events_;
  size_t pendingServices_ = 0;
  size_t pendingEndpoints_ = 0;
  bool synced_ = false;
};

}  // namespace kpx
