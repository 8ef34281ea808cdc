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
  push(Event{Upsert{std::move(object)}, clock_.now()}, kind);
}

void EventQueue::remove(ObjectKind kind, const std::string& key) {
  push(Event{Remove{kind, key}, clock_.now()}, kind);
}

void EventQueue::invalid(const ObjectError& error) {
  push(Event{Invalid{error}, clock_.now()}, std::nullopt);
}

void EventQueue::synced() {
  {
    std::lock_guard lock(mutex_);
    if (synced_) return;
    synced_ = true;
  }
  if (wake_) wake_(true);
}

namespace {

// What an event does to `out` besides being applied: read before the snapshot changes, since an
// EndpointSlice's old version may name another service than its new one.
void noteUpsert(const ClusterSnapshot& cluster, const Object& object, const std::string& nodeName,
                DrainedChanges& out) {
  const std::string key = keyOf(object);
  if (const auto* svc = std::get_if<Service>(&object)) {
    auto old = cluster.services.find(key);
    if (old == cluster.services.end() || old->second != *svc) out.touchedServices.insert(key);
  } else if (const auto* slice = std::get_if<EndpointSlice>(&object)) {
    auto old = cluster.slices.find(key);
    if (old != cluster.slices.end()) {
      if (old->second == *slice) return;
      if (std::string was = serviceKeyOf(old->second); !was.empty())
        out.touchedServices.insert(std::move(was));
    }
    if (std::string now = serviceKeyOf(*slice); !now.empty())
      out.touchedServices.insert(std::move(now));
  } else if (key == nodeName) {
    const Node* old = cluster.node(key);
    if (old == nullptr || *old != std::get<Node>(object)) out.nodeChanged = true;
  }
}

void noteRemove(const ClusterSnapshot& cluster, ObjectKind kind, const std::string& key,
                const std::string& nodeName, DrainedChanges& out) {
  switch (kind) {
    case ObjectKind::Service:
      if (cluster.services.contains(key)) out.touchedServices.insert(key);
      break;
    case ObjectKind::EndpointSlice:
      if (auto old = cluster.slices.find(key); old != cluster.slices.end()) {
        if (std::string was = serviceKeyOf(old->second); !was.empty())
          out.touchedServices.insert(std::move(was));
      }
      break;
    case ObjectKind::Node:
      if (key == nodeName && cluster.nodes.contains(key)) out.nodeChanged = true;
      break;
  }
}

}  // namespace

DrainedChanges EventQueue::drainInto(ClusterSnapshot& cluster, const std::string& nodeName) {
  std::deque<Event> events;
  {
    std::lock_guard lock(mutex_);
    events.swap(events_);
    pendingServices_ = pendingEndpoints_ = 0;
  }
  DrainedChanges out;
  auto count = [&](ObjectKind kind, Clock::TimePoint at) {
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
      noteUpsert(cluster, u->object, nodeName, out);
      kpx::upsert(cluster, std::move(u->object));
    } else if (auto* r = std::get_if<Remove>(&e.what)) {
      count(r->kind, e.at);
      noteRemove(cluster, r->kind, r->key, nodeName, out);
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
