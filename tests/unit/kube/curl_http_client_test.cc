// CurlHttpClient against loopback sockets this test owns: the request it sends, a chunked
// stream delivered as it arrives, a non-2xx body, and the two ways out of a silent watch (stop
// and the stall detector, timed on a ManualClock). TLS is covered by the tests against the fake
// API server. Nothing sleeps and nothing asserts how long it took: each test waits for what
// it needs (a request received, a chunk handed over, the clock read) and fails after a generous
// timeout when it never comes.
#include "watch/kube/curl_http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "tests/unit/waiting.h"
#include "watch/kube/kube_source.h"

namespace kpx::watch {
namespace {

using kpx::test::awaitOrAbort;
using kpx::test::kFailAfter;
using std::chrono::milliseconds;

// What a LoopbackServer writes back on each connection.
struct Answer {
  // The reply to the connection's i-th request, in parts written one after the other. Requests
  // beyond these are read but never answered.
  std::vector<std::vector<std::string>> replies;
  // Runs once part i of a reply is written (a test holds the next part back until the client
  // has handed this one over).
  std::function<void(size_t)> afterPart;
  // The connection is closed after the last reply; false: it stays open.
  bool close = true;
};

// A listening socket on 127.0.0.1 that reads the requests of every connection it accepts and
// counts them. Requests it does not answer (every one, without an Answer) are left waiting, as a
// silent watch: a test can wait until n requests have arrived, their clients then waiting too.
class LoopbackServer {
 public:
  explicit LoopbackServer(Answer answer = {}) : answer_(std::move(answer)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(fd_, 8) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ::close(fd_);
      fd_ = -1;
      return;
    }
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { acceptAll(); });
  }
  // Answers the first request of each connection with `response`, then closes it.
  explicit LoopbackServer(std::string response)
      : LoopbackServer(Answer{.replies = {{std::move(response)}}, .afterPart = {}, .close = true}) {
  }
  ~LoopbackServer() {
    {
      std::lock_guard lock(mutex_);
      closing_ = true;
      for (int client : clients_) ::shutdown(client, SHUT_RDWR);
    }
    if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);  // ends accept()
    if (acceptor_.joinable()) acceptor_.join();
    for (std::thread& connection : connections_) connection.join();
    for (int client : clients_) ::close(client);
    if (fd_ >= 0) ::close(fd_);
  }
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  bool ok() const { return fd_ >= 0; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // The first request received (recorded before it is answered).
  std::string request() {
    std::lock_guard lock(mutex_);
    return request_;
  }
  // False when fewer than `n` requests arrived within the failure timeout.
  bool waitForRequests(size_t n) {
    std::unique_lock lock(mutex_);
    return arrived_.wait_for(lock, kFailAfter, [&] { return requests_ >= n; });
  }

 private:
  void acceptAll() {
    while (true) {
      const int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) return;
      std::lock_guard lock(mutex_);
      if (closing_) {
        ::close(client);
        return;
      }
      clients_.push_back(client);
      connections_.emplace_back([this, client] { serve(client); });
    }
  }
  // One request's headers from `buffer` and the socket; false at the end of the connection.
  bool readRequest(int client, std::string& buffer) {
    char bytes[4096];
    size_t end;
    while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
      const ssize_t n = ::read(client, bytes, sizeof bytes);
      if (n <= 0) return false;
      buffer.append(bytes, static_cast<size_t>(n));
    }
    std::lock_guard lock(mutex_);
    if (requests_++ == 0) request_ = buffer.substr(0, end + 4);
    buffer.erase(0, end + 4);
    arrived_.notify_all();
    return true;
  }
  void serve(int client) {
    std::string buffer;
    for (size_t request = 0; readRequest(client, buffer); ++request) {
      if (request >= answer_.replies.size()) continue;
      const std::vector<std::string>& parts = answer_.replies[request];
      for (size_t i = 0; i < parts.size(); ++i) {
        if (::write(client, parts[i].data(), parts[i].size()) < 0) return;
        if (answer_.afterPart) answer_.afterPart(i);
      }
      if (answer_.close && request + 1 == answer_.replies.size()) {
        ::shutdown(client, SHUT_RDWR);
        return;
      }
    }
  }

  int fd_ = -1;
  uint16_t port_ = 0;
  const Answer answer_;
  std::mutex mutex_;
  std::condition_variable arrived_;
  bool closing_ = false;
  std::vector<int> clients_;              // closed by the destructor
  std::vector<std::thread> connections_;  // one per client
  size_t requests_ = 0;
  std::string request_;  // the first one
  std::thread acceptor_;
};

std::unique_ptr<CurlHttpClient> client(const std::string& server, milliseconds stall,
                                       std::string token = "", const Clock& clock = systemClock()) {
  auto config = std::make_shared<RestConfig>();
  config->server = server;
  auto tokens = std::make_shared<TokenSource>(std::move(token), "");
  HttpOptions options;
  options.stallTimeout = stall;
  // Connected long before it would matter: libcurl's connect timer must not end a silent wait.
  options.connectTimeout = std::chrono::hours(1);
  return std::make_unique<CurlHttpClient>(config, tokens, options, clock);
}

