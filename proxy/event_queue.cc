#include "proxy/event_queue.h"

namespace kpx {

void EventQueue::push(Event event, std::optional<ObjectKind> kind) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
    if (kind == ObjectKind::Service) ++pendingServices_;
    if (kind == ObjectKind::EndpointSlice) ++pendingEndpoints_;
    wake = synced_ && kind.has_value();
  }
  // Before the first complete view nothing is synced (an empty store must never reach the
  // kernel); invalid objects change nothing to sync.
  if (wake && wake_) wake_(false);
}

void EventQueue::upsert(Object object) {
  const ObjectKind kind = kindOf(object);
  push(Event{Upsert{std::move(object)}, std::chrono::steady_clock::now()}, kind);
}

void EventQueue::remove(ObjectKind kind, const std::string& key) {
  push(Event{Remove{kind, key}, std::chrono::steady_clock::now()}, kind);
}

void EventQueue::invalid(const ObjectError& error) {
  push(Event{Invalid{error}, std::chrono::steady_clock::now()}, std::nullopt);
}

void EventQueue::synced() {
  {
    std::lock_guard lock(mutex_);
    if (synced_) return;
    synced_ = true;
  }
  if (wake_) wake_(true);
}

DrainedChanges EventQueue::drainInto(ClusterSnapshot& cluster) {
  std::deque<Event> events;
  {
    std::lock_guard lock(mutex_);
    events.swap(events_);
    pendingServices_ = pendingEndpoints_ = 0;
  }
  DrainedChanges out;
  auto count = [&](ObjectKind kind, std::chrono::steady_clock::time_point at) {
    switch (kind) {
      case ObjectKind::Service: ++out.serviceChanges; break;
      case ObjectKind::EndpointSlice: ++out.endpointChanges; break;
      case ObjectKind::Node: ++out.nodeChanges; break;
    }
    if (!out.oldestEvent) out.oldestEvent = at;
    out.eventTimes.push_back(at);
  };
  for (auto& e : events) {
    if (auto* u = std::get_if<Upsert>(&e.what)) {
      count(kindOf(u->object), e.at);
      kpx::upsert(cluster, std::move(u->object));
    } else if (auto* r = std::get_if<Remove>(&e.what)) {
      count(r->kind, e.at);
      kpx::remove(cluster, r->kind, r->key);
    } else {
      out.invalid.push_back(std::get<Invalid>(e.what).error);
    }
  }
  return out;
}

bool EventQueue::hasSynced() const {
  std::lock_guard lock(mutex_);
  return synced_;
}

size_t EventQueue::pendingServiceChanges() const {
  std::lock_guard lock(mutex_);
  return pendingServices_;
}

size_t EventQueue::pendingEndpointChanges() const {
  std::lock_guard lock(mutex_);
  return pendingEndpoints_;
}

}  // namespace kpx
