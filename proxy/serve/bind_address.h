// A listen address as kube-proxy's flags spell it: "0.0.0.0:10256", "[::]:10256",
// "127.0.0.1:0" (any free port), or a bare IP that takes the default port.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

namespace kpx::serve {

struct BindAddress {
  std::string host;  // a literal IPv4 or IPv6 address, without brackets
  uint16_t port = 0;
  bool isV6() const { return host.find(':') != std::string::npos; }
  std::string str() const {
    return isV6() ? "[" + host + "]:" + std::to_string(port) : host + ":" + std::to_string(port);
  }
};

tl::expected<BindAddress, std::string> parseBindAddress(std::string_view text,
                                                        uint16_t defaultPort);

}  // namespace kpx::serve
