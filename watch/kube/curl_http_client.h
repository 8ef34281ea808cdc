// HttpClient over libcurl (OpenSSL; HTTP/2 where the server offers it through ALPN, else
// HTTP/1.1). One instance per informer thread: it owns a multi handle, so the connection is
// reused across list pages and watches, and curl_multi_wakeup() makes a stop immediate even
// while a watch is idle.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "proxy/clock.h"
#include "watch/kube/curl_handle.h"
#include "watch/kube/http_client.h"
#include "watch/kube/rest_config.h"
#include "watch/kube/token_source.h"

namespace kpx::watch {

struct HttpOptions {
  // No byte at all (not even a bookmark) for this long, on the client's clock: the connection is
  // dead; drop it. The API server sends a bookmark about every minute on an otherwise quiet watch.
  std::chrono::milliseconds stallTimeout{std::chrono::minutes(3)};
  std::chrono::milliseconds connectTimeout{std::chrono::seconds(10)};
  std::string userAgent = "kpx";
  // A list page larger than this is refused (a broken server, not a real cluster).
  size_t maxBodyBytes = size_t{512} << 20;
};

class CurlHttpClient final : public HttpClient {
 public:
  // `tokens` is shared by the clients of one config: a rotated token is read once. `clock`
  // times the stall detector.
  CurlHttpClient(std::shared_ptr<const RestConfig> config, std::shared_ptr<TokenSource> tokens,
                 HttpOptions options, const Clock& clock = systemClock());

  HttpResult get(const std::string& target, std::stop_token stop) override;
  HttpResult stream(const std::string& target, const ChunkHandler& onChunk,
                    std::stop_token stop) override;
  const std::string& server() const override { return config_->server; }

 private:
  struct Transfer;
  HttpResult perform(const std::string& target, const ChunkHandler* onChunk, std::stop_token stop);
  // The first option libcurl refused, or nullopt.
  std::optional<std::string> configure(Transfer& transfer, const std::string& url,
                                       curl_slist* headers, bool compressed);
  HttpResult finish(Transfer& transfer, std::stop_token stop);

  std::shared_ptr<const RestConfig> config_;
  std::shared_ptr<TokenSource> tokens_;
  HttpOptions options_;
  const Clock& clock_;
  CurlMultiPtr multi_;
  // Reused (curl_easy_reset) for every request: it keeps the TLS session and DNS caches.
  CurlEasyPtr easy_;
};

}  // namespace kpx::watch
