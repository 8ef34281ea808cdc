#include "dataplane/netlink/batch.h"

#include <libnftnl/common.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <new>

#include "dataplane/netlink/ack.h"
#include "dataplane/netlink/element_decode.h"

namespace kpx::nft {

namespace {

// nft's choice: 2 MiB pages keep the number of iovecs small for multi-MB batches.
constexpr uint32_t kPageSize = 2 * 1024 * 1024;
// The largest single message: an element list nest is capped at 64 KiB by the 16-bit
// attribute length; allow for the headers around it.
constexpr uint32_t kMaxMessage = 64 * 1024 + 4096;
// We stop filling an element list well before the 64 KiB nest limit, leaving room for one more
// element (whose size we only know once it is written).
constexpr uint32_t kElementListLimit = 56 * 1024;

std::string objectName(Family family, std::string_view table, std::string_view name = {}) {
  std::string out(familyName(family));
  out += ' ';
  out += table;
  if (!name.empty()) {
    out += ' ';
    out += name;
  }
  return out;
}

}  // namespace

Batch::Batch(BatchOptions options)
    : options_(options), batch_(makeBatch(kPageSize, kMaxMessage)), beginSeq_(allocateSeq()) {
  nftnl_batch_begin(static_cast<char*>(nftnl_batch_buffer(batch_.get())), beginSeq_);
  finishMessage();
}

nlmsghdr* Batch::startMessage(uint16_t type, Family family, uint16_t flags,
                              std::string description) {
  const uint32_t seq = allocateSeq();
  recordBySeq_.emplace(seq, records_.size());
  records_.push_back(Record{seq, std::move(description), {}, {}});
  // NLM_F_ACK on every message: the kernel then confirms each one, and commit() can tell a
  // fully processed batch from one whose answers were lost.
  const uint16_t ack = options_.ackMode == AckMode::EveryMessage ? NLM_F_ACK : 0;
  return nftnl_nlmsg_build_hdr(static_cast<char*>(nftnl_batch_buffer(batch_.get())), type,
                               familyValue(family), flags | ack, seq);
}

void Batch::finishMessage() {
  // Moves past the message just written; starts a new page when this one is full.
  if (nftnl_batch_update(batch_.get()) < 0) throw std::bad_alloc();
}

void Batch::addTable(Family family, const TableSpec& table, Mode mode) {
  const uint16_t flags = NLM_F_CREATE | (mode == Mode::Create ? NLM_F_EXCL : 0);
  TablePtr t = toNftnl(family, table);
  nlmsghdr* nlh =
      startMessage(NFT_MSG_NEWTABLE, family, flags, "add table " + objectName(family, table.name));
  nftnl_table_nlmsg_build_payload(nlh, t.get());
  finishMessage();
}

void Batch::deleteTable(Family family, std::string_view table) {
  TablePtr t = tableRef(family, table);
  nlmsghdr* nlh =
      startMessage(NFT_MSG_DELTABLE, family, 0, "delete table " + objectName(family, table));
  nftnl_table_nlmsg_build_payload(nlh, t.get());
  finishMessage();
}

void Batch::flushTable(Family family, std::string_view table) {
  // A rule deletion naming only the table deletes every rule in it (what `nft flush table`
  // sends).
  RulePtr r = makeRule();
  nftnl_rule_set_u32(r.get(), NFTNL_RULE_FAMILY, familyValue(family));
  nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, std::string(table).c_str());
  nlmsghdr* nlh =
      startMessage(NFT_MSG_DELRULE, family, 0, "flush table " + objectName(family, table));
  nftnl_rule_nlmsg_build_payload(nlh, r.get());
  finishMessage();
}

void Batch::addChain(Family family, std::string_view table, const ChainSpec& chain, Mode mode) {
  const uint16_t flags = NLM_F_CREATE | (mode == Mode::Create ? NLM_F_EXCL : 0);
  ChainPtr c = toNftnl(family, table, chain);
  nlmsghdr* nlh = startMessage(NFT_MSG_NEWCHAIN, family, flags,
                               "add chain " + objectName(family, table, chain.name));
  nftnl_chain_nlmsg_build_payload(nlh, c.get());
  finishMessage();
}

