// A small libcurl client for the HTTP tests: one GET, the status, headers and body.
#pragma once

#include <map>
#include <string>

#include <tl/expected.hpp>

namespace kpx::testing {

struct HttpReply {
  long status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

// Fails with curl's message (e.g. connection refused) instead of an HTTP status.
tl::expected<HttpReply, std::string> httpGet(const std::string& url, long timeoutMs = 3000);

// A port that was free a moment ago on 127.0.0.1 (the kernel's pick for port 0).
uint16_t freeLoopbackPort();

}  // namespace kpx::testing
