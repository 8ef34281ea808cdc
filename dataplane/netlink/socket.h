// A NETLINK_NETFILTER socket bound to the network namespace of the thread that opened it.
// Not thread-safe: one owner (the sync thread) at a time.
// It knows how to send a paged batch in one sendmsg(), how to drain what the kernel queued
// in return, and how to run a request or a dump to its end. It knows nothing of tables or
// rules: Batch and Reader build the messages and interpret the answers.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "dataplane/netlink/error.h"
#include "dataplane/netlink/handles.h"

struct nlmsghdr;

namespace kpx::nft {

// Returns a fresh netlink sequence number. Process-wide and monotonic, so acks left over from
// an earlier exchange (after ENOBUFS, say) can never be mistaken for answers to a new one.
uint32_t allocateSeq(uint32_t count = 1);

class Socket {
 public:
  // Called for each data message of a request or dump answer. Return false to stop early
  // with an EPROTO error (the message could not be parsed).
  using MessageFn = std::function<bool(const nlmsghdr*)>;

  // Opens and binds the socket in the calling thread's current network namespace and turns
  // on extended acks (the kernel then names the offending attribute) and capped acks (an
  // error does not echo the whole failed message back, which keeps the receive queue small).
  static tl::expected<Socket, NetlinkError> open();

  Socket(Socket&&) noexcept = default;
  Socket& operator=(Socket&&) noexcept = default;
  ~Socket() = default;

  int fd() const;
  uint32_t portId() const;

  // Raise SO_SNDBUF / SO_RCVBUF to at least `bytes`; the *FORCE variants (CAP_NET_ADMIN) go
  // past net.core.{w,r}mem_max. Never lowers a buffer. A failure is reported but callers may
  // go on: the send then fails with EMSGSIZE or the acks with ENOBUFS, both reported too.
  tl::expected<void, NetlinkError> ensureSendBuffer(size_t bytes);
  tl::expected<void, NetlinkError> ensureReceiveBuffer(size_t bytes);

  // One sendmsg() over all pages: the kernel sees a single datagram, hence a single batch.
  tl::expected<void, NetlinkError> sendIov(std::span<iovec> iov);

  // Receives datagrams already queued, without blocking, and passes each to `onDatagram`
  // (several per system call, with recvmmsg). Returns the number of datagrams read; stops
  // when the queue is empty. ENOBUFS (the kernel dropped something) is returned as an error
  // after the rest of the queue has been drained.
  tl::expected<size_t, NetlinkError> drain(
      const std::function<void(std::span<const char>)>& onDatagram);

  // Sends `request` and reads its answer to the end: a dump up to NLMSG_DONE, anything else up
  // to its ack (so a request that is not a dump must carry NLM_F_ACK). Data messages go to
  // `onMessage`. A dump interrupted by a concurrent change (NLM_F_DUMP_INTR) fails with EINTR so
  // that the caller can retry.
  tl::expected<void, NetlinkError> talk(const nlmsghdr* request, const MessageFn& onMessage,
                                        std::string_view operation);

 private:
  explicit Socket(MnlSocketPtr socket);

  MnlSocketPtr socket_;
  std::vector<char> recvBuffer_;  // one datagram, for talk()
};

}  // namespace kpx::nft