void Batch::deleteChain(Family family, std::string_view table, std::string_view chain) {
  ChainPtr c = chainRef(family, table, chain);
  nlmsghdr* nlh =
      startMessage(NFT_MSG_DELCHAIN, family, 0, "delete chain " + objectName(family, table, chain));
  nftnl_chain_nlmsg_build_payload(nlh, c.get());
  finishMessage();
}

void Batch::flushChain(Family family, std::string_view table, std::string_view chain) {
  RulePtr r = makeRule();
  nftnl_rule_set_u32(r.get(), NFTNL_RULE_FAMILY, familyValue(family));
  nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, std::string(table).c_str());
  nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, std::string(chain).c_str());
  nlmsghdr* nlh =
      startMessage(NFT_MSG_DELRULE, family, 0, "flush chain " + objectName(family, table, chain));
  nftnl_rule_nlmsg_build_payload(nlh, r.get());
  finishMessage();
}

void Batch::addRule(RuleBuilder rule, std::string_view description) {
  std::string what = "add rule " + objectName(rule.family(), rule.table(), rule.chain());
  if (!description.empty()) {
    what += ": ";
    what += description;
  } else if (!rule.comment().empty()) {
    what += ": \"" + rule.comment() + "\"";
  } else {
    what += " (" + std::to_string(rule.expressionCount()) + " expressions)";
  }
  if (!rule.ok()) {
    // A bug in the rule's building blocks, not a kernel condition: the whole batch fails,
    // as if the kernel had refused the rule, and nothing is sent.
    if (!buildError_) buildError_ = makeError(EINVAL, "build batch", what + ": " + rule.error());
    return;
  }
  const Family family = rule.family();
  RulePtr r = rule.take();
  nlmsghdr* nlh =
      startMessage(NFT_MSG_NEWRULE, family, NLM_F_CREATE | NLM_F_APPEND, std::move(what));
  nftnl_rule_nlmsg_build_payload(nlh, r.get());
  finishMessage();
}

void Batch::deleteRule(Family family, std::string_view table, std::string_view chain,
                       uint64_t handle) {
  RulePtr r = makeRule();
  nftnl_rule_set_u32(r.get(), NFTNL_RULE_FAMILY, familyValue(family));
  nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, std::string(table).c_str());
  nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, std::string(chain).c_str());
  nftnl_rule_set_u64(r.get(), NFTNL_RULE_HANDLE, handle);
  nlmsghdr* nlh = startMessage(
      NFT_MSG_DELRULE, family, 0,
      "delete rule " + objectName(family, table, chain) + " handle " + std::to_string(handle));
  nftnl_rule_nlmsg_build_payload(nlh, r.get());
  finishMessage();
}

void Batch::addSet(Family family, std::string_view table, const SetSpec& set, Mode mode) {
  const uint16_t flags = NLM_F_CREATE | (mode == Mode::Create ? NLM_F_EXCL : 0);
  SetPtr s = toNftnl(family, table, set);
  // The kernel requires a transaction-unique set id (NFTA_SET_ID), used by rules that refer
  // to a set created in the same batch by id rather than by name (anonymous sets).
  nftnl_set_set_u32(s.get(), NFTNL_SET_ID, ++lastSetId_);
  nlmsghdr* nlh = startMessage(
      NFT_MSG_NEWSET, family, flags,
      std::string("add ") + (set.isMap() ? "map " : "set ") + objectName(family, table, set.name));
  nftnl_set_nlmsg_build_payload(nlh, s.get());
  finishMessage();
}

void Batch::deleteSet(Family family, std::string_view table, std::string_view set) {
  SetPtr s = setRef(family, table, set);
  nlmsghdr* nlh =
      startMessage(NFT_MSG_DELSET, family, 0, "delete set " + objectName(family, table, set));
  nftnl_set_nlmsg_build_payload(nlh, s.get());
  finishMessage();
}

void Batch::flushSet(Family family, std::string_view table, std::string_view set) {
  // An element deletion without an element list removes every element (`nft flush set`).
  nlmsghdr* nlh =
      startMessage(NFT_MSG_DELSETELEM, family, 0, "flush set " + objectName(family, table, set));
  mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, std::string(table).c_str());
  mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, std::string(set).c_str());
  finishMessage();
}

