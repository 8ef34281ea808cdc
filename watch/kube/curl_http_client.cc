#include "watch/kube/curl_http_client.h"

#include <algorithm>
#include <array>
#include <climits>
#include <optional>

namespace kpx::watch {
namespace {

constexpr long kBufferBytes = 128 * 1024;
constexpr long kKeepAliveIdleSeconds = 30;
constexpr long kKeepAliveIntervalSeconds = 15;

}  // namespace

std::string_view toString(HttpResult::End end) {
  switch (end) {
    case HttpResult::End::Complete:
      return "complete";
    case HttpResult::End::Stopped:
      return "stopped";
    case HttpResult::End::Stalled:
      return "stalled";
    case HttpResult::End::Aborted:
      return "aborted";
    case HttpResult::End::Failed:
      return "failed";
  }
  return "?";
}

struct CurlHttpClient::Transfer {
  CURL* easy = nullptr;
  const ChunkHandler* onChunk = nullptr;  // null: collect the body (a GET)
  std::stop_token stop;
  size_t maxBody = 0;
  int64_t status = 0;
  std::string body;
  bool handlerStopped = false;
  bool overflow = false;
  const Clock* clock = nullptr;
  Clock::TimePoint lastActivity{};
  std::array<char, CURL_ERROR_SIZE> error{};

  void noteStatus() {
    if (status != 0) return;
    long code = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
    status = code;
  }

  static size_t onWrite(char* data, size_t size, size_t count, void* user) {
    auto& t = *static_cast<Transfer*>(user);
    const size_t bytes = size * count;
    t.lastActivity = t.clock->now();
    t.noteStatus();
    if (t.onChunk != nullptr && t.status >= 200 && t.status < 300) {
      if ((*t.onChunk)(std::string_view(data, bytes))) return bytes;
      t.handlerStopped = true;
      return 0;  // libcurl ends the transfer with CURLE_WRITE_ERROR
    }
    if (t.body.size() + bytes > t.maxBody) {
      t.overflow = true;
      return 0;
    }
    t.body.append(data, bytes);
    return bytes;
  }

  static size_t onHeader(char*, size_t size, size_t count, void* user) {
    auto& t = *static_cast<Transfer*>(user);
    t.lastActivity = t.clock->now();
    return size * count;
  }

  // Also stops a transfer from inside a long curl_multi_perform() (a large list page).
  static int onProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<Transfer*>(user)->stop.stop_requested() ? 1 : 0;
  }
};

CurlHttpClient::CurlHttpClient(std::shared_ptr<const RestConfig> config,
                               std::shared_ptr<TokenSource> tokens, HttpOptions options,
                               const Clock& clock)
    : config_(std::move(config)),
      tokens_(std::move(tokens)),
      options_(std::move(options)),
      clock_(clock),
      multi_(curl_multi_init()),
      easy_(curl_easy_init()) {}

HttpResult CurlHttpClient::get(const std::string& target, std::stop_token stop) {
  return perform(target, nullptr, std::move(stop));
}

HttpResult CurlHttpClient::stream(const std::string& target, const ChunkHandler& onChunk,
                                  std::stop_token stop) {
  return perform(target, &onChunk, std::move(stop));
}

