#include "proxy/serve/bind_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>

namespace kpx::serve {
namespace {

bool isIPv4(const std::string& s) {
  in_addr a{};
  return inet_pton(AF_INET, s.c_str(), &a) == 1;
}

bool isIPv6(const std::string& s) {
  in6_addr a{};
  return inet_pton(AF_INET6, s.c_str(), &a) == 1;
}

tl::expected<uint16_t, std::string> parsePort(std::string_view text, std::string_view whole) {
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || value > 65535) {
    return tl::unexpected("invalid port in bind address \"" + std::string(whole) + "\"");
  }
  return static_cast<uint16_t>(value);
}

}  // namespace

tl::expected<BindAddress, std::string> parseBindAddress(std::string_view text,
                                                        uint16_t defaultPort) {
  const std::string whole(text);
  auto bad = [&] {
    return tl::unexpected("invalid bind address \"" + whole +
                          "\" (want IP:port, [IPv6]:port or IP)");
  };
  if (text.empty()) return bad();
  BindAddress out{.host = {}, .port = defaultPort};
  if (text.starts_with('[')) {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return bad();
    out.host = std::string(text.substr(1, close - 1));
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (!rest.starts_with(':')) return bad();
      auto port = parsePort(rest.substr(1), text);
      if (!port) return tl::unexpected(port.error());
      out.port = *port;
    }
    if (!isIPv6(out.host)) return bad();
    return out;
  }
  const std::string s(text);
  if (isIPv6(s)) {  // a bare IPv6 address: its colons are not a port separator
    out.host = s;
    return out;
  }
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    out.host = s;
  } else {
    out.host = std::string(text.substr(0, colon));
    auto port = parsePort(text.substr(colon + 1), text);
    if (!port) return tl::unexpected(port.error());
    out.port = *port;
  }
  // ":10256": the IPv4 wildcard (write "[::]:10256" for both families).
  if (out.host.empty()) out.host = "0.0.0.0";
  if (!isIPv4(out.host)) return bad();
  return out;
}

}  // namespace kpx::serve
