#include "watch/kube/api_status.h"

namespace kpx::watch {
namespace {

constexpr size_t kMaxMessageBytes = 300;

std::string printable(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, kMaxMessageBytes))
    out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
  if (text.size() > kMaxMessageBytes) out += "...";
  return out;
}

}  // namespace

ApiStatus statusFromJson(const nlohmann::json& object) {
  ApiStatus status;
  if (!object.is_object()) return status;
  if (auto it = object.find("code"); it != object.end() && it->is_number_integer())
    status.code = it->get<int64_t>();
  if (auto it = object.find("reason"); it != object.end() && it->is_string())
    status.reason = it->get<std::string>();
  if (auto it = object.find("message"); it != object.end() && it->is_string())
    status.message = it->get<std::string>();
  return status;
}

ApiStatus statusFromResponse(int64_t httpStatus, std::string_view body) {
  const auto json = nlohmann::json::parse(body, nullptr, false);
  ApiStatus status = statusFromJson(json);
  status.code = httpStatus;  // the HTTP status is authoritative for an HTTP answer
  if (status.message.empty()) status.message = printable(body);
  return status;
}

}  // namespace kpx::watch
