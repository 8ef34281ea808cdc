// CurlHttpClient against loopback sockets this test owns: the request it sends, a chunked
// stream delivered as it arrives, a non-2xx body, and the two ways out of a silent watch (stop
// and the stall detector). TLS is covered by the tests against the fake API server.
#include "watch/kube/curl_http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "watch/kube/kube_source.h"

namespace kpx::watch {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// A listening socket on 127.0.0.1. With `response` empty it never accepts: connections sit in
// the backlog and requests are never answered. Otherwise each connection gets `response`
// written after its request headers, in pieces of `pieceBytes`, then is closed.
class LoopbackServer {
 public:
  explicit LoopbackServer(std::string response = {}, size_t pieceBytes = 0)
      : response_(std::move(response)), pieceBytes_(pieceBytes) {
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
    if (!response_.empty()) thread_ = std::thread([this] { serveOne(); });
  }
  ~LoopbackServer() {
    if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
  }
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  bool ok() const { return fd_ >= 0; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string request() {
    if (thread_.joinable()) thread_.join();
    return request_;
  }

 private:
  void serveOne() {
    const int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) return;
    char buffer[4096];
    while (request_.find("\r\n\r\n") == std::string::npos) {
      const ssize_t n = ::read(client, buffer, sizeof buffer);
      if (n <= 0) break;
      request_.append(buffer, static_cast<size_t>(n));
    }
    const size_t piece = pieceBytes_ == 0 ? response_.size() : pieceBytes_;
    for (size_t at = 0; at < response_.size(); at += piece) {
      const std::string part = response_.substr(at, piece);
      if (::write(client, part.data(), part.size()) < 0) break;
      std::this_thread::sleep_for(milliseconds(5));  // separate TCP segments, separate reads
    }
    ::close(client);
  }

  int fd_ = -1;
  uint16_t port_ = 0;
  std::string response_;
  size_t pieceBytes_;
  std::string request_;
  std::thread thread_;
};

std::unique_ptr<CurlHttpClient> client(const std::string& server, milliseconds stall,
                                       std::string token = "") {
  auto config = std::make_shared<RestConfig>();
  config->server = server;
  auto tokens = std::make_shared<TokenSource>(std::move(token), "");
  HttpOptions options;
  options.stallTimeout = stall;
  return std::make_unique<CurlHttpClient>(config, tokens, options);
}

std::string chunked(const std::vector<std::string>& chunks) {
  std::string out =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
  char size[32];
  for (const std::string& c : chunks) {
    std::snprintf(size, sizeof size, "%zx\r\n", c.size());
    out += size + c + "\r\n";
  }
  return out + "0\r\n\r\n";
}

TEST(CurlHttpClient, StreamsChunksAndSendsTheRequestKubernetesExpects) {
  const std::string a = R"({"type":"ADDED","object":{"metadata":{"name":"a"}}})"
                        "\n";
  const std::string b = R"({"type":"DELETED","object":{"metadata":{"name":"a"}}})"
                        "\n";
  LoopbackServer server(chunked({a.substr(0, 10), a.substr(10) + b.substr(0, 5), b.substr(5)}), 7);
  ASSERT_TRUE(server.ok());
  auto http = client(server.url() + "/prefix", std::chrono::seconds(5), "tok123");
  std::string received;
  size_t calls = 0;
  const HttpResult result = http->stream(
      "/api/v1/services?watch=true",
      [&](std::string_view bytes) {
        received += bytes;
        ++calls;
        return true;
      },
      std::stop_token());
  EXPECT_EQ(result.end, HttpResult::End::Complete) << result.error;
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(received, a + b);
  EXPECT_GT(calls, 1u);  // delivered as it arrived, not buffered to the end
  const std::string request = server.request();
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
  LoopbackServer server(chunked({"aaaa\n", "bbbb\n"}), 0);
  ASSERT_TRUE(server.ok());
  const HttpResult result = client(server.url(), std::chrono::seconds(5))
                                ->stream("/w", [](std::string_view) { return false; }, {});
  EXPECT_EQ(result.end, HttpResult::End::Aborted);
}

TEST(CurlHttpClient, StopInterruptsASilentWatchAtOnce) {
  LoopbackServer server;  // never answers
  ASSERT_TRUE(server.ok());
  auto http = client(server.url(), std::chrono::minutes(3));
  std::stop_source stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(milliseconds(300));
    stop.request_stop();
  });
  const auto started = steady_clock::now();
  const HttpResult result = http->stream(
      "/w", [](std::string_view) { return true; }, stop.get_token());
  const auto took = steady_clock::now() - started;
  stopper.join();
  EXPECT_EQ(result.end, HttpResult::End::Stopped);
  EXPECT_LT(took, milliseconds(300 + 500));
}

TEST(CurlHttpClient, StallDetectorDropsASilentConnection) {
  LoopbackServer server;
  ASSERT_TRUE(server.ok());
  const auto started = steady_clock::now();
  const HttpResult result = client(server.url(), milliseconds(400))
                                ->stream("/w", [](std::string_view) { return true; }, {});
  const auto took = steady_clock::now() - started;
  EXPECT_EQ(result.end, HttpResult::End::Stalled);
  EXPECT_NE(result.error.find("no data"), std::string::npos) << result.error;
  EXPECT_GE(took, milliseconds(400));
  EXPECT_LT(took, milliseconds(1500));
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

TEST(CurlHttpClient, KubeSourceOverCurlStopsPromptly) {
  LoopbackServer server;  // lists never answered: every informer is blocked in a request
  ASSERT_TRUE(server.ok());
  RestConfig config;
  config.server = server.url();
  KubeSource source(config, KubeSourceOptions{.nodeName = "n1", .informer = {}, .http = {}});
  struct NullSink final : EventSink {
    void upsert(Object) override {}
    void remove(ObjectKind, const std::string&) override {}
    void invalid(const ObjectError&) override {}
    void synced() override {}
  } sink;
  std::stop_source stop;
  std::thread runner([&] { source.run(sink, stop.get_token()); });
  std::this_thread::sleep_for(milliseconds(300));
  const auto stopped = steady_clock::now();
  stop.request_stop();
  runner.join();
  EXPECT_LT(steady_clock::now() - stopped, milliseconds(1000));
}

}  // namespace
}  // namespace kpx::watch
