// A metav1 Status: what the API server answers on errors (a non-2xx body, or the object of a
// watch ERROR event). kpx reads its code (410 = the resourceVersion is gone) and message.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace kpx::watch {

struct ApiStatus {
  int64_t code = 0;    // the HTTP status the error stands for; 0 when unknown
  std::string reason;  // "Expired", "Forbidden", "Gone", ...
  std::string message;

  bool expired() const { return code == 410 || reason == "Expired" || reason == "Gone"; }
};

// A Status object; fields missing or of the wrong type stay empty.
ApiStatus statusFromJson(const nlohmann::json& object);
// A non-2xx HTTP answer: the Status in its body if it holds one, else the status code and the
// start of the body as the message.
ApiStatus statusFromResponse(int64_t httpStatus, std::string_view body);

}  // namespace kpx::watch