const std::string kChunkedHeaders =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";

// One chunk of a chunked body.
std::string chunk(const std::string& data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return size + data + "\r\n";
}

// A chunked 200 response in parts: the headers and the first chunk, then one chunk per part, the
// last one followed by the terminating chunk.
std::vector<std::string> chunkedParts(const std::vector<std::string>& chunks) {
  std::vector<std::string> parts;
  for (const std::string& c : chunks)
    parts.push_back((parts.empty() ? kChunkedHeaders : "") + chunk(c));
  parts.back() += "0\r\n\r\n";
  return parts;
}

std::string chunked(const std::vector<std::string>& chunks) {
  std::string out;
  for (const std::string& part : chunkedParts(chunks)) out += part;
  return out;
}

HttpResult::End endOf(std::future<HttpResult>& result) {
  return result.get().end;
}

TEST(CurlHttpClient, StreamsChunksAsTheyArriveAndSendsTheRequestKubernetesExpects) {
  const std::string a = R"({"type":"ADDED","object":{"metadata":{"name":"a"}}})"
                        "\n";
  const std::string b = R"({"type":"DELETED","object":{"metadata":{"name":"a"}}})"
                        "\n";
  const std::vector<std::string> chunks{a.substr(0, 10), a.substr(10) + b.substr(0, 5),
                                        b.substr(5)};
  // What the handler was given. The server writes a chunk only once the handler has been given
  // every earlier one: a client that buffered to the end would never get there.
  std::mutex mutex;
  std::condition_variable handed;
  std::string received;
  size_t calls = 0;
  const auto handedOver = [&](size_t part) {
    size_t through = 0;
    for (size_t i = 0; i <= part; ++i) through += chunks[i].size();
    std::unique_lock lock(mutex);
    EXPECT_TRUE(handed.wait_for(lock, kFailAfter, [&] { return received.size() >= through; }))
        << "chunk " << part << " was not handed over as it arrived";
  };
  LoopbackServer server(
      Answer{.replies = {chunkedParts(chunks)}, .afterPart = handedOver, .close = true});
  ASSERT_TRUE(server.ok());
  auto http = client(server.url() + "/prefix", std::chrono::seconds(5), "tok123");
  const HttpResult result = http->stream(
      "/api/v1/services?watch=true",
      [&](std::string_view bytes) {
        std::lock_guard lock(mutex);
        received += bytes;
        ++calls;
        handed.notify_all();
        return true;
      },
      std::stop_token());
  EXPECT_EQ(result.end, HttpResult::End::Complete) << result.error;
  EXPECT_EQ(result.status, 200);
  const std::string request = server.request();
  EXPECT_EQ(received, a + b);
  EXPECT_GE(calls, chunks.size());  // one call at least per chunk: delivered as it arrived
  EXPECT_EQ(request.rfind("GET /prefix/api/v1/services?watch=true HTTP/1.1\r\n", 0), 0u) << request;
  EXPECT_NE(request.find("Authorization: Bearer tok123\r\n"), std::string::npos) << request;
  EXPECT_NE(request.find("Accept: application/json\r\n"), std::string::npos) << request;
  EXPECT_NE(request.find("User-Agent: kpx"), std::string::npos) << request;
}

TEST(CurlHttpClient, GetReturnsTheBody) {
  LoopbackServer server("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n{\"items\":[]}");
  ASSERT_TRUE(server.ok());
  const HttpResult result = client(server.url(), std::chrono::seconds(5))->get("/api/v1/nodes", {});
  EXPECT_TRUE(result.success()) << result.error;
  EXPECT_EQ(result.body, "{\"items\":[]}");
  EXPECT_EQ(server.request().find("Authorization:"), std::string::npos);  // no token, no header
}

TEST(CurlHttpClient, ErrorStatusBodyIsKeptAndNotStreamed) {
  const std::string status = R"({"kind":"Status","code":410,"reason":"Expired"})";
  LoopbackServer server("HTTP/1.1 410 Gone\r\nContent-Length: " + std::to_string(status.size()) +
                        "\r\n\r\n" + status);
  ASSERT_TRUE(server.ok());
  bool handlerCalled = false;
  const HttpResult result =
      client(server.url(), std::chrono::seconds(5))
          ->stream(
              "/w", [&](std::string_view) { return handlerCalled = true; }, std::stop_token());
  EXPECT_EQ(result.end, HttpResult::End::Complete);
  EXPECT_EQ(result.status, 410);
  EXPECT_EQ(result.body, status);
  EXPECT_FALSE(handlerCalled);
}

TEST(CurlHttpClient, HandlerCanAbort) {
  LoopbackServer server(chunked({"aaaa\n", "bbbb\n"}));
  ASSERT_TRUE(server.ok());
  const HttpResult result = client(server.url(), std::chrono::seconds(5))
                                ->stream("/w", [](std::string_view) { return false; }, {});
  EXPECT_EQ(result.end, HttpResult::End::Aborted);
}