std::optional<std::string> CurlHttpClient::configure(Transfer& t, const std::string& url,
                                                     curl_slist* headers, bool compressed) {
  CURL* easy = t.easy;
  std::optional<std::string> failure;
  auto set = [&](CURLoption option, auto value, const char* name) {
    if (failure) return;
    if (const CURLcode code = curl_easy_setopt(easy, option, value); code != CURLE_OK)
      failure = std::string("libcurl refused ") + name + ": " + curl_easy_strerror(code);
  };
  auto setBlob = [&](CURLoption option, const std::string& pem, const char* name) {
    curl_blob blob{.data = const_cast<char*>(pem.data()),  // copied by libcurl (CURL_BLOB_COPY)
                   .len = pem.size(),
                   .flags = CURL_BLOB_COPY};
    set(option, &blob, name);
  };
  set(CURLOPT_URL, url.c_str(), "the URL");
  set(CURLOPT_HTTPGET, 1L, "GET");
  set(CURLOPT_PROTOCOLS_STR, "http,https", "protocols");
  set(CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS), "HTTP/2");
  set(CURLOPT_NOSIGNAL, 1L, "NOSIGNAL");
  set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connectTimeout.count()),
      "connect timeout");
  set(CURLOPT_TCP_KEEPALIVE, 1L, "TCP keepalive");
  set(CURLOPT_TCP_KEEPIDLE, kKeepAliveIdleSeconds, "TCP keepalive");
  set(CURLOPT_TCP_KEEPINTVL, kKeepAliveIntervalSeconds, "TCP keepalive");
  set(CURLOPT_BUFFERSIZE, kBufferBytes, "buffer size");
  set(CURLOPT_USERAGENT, options_.userAgent.c_str(), "user agent");
  set(CURLOPT_HTTPHEADER, headers, "headers");
  set(CURLOPT_ERRORBUFFER, t.error.data(), "error buffer");
  set(CURLOPT_WRITEFUNCTION, &Transfer::onWrite, "write callback");
  set(CURLOPT_WRITEDATA, &t, "write callback");
  set(CURLOPT_HEADERFUNCTION, &Transfer::onHeader, "header callback");
  set(CURLOPT_HEADERDATA, &t, "header callback");
  set(CURLOPT_XFERINFOFUNCTION, &Transfer::onProgress, "progress callback");
  set(CURLOPT_XFERINFODATA, &t, "progress callback");
  set(CURLOPT_NOPROGRESS, 0L, "progress callback");
  // Lists compress well (the API server gzips large responses); a watch is left alone so each
  // event arrives as soon as it is written.
  if (compressed) set(CURLOPT_ACCEPT_ENCODING, "", "compression");

  const RestConfig& c = *config_;
  if (!c.certificateAuthority.empty()) {
    // The configured CA only, as client-go: not the system's store as well.
    set(CURLOPT_CAPATH, static_cast<const char*>(nullptr), "CA path");
    if (!c.certificateAuthority.file.empty())
      set(CURLOPT_CAINFO, c.certificateAuthority.file.c_str(), "the CA file");
    else
      setBlob(CURLOPT_CAINFO_BLOB, c.certificateAuthority.data, "the CA data");
  }
  if (c.insecureSkipTlsVerify) {
    set(CURLOPT_SSL_VERIFYPEER, 0L, "insecure-skip-tls-verify");
    set(CURLOPT_SSL_VERIFYHOST, 0L, "insecure-skip-tls-verify");
  }
  if (!c.clientCertificate.empty()) {
    set(CURLOPT_SSLCERTTYPE, "PEM", "the client certificate type");
    if (!c.clientCertificate.file.empty())
      set(CURLOPT_SSLCERT, c.clientCertificate.file.c_str(), "the client certificate");
    else
      setBlob(CURLOPT_SSLCERT_BLOB, c.clientCertificate.data, "the client certificate data");
    set(CURLOPT_SSLKEYTYPE, "PEM", "the client key type");
    if (!c.clientKey.file.empty())
      set(CURLOPT_SSLKEY, c.clientKey.file.c_str(), "the client key");
    else
      setBlob(CURLOPT_SSLKEY_BLOB, c.clientKey.data, "the client key data");
  }
  if (!c.username.empty()) {
    set(CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC), "basic auth");
    set(CURLOPT_USERNAME, c.username.c_str(), "the user name");
    set(CURLOPT_PASSWORD, c.password.c_str(), "the password");
  }
  return failure;
}

