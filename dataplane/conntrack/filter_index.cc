#include "dataplane/conntrack/filter_index.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

namespace kpx::conntrack {

uint32_t FilterIndex::portKey(IPFamily family, uint8_t protocol, uint16_t port) {
  return (static_cast<uint32_t>(family) << 24) | (static_cast<uint32_t>(protocol) << 16) | port;
}

// Bit 25 keeps filters without a port apart from those on port 0.
uint32_t FilterIndex::anyPortKey(IPFamily family, uint8_t protocol) {
  return (1u << 25) | portKey(family, protocol, 0);
}

FilterIndex::FilterIndex(const std::vector<ConntrackFilter>& filters) {
  // The destinations each (family, protocol) needs; nullopt stands for "any".
  using Destination = std::pair<std::optional<uint16_t>, std::optional<IPAddr>>;
  std::map<std::pair<IPFamily, uint8_t>, std::set<Destination>> needed;
  for (const ConntrackFilter& f : filters) {
    const uint8_t protocol = ipProtoNumber(f.protocol);
    const uint32_t key = f.origDstPort ? portKey(f.family, protocol, *f.origDstPort)
                                       : anyPortKey(f.family, protocol);
    byKey_[key].push_back(f);
    needed[{f.family, protocol}].insert({f.origDstPort, f.origDst});
  }
  for (const auto& [familyProtocol, destinations] : needed) {
    const auto& [family, protocol] = familyProtocol;
    Dump dump{
        .family = family, .protocol = protocol, .port = std::nullopt, .address = std::nullopt};
    const auto& [port, address] = *destinations.begin();
    auto samePort = [&](const Destination& d) { return d.first == port; };
    if (port && std::all_of(destinations.begin(), destinations.end(), samePort)) {
      dump.port = port;
      if (family == IPFamily::V4 && address && destinations.size() == 1) dump.address = address;
    }
    dumps_.push_back(dump);
  }
}

std::vector<FilterIndex::Dump> FilterIndex::dumpsWithUdp(
    const std::vector<IPFamily>& families) const {
  std::vector<Dump> out = dumps_;
  const uint8_t udp = ipProtoNumber(Protocol::UDP);
  for (const IPFamily family : families) {
    auto same = [&](const Dump& d) { return d.family == family && d.protocol == udp; };
    if (auto it = std::find_if(out.begin(), out.end(), same); it != out.end()) {
      it->port.reset();
      it->address.reset();
    } else {
      out.push_back(
          {.family = family, .protocol = udp, .port = std::nullopt, .address = std::nullopt});
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool FilterIndex::matches(const ConntrackFlow& flow) const {
  for (const uint32_t key : {portKey(flow.family, flow.protocol, flow.origDstPort),
                             anyPortKey(flow.family, flow.protocol)}) {
    const auto it = byKey_.find(key);
    if (it == byKey_.end()) continue;
    for (const ConntrackFilter& f : it->second) {
      if (f.matches(flow)) return true;
    }
  }
  return false;
}

}  // namespace kpx::conntrack