TEST(CurlHttpClient, StopInterruptsASilentWatch) {
  // A first request answered, then a watch on the same connection that gets its headers and one
  // event, then nothing. The connection made and reused, libcurl has no timer left, and the
  // stall deadline is 3 min away on a clock that never moves: once the client waits, only the
  // stop (curl_multi_wakeup) can end the wait.
  const std::string event = R"({"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"2"}}})"
                            "\n";
  LoopbackServer server(
      Answer{.replies = {{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"},
                         {kChunkedHeaders + chunk(event)}},  // no last chunk: the watch goes on
             .afterPart = {},
             .close = false});
  ASSERT_TRUE(server.ok());
  ManualClock clock;
  auto http = client(server.url(), std::chrono::minutes(3), "", clock);
  EXPECT_TRUE(http->get("/api/v1/services", {}).success());
  // The client reads the clock as the event arrives, hands it over, then reads it once more
  // right before it waits (no look at the stop in between).
  std::mutex mutex;
  std::condition_variable handed;
  std::optional<size_t> readsAtEvent;
  std::stop_source stop;
  auto result = std::async(std::launch::async, [&] {
    return http->stream(
        "/w",
        [&](std::string_view) {
          std::lock_guard lock(mutex);
          readsAtEvent = clock.reads();
          handed.notify_all();
          return true;
        },
        stop.get_token());
  });
  size_t reads = 0;
  {
    std::unique_lock lock(mutex);
    EXPECT_TRUE(handed.wait_for(lock, kFailAfter, [&] { return readsAtEvent.has_value(); }));
    reads = readsAtEvent.value_or(0);
  }
  EXPECT_TRUE(clock.waitForReads(reads + 1));  // the client now waits
  stop.request_stop();
  awaitOrAbort(result, "a silent watch after the stop");
  EXPECT_EQ(endOf(result), HttpResult::End::Stopped);
}

TEST(CurlHttpClient, StallDetectorDropsASilentConnectionAtTheTimeout) {
  LoopbackServer server;
  ASSERT_TRUE(server.ok());
  ManualClock clock;
  auto http = client(server.url(), milliseconds(200), "", clock);
  auto result = std::async(std::launch::async, [&] {
    return http->stream("/w", [](std::string_view) { return true; }, {});
  });
  EXPECT_TRUE(server.waitForRequests(1));
  // Just short of the timeout the client keeps waiting: it looks at the clock, waits, and looks
  // again (a client that gave up at the first look would never look again).
  clock.advance(milliseconds(199));
  const size_t reads = clock.reads();
  EXPECT_TRUE(clock.waitForReads(reads + 2));
  EXPECT_EQ(result.wait_for(std::chrono::seconds(0)), std::future_status::timeout)
      << "stalled before the timeout";
  // At the timeout it gives up.
  clock.advance(milliseconds(1));
  awaitOrAbort(result, "a stalled watch");
  const HttpResult stalled = result.get();
  EXPECT_EQ(stalled.end, HttpResult::End::Stalled);
  EXPECT_NE(stalled.error.find("no data"), std::string::npos) << stalled.error;
}

TEST(CurlHttpClient, ConnectionRefusedFails) {
  std::string url;
  {
    LoopbackServer closed;
    ASSERT_TRUE(closed.ok());
    url = closed.url();
  }  // the port is closed now
  const HttpResult result = client(url, std::chrono::seconds(5))->get("/api", {});
  EXPECT_EQ(result.end, HttpResult::End::Failed);
  EXPECT_FALSE(result.error.empty());
}

TEST(CurlHttpClient, KubeSourceOverCurlStopsWithWatchesInFlight) {
  // Every list is answered (empty), every watch then waits on the same connection, which nothing
  // but the stop can end (as above).
  const std::string emptyList = R"({"metadata":{"resourceVersion":"1"},"items":[]})";
  const std::string listReply =
      "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(emptyList.size()) + "\r\n\r\n" +
      emptyList;
  LoopbackServer server(Answer{.replies = {{listReply}}, .afterPart = {}, .close = false});
  ASSERT_TRUE(server.ok());
  RestConfig config;
  config.server = server.url();
  ManualClock clock;  // never moves: no stall ends the watches
  KubeSourceOptions options{.nodeName = "n1", .informer = {}, .http = {}};
  options.http.connectTimeout = std::chrono::hours(1);
  KubeSource source(config, options, clock);
  struct SyncedSink final : EventSink {
    void upsert(Object) override {}
    void remove(ObjectKind, const std::string&) override {}
    void invalid(const ObjectError&) override {}
    void synced() override { ++syncs; }
    int syncs = 0;  // the sink's calls are serialized; read after run() returned
  } sink;
  std::stop_source stop;
  auto returned = std::async(std::launch::async, [&] { source.run(sink, stop.get_token()); });
  EXPECT_TRUE(server.waitForRequests(6));  // three lists, then three watches
  stop.request_stop();
  awaitOrAbort(returned, "KubeSource::run with three watches in flight");
  EXPECT_EQ(sink.syncs, 1);
}

}  // namespace
}  // namespace kpx::watch