HttpResult CurlHttpClient::perform(const std::string& target, const ChunkHandler* onChunk,
                                   std::stop_token stop) {
  HttpResult result;
  if (!multi_ || !easy_) {
    result.error = "libcurl could not be initialised";
    return result;
  }
  if (stop.stop_requested()) {
    result.end = HttpResult::End::Stopped;
    return result;
  }
  curl_easy_reset(easy_.get());
  Transfer t;
  t.easy = easy_.get();
  t.onChunk = onChunk;
  t.stop = stop;
  t.clock = &clock_;
  t.lastActivity = clock_.now();
  t.maxBody = onChunk != nullptr ? size_t{1} << 20 : options_.maxBodyBytes;

  CurlSlistPtr headers(curl_slist_append(nullptr, "Accept: application/json"));
  if (const std::string token = tokens_ ? tokens_->token() : std::string(); !token.empty())
    headers.reset(curl_slist_append(headers.release(), ("Authorization: Bearer " + token).c_str()));
  if (!headers) {
    result.error = "out of memory building the request headers";
    return result;
  }
  const std::string url = config_->server + target;
  if (auto failure = configure(t, url, headers.get(), onChunk == nullptr)) {
    result.error = *failure;
    return result;
  }

  CURLM* multi = multi_.get();
  CurlMultiAttachment attachment(multi, t.easy);
  if (attachment.code() != CURLM_OK) {
    result.error = std::string("curl_multi_add_handle: ") + curl_multi_strerror(attachment.code());
    return result;
  }
  // curl_multi_wakeup() is the one libcurl call that is safe from another thread.
  std::stop_callback wake(stop, [multi] { curl_multi_wakeup(multi); });
  int running = 1;
  while (running != 0) {
    if (const CURLMcode code = curl_multi_perform(multi, &running); code != CURLM_OK) {
      result.error = std::string("curl_multi_perform: ") + curl_multi_strerror(code);
      return result;
    }
    if (running == 0) break;
    if (stop.stop_requested()) {
      result.end = HttpResult::End::Stopped;
      return result;
    }
    const auto idle = clock_.now() - t.lastActivity;
    if (idle >= options_.stallTimeout) {
      t.noteStatus();
      result.end = HttpResult::End::Stalled;
      result.status = t.status;
      result.error = "no data from " + config_->server + " for " +
                     std::to_string(options_.stallTimeout.count()) + " ms";
      return result;
    }
    // Until the stall deadline (real time, as much as the clock says is left): data, a stop
    // (curl_multi_wakeup) and libcurl's own timers all cut the wait short, so nothing else
    // needs a periodic look.
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(options_.stallTimeout - idle);
    const int wait = static_cast<int>(std::clamp<int64_t>(left.count(), 1, INT_MAX));
    if (const CURLMcode code = curl_multi_poll(multi, nullptr, 0, wait, nullptr);
        code != CURLM_OK) {
      result.error = std::string("curl_multi_poll: ") + curl_multi_strerror(code);
      return result;
    }
  }
  return finish(t, stop);
}

HttpResult CurlHttpClient::finish(Transfer& t, std::stop_token stop) {
  HttpResult result;
  CURLcode code = CURLE_OK;
  int left = 0;
  while (CURLMsg* message = curl_multi_info_read(multi_.get(), &left))
    if (message->msg == CURLMSG_DONE && message->easy_handle == t.easy) code = message->data.result;
  t.noteStatus();
  result.status = t.status;
  result.body = std::move(t.body);
  if (t.status == 401 && tokens_) tokens_->invalidate();
  if (t.handlerStopped) {
    result.end = HttpResult::End::Aborted;
  } else if (code == CURLE_ABORTED_BY_CALLBACK && stop.stop_requested()) {
    result.end = HttpResult::End::Stopped;
  } else if (t.overflow) {
    result.end = HttpResult::End::Failed;
    result.error =
        "response from " + config_->server + " larger than " + std::to_string(t.maxBody) + " bytes";
  } else if (code == CURLE_OK) {
    result.end = HttpResult::End::Complete;
  } else {
    result.end = HttpResult::End::Failed;
    result.error = curl_easy_strerror(code);
    if (t.error[0] != '\0') result.error += std::string(": ") + t.error.data();
  }
  return result;
}

}  // namespace kpx::watch
