// The transport of the informers: GET for lists, a streaming GET for watches. An interface so
// the informer's protocol logic (paging, 410, relists, backoff) is unit-tested with a scripted
// fake, and the libcurl implementation (curl_http_client.h) against a real server.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>

namespace kpx::watch {

struct HttpResult {
  enum class End : uint8_t {
    Complete,  // the whole response was received (for a watch: the server closed it cleanly)
    Stopped,   // the stop_token was requested
    Stalled,   // no byte for the stall timeout: the connection is presumed dead
    Aborted,   // the chunk handler asked to stop
    Failed,    // connection, TLS or protocol error (error says which), or a cut stream
  };
  End end = End::Failed;
  int64_t status = 0;  // the HTTP status; 0 when no response came
  std::string body;    // a GET's body; for a stream, the body of a non-2xx answer only
  std::string error;   // what went wrong, for Failed

  bool success() const { return end == End::Complete && status >= 200 && status < 300; }
};

std::string_view toString(HttpResult::End end);

// Called with each piece of a 2xx stream's body as it arrives; false aborts the transfer.
using ChunkHandler = std::function<bool(std::string_view)>;

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // `target` is an API path with its query ("/api/v1/services?limit=500"), relative to the
  // server (which may carry a path prefix). Both calls return promptly once `stop` is requested.
  virtual HttpResult get(const std::string& target, std::stop_token stop) = 0;
  virtual HttpResult stream(const std::string& target, const ChunkHandler& onChunk,
                            std::stop_token stop) = 0;
  // The server URL, for messages.
  virtual const std::string& server() const = 0;
};

using HttpClientPtr = std::unique_ptr<HttpClient>;

}  // namespace kpx::watch
