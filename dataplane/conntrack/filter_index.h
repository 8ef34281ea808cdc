// The filters of one cleanup, indexed by destination port so that checking an entry costs a
// hash lookup and a few comparisons, not a scan of every filter: a cleanup after many
// endpoints went away can hold thousands of filters, and the table 100,000s of entries.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "proxy/conntrack_plan.h"

namespace kpx::conntrack {

class FilterIndex {
 public:
  explicit FilterIndex(const std::vector<ConntrackFilter>& filters);

  // Same answer as "some filter matches(flow)".
  bool matches(const ConntrackFlow& flow) const;

  // One kernel dump: the entries of a family and protocol; of one original destination port
  // when every filter of that family and protocol names the same port; and of one original
  // destination address when they all name the same IPv4 address too (see putDumpRequest()
  // for why never IPv6).
  struct Dump {
    IPFamily family = IPFamily::V4;
    uint8_t protocol = 0;
    std::optional<uint16_t> port;
    std::optional<IPAddr> address;
    auto operator<=>(const Dump&) const = default;
  };
  // The dumps that see every entry a filter can match, sorted. Each dump walks the whole table
  // in the kernel whatever it filters, so never more than one per (family, protocol): a filter
  // on the port only narrows what is sent to us.
  const std::vector<Dump>& dumps() const { return dumps_; }
  bool empty() const { return dumps_.empty(); }

  // dumps(), widened to every UDP entry of each of `families` (those a ConntrackReconcile
  // checks: its frontends are too many to name to the kernel), still one per (family,
  // protocol). Sorted.
  std::vector<Dump> dumpsWithUdp(const std::vector<IPFamily>& families) const;

 private:
  static uint32_t portKey(IPFamily family, uint8_t protocol, uint16_t port);
  static uint32_t anyPortKey(IPFamily family, uint8_t protocol);

  std::unordered_map<uint32_t, std::vector<ConntrackFilter>> byKey_;
  std::vector<Dump> dumps_;
};

}  // namespace kpx::conntrack
