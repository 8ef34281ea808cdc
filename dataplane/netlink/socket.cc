#include "dataplane/netlink/socket.h"

#include <linux/netlink.h>
#include <sys/socket.h>
#include <time.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <memory>

#include "dataplane/netlink/ack.h"

namespace kpx::nft {

namespace {

// Large enough for the largest nf_tables message (a set element list nest is capped at 64 KiB
// by the 16-bit attribute length) plus headers.
constexpr size_t kRecvBufferSize = 128 * 1024;

// Acks are small (header + nlmsgerr + a few extended-ack attributes, since CAP_ACK strips
// the echoed request), so drain() reads many per recvmmsg() call.
constexpr size_t kDrainSlots = 256;
constexpr size_t kDrainSlotSize = 8 * 1024;

uint32_t seedSeq() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint32_t>(ts.tv_sec) ^ static_cast<uint32_t>(ts.tv_nsec);
}

std::atomic<uint32_t> gNextSeq{seedSeq()};

tl::expected<void, NetlinkError> growBuffer(int fd, int option, int forceOption, size_t bytes,
                                            const char* operation) {
  int current = 0;
  socklen_t len = sizeof(current);
  if (getsockopt(fd, SOL_SOCKET, option, &current, &len) == 0 && current >= 0 &&
      static_cast<size_t>(current) >= bytes) {
    return {};
  }
  const int wanted =
      bytes > static_cast<size_t>(INT_MAX / 2) ? INT_MAX / 2 : static_cast<int>(bytes);
  if (setsockopt(fd, SOL_SOCKET, forceOption, &wanted, sizeof(wanted)) == 0) return {};
  // Without CAP_NET_ADMIN, get as close as net.core.*mem_max allows.
  const int savedErrno = errno;
  if (setsockopt(fd, SOL_SOCKET, option, &wanted, sizeof(wanted)) == 0) return {};
  return tl::unexpected(makeError(savedErrno, operation));
}

}  // namespace

uint32_t allocateSeq(uint32_t count) {
  uint32_t seq = gNextSeq.fetch_add(count, std::memory_order_relaxed);
  // 0 is avoided: some code paths treat it as "no sequence number".
  if (seq == 0 || seq + count < seq) seq = gNextSeq.fetch_add(count, std::memory_order_relaxed);
  return seq;
}

Socket::Socket(MnlSocketPtr socket) : socket_(std::move(socket)), recvBuffer_(kRecvBufferSize) {}

tl::expected<Socket, NetlinkError> Socket::open() {
  MnlSocketPtr sock(mnl_socket_open(NETLINK_NETFILTER));
  if (!sock) return tl::unexpected(makeError(errno, "open netfilter netlink socket"));
  if (mnl_socket_bind(sock.get(), 0, MNL_SOCKET_AUTOPID) < 0) {
    return tl::unexpected(makeError(errno, "bind netfilter netlink socket"));
  }
  int one = 1;  // libmnl takes a non-const pointer
  // Both are best effort: old kernels lack them and everything still works, less precisely.
  mnl_socket_setsockopt(sock.get(), NETLINK_EXT_ACK, &one, sizeof(one));
  mnl_socket_setsockopt(sock.get(), NETLINK_CAP_ACK, &one, sizeof(one));
  return Socket(std::move(sock));
}

int Socket::fd() const {
  return mnl_socket_get_fd(socket_.get());
}

uint32_t Socket::portId() const {
  return mnl_socket_get_portid(socket_.get());
}

tl::expected<void, NetlinkError> Socket::ensureSendBuffer(size_t bytes) {
  return growBuffer(fd(), SO_SNDBUF, SO_SNDBUFFORCE, bytes, "set netlink send buffer");
}

tl::expected<void, NetlinkError> Socket::ensureReceiveBuffer(size_t bytes) {
  return growBuffer(fd(), SO_RCVBUF, SO_RCVBUFFORCE, bytes, "set netlink receive buffer");
}

