#include "dataplane/node/local_addresses.h"

#include <ifaddrs.h>
#include <netinet/in.h>

#include <cerrno>
#include <memory>

namespace kpx::node {

tl::expected<std::vector<IPAddr>, DataplaneError> localAddresses() {
  ifaddrs* raw = nullptr;
  if (getifaddrs(&raw) != 0)
    return tl::unexpected(DataplaneError{.errnum = errno,
                                         .operation = "read the node's addresses (getifaddrs)",
                                         .object = "",
                                         .detail = "",
                                         .outcomeUnknown = false,
                                         .unsupported = false});
  std::unique_ptr<ifaddrs, decltype(&freeifaddrs)> list(raw, &freeifaddrs);
  std::vector<IPAddr> out;
  for (const ifaddrs* a = list.get(); a; a = a->ifa_next) {
    if (!a->ifa_addr) continue;
    if (a->ifa_addr->sa_family == AF_INET) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
      out.push_back(IPAddr::fromBytes(IPFamily::V4, reinterpret_cast<const uint8_t*>(&sin->sin_addr)));
    } else if (a->ifa_addr->sa_family == AF_INET6) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
      out.push_back(IPAddr::fromBytes(IPFamily::V6, sin6->sin6_addr.s6_addr));
    }
  }
  return out;
}

}  // namespace kpx::node
