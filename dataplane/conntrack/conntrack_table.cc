#include "dataplane/conntrack/conntrack_table.h"

#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <new>
#include <optional>
#include <utility>

namespace kpx::conntrack {

namespace {

// Deletes per datagram. Each ack is a small skb in our receive buffer; 64 of them stay far
// below the default SO_RCVBUF, so acks are never dropped (which would leave the outcome of a
// delete unknown).
constexpr size_t kDeleteBatch = 64;
constexpr size_t kDeleteMessageSize = 256;

std::string dumpName(const FilterIndex::Dump& d) {
  std::string out =
      "dump " + std::string(toString(d.family)) + " protocol " + std::to_string(d.protocol);
  if (d.address) out += " to " + d.address->str();
  if (d.port) out += " port " + std::to_string(*d.port);
  return out;
}

struct DumpContext {
  const FilterIndex* index = nullptr;
  const ConntrackReconcile* reconcile = nullptr;  // null: the filters alone
  std::vector<EntryPtr>* doomed = nullptr;
  std::optional<ConntrackError> error;  // the first; the dump is still read to its end
};

// Runs inside libmnl's C loop: reports failures through the context, never by throwing.
int onEntry(const nlmsghdr* nlh, void* data) {
  auto* ctx = static_cast<DumpContext*>(data);
  auto fail = [&](int errnum, std::string operation, std::string object) {
    if (!ctx->error) ctx->error = makeError(errnum, std::move(operation), std::move(object));
    return MNL_CB_OK;
  };
  EntryPtr entry(nfct_new());
  if (!entry) return fail(ENOMEM, "parse entry", "");
  if (nfct_nlmsg_parse(nlh, entry.get()) < 0) return fail(EINVAL, "parse entry", "");
  const std::optional<ConntrackFlow> flow = flowOf(entry.get());
  if (!flow) return MNL_CB_OK;
  const bool stale =
      ctx->index->matches(*flow) || (ctx->reconcile != nullptr && ctx->reconcile->isStale(*flow));
  if (!stale) return MNL_CB_OK;
  EntryPtr key = deleteKeyOf(entry.get());
  if (!key) return fail(EINVAL, "make delete key for", describe(entry.get()));
  try {
    ctx->doomed->push_back(std::move(key));
  } catch (const std::bad_alloc&) {
    return fail(ENOMEM, "collect", describe(entry.get()));
  }
  return MNL_CB_OK;
}

}  // namespace

ConntrackTable::ConntrackTable(MnlSocketPtr socket)
    : socket_(std::move(socket)),
      portid_(mnl_socket_get_portid(socket_.get())),
      receive_(kReceiveBufferSize),
      send_(kDeleteBatch * kDeleteMessageSize) {}

tl::expected<ConntrackTable, ConntrackError> ConntrackTable::open() {
  MnlSocketPtr socket(mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC));
  if (!socket) return tl::unexpected(makeError(errno, "open ctnetlink socket"));
  if (mnl_socket_bind(socket.get(), 0, MNL_SOCKET_AUTOPID) < 0) {
    return tl::unexpected(makeError(errno, "bind ctnetlink socket"));
  }
  // Acks without a copy of the request: smaller, so a batch of them always fits. Kernels
  // before 4.3 lack the option and send full copies, which kDeleteBatch still accommodates.
  int one = 1;
  if (mnl_socket_setsockopt(socket.get(), NETLINK_CAP_ACK, &one, sizeof(one)) < 0 &&
      errno != ENOPROTOOPT) {
    return tl::unexpected(makeError(errno, "set NETLINK_CAP_ACK"));
  }
  return ConntrackTable(std::move(socket));
}

tl::expected<size_t, ConntrackError> ConntrackTable::deleteMatching(
    const std::vector<ConntrackFilter>& filters) {
  const FilterIndex index(filters);
  return deleteSelected({.index = &index, .reconcile = nullptr}, index.dumps());
}

tl::expected<size_t, ConntrackError> ConntrackTable::deleteStale(
    const ConntrackReconcile& reconcile, const std::vector<ConntrackFilter>& filters) {
  const FilterIndex index(filters);
  return deleteSelected({.index = &index, .reconcile = &reconcile},
                        index.dumpsWithUdp(reconcile.families()));
}

