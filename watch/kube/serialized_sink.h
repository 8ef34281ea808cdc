// Several informer threads feeding one EventSink, which is not thread-safe: every call is made
// under one mutex, and synced() reaches the sink once, when every informer has reported its
// first complete list (so the sync loop never sees Services without their EndpointSlices).
#pragma once

#include <cstddef>
#include <mutex>

#include "proxy/source.h"

namespace kpx::watch {

class SerializedSink final : public EventSink {
 public:
  SerializedSink(EventSink& target, size_t sources) : target_(target), pending_(sources) {}

  void upsert(Object object) override;
  void remove(ObjectKind kind, const std::string& key) override;
  void invalid(const ObjectError& error) override;
  // Each source calls it once (after its first list); the sink sees it after the last one.
  void synced() override;

 private:
  std::mutex mutex_;
  EventSink& target_;
  size_t pending_;
};

}  // namespace kpx::watch
