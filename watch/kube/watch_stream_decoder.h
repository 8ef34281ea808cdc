// The body of a watch, decoded as it arrives: one JSON event per line ({"type": ..., "object":
// ...}), in chunks cut anywhere (an event split over chunks, several in one chunk). A malformed
// line or an event over the size cap is an error: the informer then drops the stream and
// reconnects from the last resourceVersion it applied, so nothing is lost.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

namespace kpx::watch {

struct WatchEvent {
  enum class Type : uint8_t { Added, Modified, Deleted, Bookmark, Error };
  Type type = Type::Added;
  nlohmann::json object;  // the object; a metav1 Status for Error
};

std::string_view toString(WatchEvent::Type type);

class WatchStreamDecoder {
 public:
  // Objects of several MiB are legal (a Service with huge annotations, a slice of 1,000
  // endpoints); the cap only stops a broken stream from eating memory.
  static constexpr size_t kDefaultMaxEventBytes = size_t{64} << 20;

  explicit WatchStreamDecoder(size_t maxEventBytes = kDefaultMaxEventBytes)
      : maxEventBytes_(maxEventBytes) {}

  // Returns false to stop decoding: the rest of the stream is not wanted (after an ERROR).
  using EventHandler = std::function<bool(WatchEvent&&)>;

  // Decodes every complete line of `bytes` (with what earlier calls left over) and hands each
  // event to `onEvent`. After an error the decoder is spent: start a new one with a new stream.
  tl::expected<void, std::string> feed(std::string_view bytes, const EventHandler& onEvent);

  // Bytes of an incomplete line: non-zero when a stream ends, the stream was cut mid-event.
  size_t pendingBytes() const { return buffer_.size(); }
  uint64_t eventsDecoded() const { return events_; }

 private:
  tl::expected<void, std::string> decodeLine(std::string_view line, WatchEvent& event) const;

  size_t maxEventBytes_;
  std::string buffer_;  // starts at the beginning of a line
  size_t scanned_ = 0;  // buffer_[0, scanned_) holds no newline
  uint64_t events_ = 0;
};

}  // namespace kpx::watch
