#include "proxy/serve/http_listener.h"

#include <arpa/inet.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "proxy/log.h"

namespace kpx::serve {
namespace {

// Probes and scrapes are small: cap what a client can make us buffer, and drop idle ones.
constexpr ev_ssize_t kMaxHeadersSize = 8192;
constexpr ev_ssize_t kMaxBodySize = 4096;
constexpr int kTimeoutSeconds = 30;

std::string errnoText(const std::string& what, const BindAddress& address) {
  return what + " " + address.str() + ": " + std::strerror(errno);
}

const char* methodName(evhttp_cmd_type type) {
  switch (type) {
    case EVHTTP_REQ_GET:
      return "GET";
    case EVHTTP_REQ_HEAD:
      return "HEAD";
    case EVHTTP_REQ_POST:
      return "POST";
    case EVHTTP_REQ_PUT:
      return "PUT";
    case EVHTTP_REQ_DELETE:
      return "DELETE";
    case EVHTTP_REQ_OPTIONS:
      return "OPTIONS";
    default:
      return "OTHER";
  }
}

const char* reasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 503:
      return "Service Unavailable";
    default:
      return "";
  }
}

}  // namespace

tl::expected<UniqueFd, std::string> listenTcp(const BindAddress& address) {
  const bool v6 = address.isV6();
  UniqueFd fd(::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return tl::unexpected(errnoText("socket for", address));
  const int one = 1;
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) {
    return tl::unexpected(errnoText("SO_REUSEADDR on", address));
  }
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (v6) {
    const int zero = 0;  // dual stack for "::", as Go; harmless for a specific address
    if (::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero) != 0) {
      return tl::unexpected(errnoText("IPV6_V6ONLY on", address));
    }
    auto* sa = reinterpret_cast<sockaddr_in6*>(&storage);
    sa->sin6_family = AF_INET6;
    sa->sin6_port = htons(address.port);
    if (inet_pton(AF_INET6, address.host.c_str(), &sa->sin6_addr) != 1) {
      return tl::unexpected("invalid IPv6 address " + address.host);
    }
    length = sizeof(sockaddr_in6);
  } else {
    auto* sa = reinterpret_cast<sockaddr_in*>(&storage);
    sa->sin_family = AF_INET;
    sa->sin_port = htons(address.port);
    if (inet_pton(AF_INET, address.host.c_str(), &sa->sin_addr) != 1) {
      return tl::unexpected("invalid IPv4 address " + address.host);
    }
    length = sizeof(sockaddr_in);
  }
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&storage), length) != 0) {
    return tl::unexpected(errnoText("bind", address));
  }
  if (::listen(fd.get(), SOMAXCONN) != 0) return tl::unexpected(errnoText("listen on", address));
  return fd;
}

HttpListener::HttpListener(Key, BindAddress address, HttpHandler handler)
    : address_(std::move(address)), handler_(std::move(handler)) {}

tl::expected<std::unique_ptr<HttpListener>, std::string> HttpListener::open(
    event_base* base, const BindAddress& address, HttpHandler handler) {
  auto fd = listenTcp(address);
  if (!fd) return tl::unexpected(fd.error());

  sockaddr_storage local{};
  socklen_t length = sizeof local;
  if (::getsockname(fd->get(), reinterpret_cast<sockaddr*>(&local), &length) != 0) {
    return tl::unexpected(errnoText("getsockname of", address));
  }
  auto listener = std::make_unique<HttpListener>(Key{}, address, std::move(handler));
  listener->port_ =
      ntohs(local.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&local)->sin6_port
                                        : reinterpret_cast<sockaddr_in*>(&local)->sin_port);
  listener->http_.reset(evhttp_new(base));
  if (!listener->http_) return tl::unexpected<std::string>("evhttp_new failed");
  evhttp* http = listener->http_.get();
  evhttp_set_max_headers_size(http, kMaxHeadersSize);
  evhttp_set_max_body_size(http, kMaxBodySize);
  evhttp_set_timeout(http, kTimeoutSeconds);
  evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
                                       EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
                                       EVHTTP_REQ_PATCH);
  evhttp_set_gencb(http, &HttpListener::onRequest, listener.get());
  // On success evhttp owns the socket (closed by evhttp_free); on failure it is still ours.
  if (evhttp_accept_socket_with_handle(http, fd->get()) == nullptr) {
    return tl::unexpected("cannot serve " + address.str());
  }
  fd->release();
  return listener;
}

void HttpListener::onRequest(evhttp_request* request, void* self) {
  auto* listener = static_cast<HttpListener*>(self);
  const evhttp_uri* uri = evhttp_request_get_evhttp_uri(request);
  const char* path = uri ? evhttp_uri_get_path(uri) : nullptr;
  const HttpRequest parsed{.method = methodName(evhttp_request_get_command(request)),
                           .path = path && *path ? path : "/"};
  health::HttpResponse response = listener->handler_(parsed);

  evkeyvalq* headers = evhttp_request_get_output_headers(request);
  for (const auto& [name, value] : response.headers) {
    evhttp_add_header(headers, name.c_str(), value.c_str());
  }
  EvbufferPtr body(evbuffer_new());
  if (!body) {
    log::error("http: out of memory answering a request on " + listener->address_.str());
    evhttp_send_error(request, 500, nullptr);
    return;
  }
  evbuffer_add(body.get(), response.body.data(), response.body.size());
  // evhttp takes the bytes; the (then empty) buffer stays ours.
  evhttp_send_reply(request, response.status, reasonPhrase(response.status), body.get());
}

}  // namespace kpx::serve
