// The seam between watch/ and the core (docs/architecture.md): a Source pushes typed objects into a sink.
#pragma once

#include <stop_token>
#include <string>

#include "proxy/object_error.h"
#include "proxy/store.h"

namespace kpx {

class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void upsert(Object object) = 0;
  virtual void remove(ObjectKind kind, const std::string& key) = 0;
  // An object that failed parsing or validation: skipped, logged and counted by the sink.
  virtual void invalid(const ObjectError& error) = 0;
  // The source has delivered a complete view once (initial list done, or file read).
  virtual void synced() = 0;
};

class Source {
 public:
  virtual ~Source() = default;
  // Pushes upserts/deletes, and synced() once the first full view is delivered. Returns when
  // `stop` is requested, or after the first full view for one-shot sources.
  virtual void run(EventSink& sink, std::stop_token stop) = 0;
};

}  // namespace kpx
