#include "dataplane/nftables/local_addresses.h"

#include <ifaddrs.h>
#include <netinet/in.h>

#include <memory>

#include "proxy/log.h"

namespace kpx::nftables {

std::vector<IPAddr> nodePortAddresses(const NodePortAddresses& scope) {
  std::vector<IPAddr> out;
  if (scope.allLocal) return out;
  ifaddrs* raw = nullptr;
  if (getifaddrs(&raw) != 0) {
    log::error("reading local addresses for nodePortAddresses failed: NodePorts get no address");
    return out;
  }
  std::unique_ptr<ifaddrs, decltype(&freeifaddrs)> list(raw, &freeifaddrs);
  for (const ifaddrs* a = list.get(); a; a = a->ifa_next) {
    if (!a->ifa_addr) continue;
    std::optional<IPAddr> ip;
    if (a->ifa_addr->sa_family == AF_INET) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
      ip = IPAddr::fromBytes(IPFamily::V4, reinterpret_cast<const uint8_t*>(&sin->sin_addr));
    } else if (a->ifa_addr->sa_family == AF_INET6) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
      ip = IPAddr::fromBytes(IPFamily::V6, sin6->sin6_addr.s6_addr);
    }
    if (!ip) continue;
    for (const auto& cidr : scope.cidrs)
      if (cidr.contains(*ip)) {
        out.push_back(*ip);
        break;
      }
  }
  return out;
}

}  // namespace kpx::nftables
