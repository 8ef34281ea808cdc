// An HTTP answer decided by pure code; watch/http only sends it.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kpx::health {

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  const std::string* header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k == name) return &v;
    }
    return nullptr;
  }
};

}  // namespace kpx::health