tl::expected<void, NetlinkError> Socket::sendIov(std::span<iovec> iov) {
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  msghdr msg{};
  msg.msg_name = &kernel;
  msg.msg_namelen = sizeof(kernel);
  msg.msg_iov = iov.data();
  msg.msg_iovlen = iov.size();
  for (;;) {
    if (sendmsg(fd(), &msg, 0) >= 0) return {};
    if (errno != EINTR) return tl::unexpected(makeError(errno, "send batch"));
  }
}

tl::expected<size_t, NetlinkError> Socket::drain(
    const std::function<void(std::span<const char>)>& onDatagram) {
  // Per call and not zero-filled: only the slots the kernel fills are ever touched, so an
  // incremental sync's few acks cost a page or two, and no 2 MB stays resident between syncs.
  const auto storage = std::make_unique_for_overwrite<char[]>(kDrainSlots * kDrainSlotSize);
  std::vector<iovec> iov(kDrainSlots);
  std::vector<mmsghdr> msgs(kDrainSlots);
  size_t total = 0;
  int pendingError = 0;
  for (;;) {
    for (size_t i = 0; i < kDrainSlots; ++i) {
      iov[i] = iovec{storage.get() + i * kDrainSlotSize, kDrainSlotSize};
      msgs[i] = mmsghdr{};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    const int n = recvmmsg(fd(), msgs.data(), kDrainSlots, MSG_DONTWAIT, nullptr);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == ENOBUFS) {
        // The kernel dropped at least one datagram; keep draining what is still queued.
        pendingError = ENOBUFS;
        continue;
      }
      return tl::unexpected(makeError(errno, "receive acks"));
    }
    for (int i = 0; i < n; ++i) {
      if ((msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0) {
        pendingError = EMSGSIZE;
        continue;
      }
      onDatagram(std::span<const char>(storage.get() + i * kDrainSlotSize, msgs[i].msg_len));
    }
    total += static_cast<size_t>(n);
  }
  if (pendingError != 0) return tl::unexpected(makeError(pendingError, "receive acks"));
  return total;
}

tl::expected<void, NetlinkError> Socket::talk(const nlmsghdr* request, const MessageFn& onMessage,
                                              std::string_view operation) {
  const std::string op(operation);
  if (mnl_socket_sendto(socket_.get(), request, request->nlmsg_len) < 0) {
    return tl::unexpected(makeError(errno, op));
  }
  const uint32_t seq = request->nlmsg_seq;
  const bool isDump = (request->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
  bool interrupted = false;
  for (;;) {
    const ssize_t len = mnl_socket_recvfrom(socket_.get(), recvBuffer_.data(), recvBuffer_.size());
    if (len < 0) {
      if (errno == EINTR) continue;
      // ENOSPC: libmnl's report of a truncated datagram.
      return tl::unexpected(makeError(errno, op));
    }
    int remaining = static_cast<int>(len);
    for (auto* nlh = reinterpret_cast<const nlmsghdr*>(recvBuffer_.data());
         mnl_nlmsg_ok(nlh, remaining); nlh = mnl_nlmsg_next(nlh, &remaining)) {
      if (nlh->nlmsg_seq != seq) continue;  // a leftover from an earlier exchange
      if ((nlh->nlmsg_flags & NLM_F_DUMP_INTR) != 0) interrupted = true;
      if (nlh->nlmsg_type == NLMSG_DONE) {
        if (interrupted) return tl::unexpected(makeError(EINTR, op, "dump interrupted"));
        return {};
      }
      if (nlh->nlmsg_type == NLMSG_ERROR) {
        const Ack ack = parseAck(nlh);
        if (ack.errnum != 0) {
          NetlinkError err = makeError(ack.errnum, op);
          err.attrOffset = ack.attrOffset;
          err.kernelMessage = ack.message;
          return tl::unexpected(std::move(err));
        }
        if (!isDump) return {};
        continue;
      }
      if (!onMessage(nlh)) return tl::unexpected(makeError(EPROTO, op, "unparsable answer"));
    }
  }
}

}  // namespace kpx::nft
