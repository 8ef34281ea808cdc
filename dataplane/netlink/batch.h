// One nftables transaction: a batch of netlink messages between BATCH_BEGIN and BATCH_END,
// sent in one sendmsg() so the kernel applies all of it or none of it.
//
// Every message gets its own sequence number and NLM_F_ACK, and the batch remembers, per
// sequence number, a human description of the object ("add chain ip kpx svc-1"). commit()
// reads every ack back and maps an error to the object it concerns (for element lists, to
// the element, using the extended-ack attribute offset).
//
// Big batches: messages are written into pages (libnftnl's nftnl_batch, 2 MiB pages as nft
// uses) and sent as one iovec; the socket's send buffer is raised to the batch size and its
// receive buffer to what the acks need, so that 100,000+ messages go through in one go.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <tl/expected.hpp>

#include "dataplane/netlink/error.h"
#include "dataplane/netlink/handles.h"
#include "dataplane/netlink/objects.h"
#include "dataplane/netlink/rule_builder.h"
#include "dataplane/netlink/socket.h"

struct nlmsghdr;

namespace kpx::nft {

struct BatchStats {
  size_t messages = 0;    // object messages, without the begin/end markers
  size_t bytes = 0;       // total datagram size
  size_t pages = 0;       // iovec entries
  size_t acks = 0;        // acks of object messages read back
  bool endAcked = false;  // the kernel confirmed the end marker (6.18 does; older ones may not)
  std::chrono::microseconds sendTime{0};  // sendmsg: the kernel validates and commits here
  std::chrono::microseconds ackTime{0};   // draining and checking the acks
};

// How much the kernel answers.
enum class AckMode {
  // NLM_F_ACK on every message: each one is confirmed, so commit() can prove that every message
  // was processed. Costs one small skb per message in the kernel: measured 1.2 s (3.8 s instead
  // of 2.6 s) and a few hundred MB of transient socket memory for 420,000 messages.
  EveryMessage,
  // Only errors come back, as with nft. Success is the absence of errors once sendmsg()
  // has returned (the kernel processes the batch synchronously), confirmed by the ack of the
  // end marker on kernels that ack it.
  ErrorsOnly,
};

struct BatchOptions {
  AckMode ackMode = AckMode::EveryMessage;
  // Receive buffer reserved per expected answer. An ack costs ~600-800 bytes of skb truesize
  // and the kernel doubles what is asked, so 1 KiB (nft's figure) leaves a wide margin. Lower
  // it only where memory is tight: overflowing acks are reported as ENOBUFS, outcome unknown.
  size_t ackBudgetPerMessage = 1024;
};

class Batch {
 public:
  explicit Batch(BatchOptions options = {});
  Batch(Batch&&) noexcept = default;
  Batch& operator=(Batch&&) noexcept = default;

  // Add: NLM_F_CREATE, so adding an object that exists is not an error (a table or chain is
  // left as it is, a set element gets its timeout refreshed). Create: NLM_F_EXCL as well,
  // EEXIST if it exists.
  enum class Mode { Add, Create };

  void addTable(Family family, const TableSpec& table, Mode mode = Mode::Add);
  // Deletes the table and everything in it.
  void deleteTable(Family family, std::string_view table);
  // Deletes every rule of every chain of the table; chains and sets stay.
  void flushTable(Family family, std::string_view table);

  void addChain(Family family, std::string_view table, const ChainSpec& chain,
                Mode mode = Mode::Add);
  // The chain must be unreferenced in the resulting ruleset (EBUSY otherwise); its rules go
  // with it.
  void deleteChain(Family family, std::string_view table, std::string_view chain);
  void flushChain(Family family, std::string_view table, std::string_view chain);

  // Appends the rule at the end of its chain. `description` names it in errors; default:
  // its comment, or its expression count. A rule that failed to build (RuleBuilder::ok() false)
  // is not written: the batch remembers the first such rule and commit() fails with EINVAL
  // naming it, without sending anything.
  void addRule(RuleBuilder rule, std::string_view description = {});
  void deleteRule(Family family, std::string_view table, std::string_view chain, uint64_t handle);

  void addSet(Family family, std::string_view table, const SetSpec& set, Mode mode = Mode::Add);
  void deleteSet(Family family, std::string_view table, std::string_view set);
  void flushSet(Family family, std::string_view table, std::string_view set);

  // Elements are packed into as few messages as the 64 KiB attribute limit allows.
  void addElements(Family family, std::string_view table, std::string_view set,
                   std::span<const ElementSpec> elements, Mode mode = Mode::Add);
  // Only the keys are used. Deleting a missing element is an error (ENOENT), as in nft.
  void deleteElements(Family family, std::string_view table, std::string_view set,
                      std::span<const ElementSpec> elements);

  size_t messageCount() const { return records_.size(); }
  size_t byteSize() const;
  // Nothing to send and no error to report.
  bool empty() const { return records_.empty() && !buildError_; }
  // The first rule that could not be built, which commit() will report (for checks before it).
  const std::optional<NetlinkError>& buildError() const { return buildError_; }

  // Sends the batch and reads all acks. Success means the kernel committed all of it; an error
  // means it committed none of it, except when err.outcomeUnknown (acks lost to ENOBUFS):
  // then the caller must resynchronise. A batch is committed at most once; an empty batch is
  // not sent.
  tl::expected<BatchStats, NetlinkError> commit(Socket& socket);

  // The description of the message with this sequence number ("" if not ours).
  std::string describe(uint32_t seq, uint32_t attrOffset = 0) const;

 private:
  struct Record {
    uint32_t seq;
    std::string description;
    // Element lists only: where each element's nest starts in the message, and the caller's
    // labels (sparse, by element index). Elements are otherwise described from the message
    // bytes on error, so a big batch carries no per-element strings.
    std::vector<uint32_t> elementOffsets;
    std::vector<std::pair<uint32_t, std::string>> labels;
  };

  nlmsghdr* startMessage(uint16_t type, Family family, uint16_t flags, std::string description);
  void finishMessage();
  void addElementMessages(uint16_t type, Family family, std::string_view table,
                          std::string_view set, std::span<const ElementSpec> elements,
                          uint16_t flags, std::string_view verb);

  BatchOptions options_;
  BatchPtr batch_;
  uint32_t beginSeq_ = 0;
  uint32_t endSeq_ = 0;
  uint32_t lastSetId_ = 0;
  bool committed_ = false;
  std::optional<NetlinkError> buildError_;  // the first rule that could not be built
  std::vector<Record> records_;
  std::unordered_map<uint32_t, size_t> recordBySeq_;
};

}  // namespace kpx::nft
