// The nftables backend (DESIGN §4): tables `ip kpx` and `ip6 kpx`, programmed in-process with
// libnftnl + libmnl, one netlink batch (one atomic transaction) per sync. It keeps what it
// applied (compactly: table_model.h) and sends only the difference, looking only at the ports
// StateChanges names; a full sync replaces its tables in one transaction.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>

#include <tl/expected.hpp>

#include "dataplane/nftables/netlink/batch.h"
#include "dataplane/nftables/netlink/socket.h"
#include "dataplane/nftables/table_model.h"
#include "proxy/dataplane.h"

namespace kpx::nftables {

class NftablesDataplane final : public Dataplane {
 public:
  // Opens the netlink socket in the calling thread's network namespace.
  static tl::expected<std::unique_ptr<NftablesDataplane>, std::string> create();

  // Incremental: only the service ports that differ from the last applied state. Verify: the
  // same after reading back each table's stamp; a table changed outside kpx is rewritten. Full (also
  // the first sync of a process and the one after any failure): the whole table in one
  // transaction, unless the kernel already holds exactly the desired table (restart), which is
  // adopted without a write.
  using Dataplane::sync;
  Inventory dump() override;
  SyncResult cleanup() override;

  // What a full sync of `state` would program, in nft syntax (kpx plan --mode nftables).
  static std::string renderText(const ProxyState& state);

  // Counters for tests and benchmarks.
  struct Stats {
    size_t fullSyncs = 0;
    size_t incrementalSyncs = 0;
    size_t adoptedTables = 0;  // restarts that found their table in place
    size_t repairs = 0;        // Verify syncs that found the tables changed and rewrote them
    size_t lastMessages = 0;
  };
  const Stats& stats() const { return stats_; }

 protected:
  SyncResult apply(const ProxyState& desired, SyncKind kind, const StateChanges& changes) override;

 private:
  explicit NftablesDataplane(nft::Socket socket) : socket_(std::move(socket)) {}

  struct FamilyTable {
    TableModel model;
  };

  SyncResult fullSync(const ProxyState& desired);
  SyncResult incrementalSync(const ProxyState& desired, const StateChanges& changes);
  // The kernel holds exactly `tables`: each family's stamp matches and its fixed chains hold
  // their rules; no table of another family. A few small reads.
  bool kernelHolds(const std::map<IPFamily, FamilyTable>& tables);
  SyncResult commit(nft::Batch& batch, const char* what);

  nft::Socket socket_;
  std::map<IPFamily, FamilyTable> tables_;
  bool needFull_ = true;
  bool firstSync_ = true;
  Stats stats_;
};

}  // namespace kpx::nftables
