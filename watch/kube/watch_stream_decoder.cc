#include "watch/kube/watch_stream_decoder.h"

#include <optional>

namespace kpx::watch {
namespace {

constexpr size_t kQuoteBytes = 80;

std::optional<WatchEvent::Type> parseType(std::string_view text) {
  if (text == "ADDED") return WatchEvent::Type::Added;
  if (text == "MODIFIED") return WatchEvent::Type::Modified;
  if (text == "DELETED") return WatchEvent::Type::Deleted;
  if (text == "BOOKMARK") return WatchEvent::Type::Bookmark;
  if (text == "ERROR") return WatchEvent::Type::Error;
  return std::nullopt;
}

std::string quote(std::string_view line) {
  std::string out = "\"";
  for (char c : line.substr(0, kQuoteBytes))
    out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  out += line.size() > kQuoteBytes ? "\"..." : "\"";
  return out;
}

bool blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

}  // namespace

std::string_view toString(WatchEvent::Type type) {
  switch (type) {
    case WatchEvent::Type::Added:
      return "ADDED";
    case WatchEvent::Type::Modified:
      return "MODIFIED";
    case WatchEvent::Type::Deleted:
      return "DELETED";
    case WatchEvent::Type::Bookmark:
      return "BOOKMARK";
    case WatchEvent::Type::Error:
      return "ERROR";
  }
  return "?";
}

tl::expected<void, std::string> WatchStreamDecoder::feed(std::string_view bytes,
                                                         const EventHandler& onEvent) {
  buffer_.append(bytes);
  size_t start = 0;  // of the current line
  // Only bytes not scanned before are searched: a 10 MiB event in 16 KiB chunks stays linear.
  size_t newline = buffer_.find('\n', scanned_);
  while (newline != std::string::npos) {
    std::string_view line(buffer_.data() + start, newline - start);
    start = newline + 1;
    while (!line.empty() && blank(line.front())) line.remove_prefix(1);
    while (!line.empty() && blank(line.back())) line.remove_suffix(1);
    if (!line.empty()) {
      if (line.size() > maxEventBytes_)
        return tl::unexpected("watch event of " + std::to_string(line.size()) +
                              " bytes is over the cap of " + std::to_string(maxEventBytes_));
      WatchEvent event;
      if (auto ok = decodeLine(line, event); !ok) return ok;
      ++events_;
      if (!onEvent(std::move(event))) {
        buffer_.erase(0, start);
        scanned_ = 0;
        return {};
      }
    }
    newline = buffer_.find('\n', start);
  }
  buffer_.erase(0, start);
  scanned_ = buffer_.size();
  if (buffer_.size() > maxEventBytes_)
    return tl::unexpected("watch event of more than " + std::to_string(buffer_.size()) +
                          " bytes is over the cap of " + std::to_string(maxEventBytes_));
  return {};
}

tl::expected<void, std::string> WatchStreamDecoder::decodeLine(std::string_view line,
                                                               WatchEvent& event) const {
  nlohmann::json document;
  try {
    document = nlohmann::json::parse(line);
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range (4E400)
    return tl::unexpected("malformed watch event " + quote(line) + ": " + e.what());
  }
  if (!document.is_object())
    return tl::unexpected("malformed watch event " + quote(line) + ": not a JSON object");
  auto type = document.find("type");
  if (type == document.end() || !type->is_string())
    return tl::unexpected("malformed watch event " + quote(line) + ": no \"type\"");
  auto parsed = parseType(type->get_ref<const std::string&>());
  if (!parsed)
    return tl::unexpected("watch event of unknown type \"" + type->get<std::string>() + "\"");
  auto object = document.find("object");
  if (object == document.end() || !object->is_object())
    return tl::unexpected("malformed watch event " + quote(line) + ": no \"object\"");
  event.type = *parsed;
  event.object = std::move(*object);
  return {};
}

}  // namespace kpx::watch