tl::expected<size_t, ConntrackError> ConntrackTable::deleteSelected(
    const Selection& selection, const std::vector<FilterIndex::Dump>& dumps) {
  // One socket: each dump is read to its end, then the deletes go out.
  std::vector<EntryPtr> doomed;
  for (const FilterIndex::Dump& dump : dumps) {
    auto collected = collect(selection, dump, doomed);
    if (!collected) return tl::unexpected(std::move(collected.error()));
  }
  return deleteAll(doomed);
}

tl::expected<void, ConntrackError> ConntrackTable::collect(const Selection& selection,
                                                           const FilterIndex::Dump& d,
                                                           std::vector<EntryPtr>& doomed) {
  const uint32_t seq = ++seq_;
  const nlmsghdr* request =
      putDumpRequest(send_.data(), d.family, d.protocol, d.port, d.address, seq);
  if (request == nullptr) return tl::unexpected(makeError(EINVAL, "build " + dumpName(d)));
  if (mnl_socket_sendto(socket_.get(), request, request->nlmsg_len) < 0) {
    return tl::unexpected(makeError(errno, "send " + dumpName(d)));
  }
  DumpContext ctx{.index = selection.index,
                  .reconcile = selection.reconcile,
                  .doomed = &doomed,
                  .error = std::nullopt};
  for (;;) {
    const ssize_t n = mnl_socket_recvfrom(socket_.get(), receive_.data(), receive_.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return tl::unexpected(makeError(errno, "receive " + dumpName(d)));
    }
    const int rc = mnl_cb_run(receive_.data(), static_cast<size_t>(n), seq, portid_, onEntry, &ctx);
    if (rc == MNL_CB_ERROR) {
      return tl::unexpected(makeError(errno, dumpName(d)));
    }
    if (rc == MNL_CB_STOP) break;
  }
  if (ctx.error) return tl::unexpected(std::move(*ctx.error));
  return {};
}

tl::expected<size_t, ConntrackError> ConntrackTable::deleteAll(const std::vector<EntryPtr>& keys) {
  size_t deleted = 0;
  for (size_t start = 0; start < keys.size(); start += kDeleteBatch) {
    const size_t count = std::min(kDeleteBatch, keys.size() - start);
    const uint32_t first = seq_ + 1;
    size_t length = 0;
    for (size_t i = 0; i < count; ++i) {
      const nlmsghdr* nlh = putDeleteRequest(send_.data() + length, keys[start + i].get(), ++seq_);
      if (nlh == nullptr) {
        ConntrackError e = makeError(EINVAL, "build delete for", describe(keys[start + i].get()));
        e.deleted = deleted;
        return tl::unexpected(std::move(e));
      }
      length += MNL_ALIGN(nlh->nlmsg_len);
    }
    if (mnl_socket_sendto(socket_.get(), send_.data(), length) < 0) {
      ConntrackError e = makeError(errno, "send delete batch");
      e.deleted = deleted;
      return tl::unexpected(std::move(e));
    }
    auto acked = readAcks(first, &keys[start], count, deleted);
    if (!acked) {
      acked.error().deleted = deleted;
      return tl::unexpected(std::move(acked.error()));
    }
  }
  return deleted;
}

tl::expected<void, ConntrackError> ConntrackTable::readAcks(uint32_t first, const EntryPtr* keys,
                                                            size_t count, size_t& deleted) {
  std::optional<ConntrackError> failure;
  size_t pending = count;
  while (pending > 0) {
    const ssize_t n = mnl_socket_recvfrom(socket_.get(), receive_.data(), receive_.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      // ENOBUFS here means acks were lost: which deletes happened is unknown.
      return tl::unexpected(makeError(errno, "receive delete acks"));
    }
    int left = static_cast<int>(n);
    for (auto* nlh = reinterpret_cast<const nlmsghdr*>(receive_.data()); mnl_nlmsg_ok(nlh, left);
         nlh = mnl_nlmsg_next(nlh, &left)) {
      if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_seq < first ||
          nlh->nlmsg_seq >= first + count) {
        continue;  // not an ack of this batch (a late reply to an earlier, failed request)
      }
      const auto* ack = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
      --pending;
      if (ack->error == 0) {
        ++deleted;
      } else if (ack->error != -ENOENT && !failure) {
        failure = makeError(-ack->error, "delete", describe(keys[nlh->nlmsg_seq - first].get()));
      }
    }
  }
  if (failure) return tl::unexpected(std::move(*failure));
  return {};
}

}  // namespace kpx::conntrack