void Batch::addElements(Family family, std::string_view table, std::string_view set,
                        std::span<const ElementSpec> elements, Mode mode) {
  const uint16_t flags = NLM_F_CREATE | (mode == Mode::Create ? NLM_F_EXCL : 0);
  addElementMessages(NFT_MSG_NEWSETELEM, family, table, set, elements, flags, "add");
}

void Batch::deleteElements(Family family, std::string_view table, std::string_view set,
                           std::span<const ElementSpec> elements) {
  addElementMessages(NFT_MSG_DELSETELEM, family, table, set, elements, 0, "delete");
}

void Batch::addElementMessages(uint16_t type, Family family, std::string_view table,
                               std::string_view set, std::span<const ElementSpec> elements,
                               uint16_t flags, std::string_view verb) {
  const std::string tableName(table);
  const std::string setName(set);
  const bool keysOnly = type == NFT_MSG_DELSETELEM;
  size_t next = 0;
  while (next < elements.size()) {
    nlmsghdr* nlh = startMessage(type, family, flags, {});
    Record& record = records_.back();
    mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, tableName.c_str());
    mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, setName.c_str());
    nlattr* list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
    const size_t first = next;
    for (; next < elements.size(); ++next) {
      const ElementSpec& spec = elements[next];
      const uint32_t offset = nlh->nlmsg_len;
      SetElemPtr e;
      if (keysOnly) {
        ElementSpec keyOnly;
        keyOnly.key = spec.key;
        e = toNftnl(keyOnly);
      } else {
        e = toNftnl(spec);
      }
      nftnl_set_elem_nlmsg_build(nlh, e.get(), static_cast<int>(next - first + 1));
      if (next > first &&
          nlh->nlmsg_len - (reinterpret_cast<char*>(list) - reinterpret_cast<char*>(nlh)) >
              kElementListLimit) {
        nlh->nlmsg_len = offset;  // take the element back; it starts the next message
        break;
      }
      if (!spec.label.empty()) {
        record.labels.emplace_back(static_cast<uint32_t>(record.elementOffsets.size()), spec.label);
      }
      record.elementOffsets.push_back(offset);
    }
    mnl_attr_nest_end(nlh, list);
    record.description = std::string(verb) + " " + std::to_string(next - first) + " elements of " +
                         objectName(family, table, set);
    finishMessage();
  }
}

size_t Batch::byteSize() const {
  auto* batch = batch_.get();
  const int n = nftnl_batch_iovec_len(batch);
  std::vector<iovec> iov(static_cast<size_t>(n));
  nftnl_batch_iovec(batch, iov.data(), static_cast<uint32_t>(n));
  size_t total = 0;
  for (const iovec& v : iov) total += v.iov_len;
  return total;
}

std::string Batch::describe(uint32_t seq, uint32_t attrOffset) const {
  if (seq == beginSeq_ || seq == endSeq_) return "batch";
  const auto it = recordBySeq_.find(seq);
  if (it == recordBySeq_.end()) return {};
  const Record& record = records_[it->second];
  if (record.elementOffsets.empty() || attrOffset == 0) return record.description;
  // The last element that starts at or before the offending attribute contains it.
  const auto after =
      std::upper_bound(record.elementOffsets.begin(), record.elementOffsets.end(), attrOffset);
  if (after == record.elementOffsets.begin()) return record.description;
  const auto index = static_cast<uint32_t>(after - record.elementOffsets.begin() - 1);

  const int n = nftnl_batch_iovec_len(batch_.get());
  std::vector<iovec> iov(static_cast<size_t>(n));
  nftnl_batch_iovec(batch_.get(), iov.data(), static_cast<uint32_t>(n));
  const std::string decoded =
      describeElementAt(findMessage(iov, seq), record.elementOffsets[index]);
  const auto label = std::lower_bound(
      record.labels.begin(), record.labels.end(), index,
      [](const std::pair<uint32_t, std::string>& l, uint32_t i) { return l.first < i; });
  std::string out = record.description + ": element ";
  if (label != record.labels.end() && label->first == index) {
    out += label->second;
    if (!decoded.empty()) out += " [" + decoded + "]";
  } else {
    out += decoded.empty() ? "#" + std::to_string(index) : decoded;
  }
  return out;
}

