#include "watch/kube/serialized_sink.h"

namespace kpx::watch {

void SerializedSink::upsert(Object object) {
  std::lock_guard lock(mutex_);
  target_.upsert(std::move(object));
}

void SerializedSink::remove(ObjectKind kind, const std::string& key) {
  std::lock_guard lock(mutex_);
  target_.remove(kind, key);
}

void SerializedSink::invalid(const ObjectError& error) {
  std::lock_guard lock(mutex_);
  target_.invalid(error);
}

void SerializedSink::synced() {
  std::lock_guard lock(mutex_);
  if (pending_ == 0) return;
  if (--pending_ == 0) target_.synced();
}

}  // namespace kpx::watch
