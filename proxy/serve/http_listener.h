// One evhttp bound to one listening socket, answering every request through one handler.
// Created and destroyed on the loop thread of its event_base; destroying it closes the socket
// and any connection it still has.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "proxy/health/http_response.h"
#include "proxy/serve/bind_address.h"
#include "proxy/serve/libevent_handles.h"

namespace kpx::serve {

struct HttpRequest {
  std::string_view method;  // "GET", "HEAD", ...
  std::string_view path;    // without the query string
};

using HttpHandler = std::function<health::HttpResponse(const HttpRequest&)>;

class HttpListener {
 public:
  // Binds `address` (SO_REUSEADDR; IPv6 sockets also take IPv4 when the address is "::", as
  // Go's listeners do) and serves it on `base`. Fails with the address and errno text.
  static tl::expected<std::unique_ptr<HttpListener>, std::string> open(event_base* base,
                                                                       const BindAddress& address,
                                                                       HttpHandler handler);
  class Key {
    friend class HttpListener;
    Key() = default;
  };
  HttpListener(Key, BindAddress address, HttpHandler handler);  // for make_unique in open()
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  // The port actually bound (the kernel's choice when asked for port 0).
  uint16_t port() const { return port_; }
  const BindAddress& address() const { return address_; }

 private:
  static void onRequest(evhttp_request* request, void* self);

  BindAddress address_;
  uint16_t port_ = 0;
  HttpHandler handler_;
  EvhttpPtr http_;  // last: freed first, before the handler it calls
};

// A listening TCP socket, non-blocking and close-on-exec (exposed for tests).
tl::expected<UniqueFd, std::string> listenTcp(const BindAddress& address);

}  // namespace kpx::serve