tl::expected<BatchStats, NetlinkError> Batch::commit(Socket& socket) {
  if (committed_) return tl::unexpected(makeError(EALREADY, "commit batch", "already committed"));
  committed_ = true;
  if (buildError_) return tl::unexpected(*buildError_);
  BatchStats stats;
  if (records_.empty()) return stats;

  endSeq_ = allocateSeq();
  nlmsghdr* end = nftnl_batch_end(static_cast<char*>(nftnl_batch_buffer(batch_.get())), endSeq_);
  // Recent kernels ack the end marker when asked: a cheap proof that the batch was processed to
  // its end. Older ones ignore the flag.
  end->nlmsg_flags |= NLM_F_ACK;
  finishMessage();

  const int iovLen = nftnl_batch_iovec_len(batch_.get());
  std::vector<iovec> iov(static_cast<size_t>(iovLen));
  nftnl_batch_iovec(batch_.get(), iov.data(), static_cast<uint32_t>(iovLen));
  for (const iovec& v : iov) stats.bytes += v.iov_len;
  stats.pages = iov.size();
  stats.messages = records_.size();

  // Best effort: if raising fails the send reports EMSGSIZE, the acks ENOBUFS.
  (void)socket.ensureSendBuffer(stats.bytes + kMaxMessage);
  const size_t expectedAnswers =
      options_.ackMode == AckMode::EveryMessage ? records_.size() + 2 : 2;
  (void)socket.ensureReceiveBuffer(expectedAnswers * options_.ackBudgetPerMessage);

  const auto t0 = std::chrono::steady_clock::now();
  if (auto sent = socket.sendIov(iov); !sent) return tl::unexpected(sent.error());
  const auto t1 = std::chrono::steady_clock::now();

  // The kernel processes the whole batch inside sendmsg(), so every answer is already queued.
  std::vector<Ack> acks;
  acks.reserve(records_.size());
  auto drained =
      socket.drain([&acks](std::span<const char> datagram) { collectAcks(datagram, acks); });
  const auto t2 = std::chrono::steady_clock::now();
  stats.sendTime = std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0);
  stats.ackTime = std::chrono::duration_cast<std::chrono::microseconds>(t2 - t1);

  std::vector<bool> acked(records_.size(), false);
  std::optional<NetlinkError> firstError;
  size_t errors = 0;
  for (const Ack& ack : acks) {
    const bool ours = ack.seq == beginSeq_ || ack.seq == endSeq_ || recordBySeq_.contains(ack.seq);
    if (!ours) continue;  // left over from an earlier exchange on this socket
    if (ack.seq == endSeq_ && ack.errnum == 0) stats.endAcked = true;
    if (auto it = recordBySeq_.find(ack.seq); it != recordBySeq_.end()) {
      acked[it->second] = true;
      ++stats.acks;
    }
    if (ack.errnum == 0) continue;
    ++errors;
    if (!firstError) {
      NetlinkError err = makeError(ack.errnum, "commit batch", describe(ack.seq, ack.attrOffset));
      err.attrOffset = ack.attrOffset;
      err.kernelMessage = ack.message;
      firstError = std::move(err);
    }
  }
  if (firstError) {
    // Any error aborts the whole transaction: nothing was applied, whatever else was lost.
    if (errors > 1) firstError->object += " (and " + std::to_string(errors - 1) + " more errors)";
    return tl::unexpected(std::move(*firstError));
  }
  if (!drained) {
    NetlinkError err = drained.error();
    err.operation = "commit batch";
    err.object = "acks lost";
    err.outcomeUnknown = true;
    return tl::unexpected(std::move(err));
  }
  const auto missing = std::find(acked.begin(), acked.end(), false);
  if (options_.ackMode == AckMode::EveryMessage && missing != acked.end()) {
    NetlinkError err = makeError(
        EPROTO, "commit batch",
        "no ack for " + records_[static_cast<size_t>(missing - acked.begin())].description);
    err.outcomeUnknown = true;
    return tl::unexpected(std::move(err));
  }
  return stats;
}

}  // namespace kpx::nft
