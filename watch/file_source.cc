#include "watch/file_source.h"

#include "proxy/log.h"

namespace kpx::watch {

void FileSource::run(EventSink& sink, std::stop_token stop) {
  auto view = readAll();
  if (!view) {
    log::error(view.error());
    sink.invalid(ObjectError{.kind = {},
                             .object = {},
                             .field = {},
                             .value = {},
                             .reason = view.error(),
                             .origin = path_.string()});
    return;
  }
  for (const ObjectError& error : view->errors) sink.invalid(error);
  for (Object& object : view->objects) {
    if (stop.stop_requested()) return;
    sink.upsert(std::move(object));
  }
  log::info("loaded " + path_.string() + ": " + std::to_string(view->objects.size()) +
            " objects, " + std::to_string(view->errors.size()) + " errors");
  sink.synced();
}

}  // namespace kpx::watch
