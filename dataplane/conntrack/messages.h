// ctnetlink messages: the dump request with its kernel-side filter, entries parsed into the
// ConntrackFlow the filters look at, and delete requests that name exactly one entry. Also the
// RAII owners of the C objects involved.
#pragma once

#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "proxy/conntrack_plan.h"

namespace kpx::conntrack {

namespace detail {
inline void closeSocket(mnl_socket* s) {
  mnl_socket_close(s);  // returns an int we have nothing to do with
}
template <auto FreeFn>
struct Deleter {
  template <typename T>
  void operator()(T* p) const noexcept {
    if (p != nullptr) FreeFn(p);
  }
};
}  // namespace detail

using MnlSocketPtr = std::unique_ptr<mnl_socket, detail::Deleter<detail::closeSocket>>;
using EntryPtr = std::unique_ptr<nf_conntrack, detail::Deleter<nfct_destroy>>;

// Big enough for any datagram a dump sends (the kernel fills at most 32 KiB per skb).
inline constexpr size_t kReceiveBufferSize = 65536;

// Writes at `buf` a request for every entry of `family` whose original tuple has L4 protocol
// `protocol`, and destination port `port` and IPv4 destination `address` when set. The kernel
// does that filtering (CTA_FILTER, Linux >= 5.8), so entries that cannot match cost a walk,
// not a message; an older kernel ignores the attribute and sends everything, which the
// caller's own matching makes harmless. An IPv6 `address` is refused (nullptr): the kernel
// code compared IPv6 addresses the wrong way round when it was added (`!ipv6_addr_cmp`), and
// such a kernel would hide exactly the entries asked for. Needs 128 bytes.
nlmsghdr* putDumpRequest(void* buf, IPFamily family, uint8_t protocol, std::optional<uint16_t> port,
                         const std::optional<IPAddr>& address, uint32_t seq);

// The parts of a parsed entry the filters and the reconcile look at; nullopt when it has no
// ports or addresses to match on (ICMP, or an entry of another family).
std::optional<ConntrackFlow> flowOf(const nf_conntrack* entry);

// A new object holding only what names `entry` to the kernel: its original tuple, zone and id
// (with the id the kernel refuses to delete another entry that reused the tuple meanwhile).
// nullptr when the original tuple is incomplete or memory runs out: a delete request without a
// tuple would be a flush of the whole table, so none is ever built from such an entry.
EntryPtr deleteKeyOf(const nf_conntrack* entry);

// Writes at `buf` a delete request (acked) for a key made by deleteKeyOf(); nullptr if the
// key is not one. Needs 256 bytes.
nlmsghdr* putDeleteRequest(void* buf, const nf_conntrack* key, uint32_t seq);

// One line as `conntrack -L` prints it, for error messages.
std::string describe(const nf_conntrack* entry);

}  // namespace kpx::conntrack
