// The nftables backend (dataplane/nftables/README.md): tables `ip kpx` and `ip6 kpx`, programmed in-process with
// libnftnl + libmnl, one netlink batch (one atomic transaction) per sync. It keeps what it
// applied (compactly: table_model.h) and sends only the difference, looking only at the ports
// StateChanges names; a full sync replaces its tables in one transaction.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>

#include <tl/expected.hpp>

#include "dataplane/netlink/batch.h"
#include "dataplane/netlink/socket.h"
#include "dataplane/nftables/table_model.h"
#include "proxy/backend_options.h"
#include "proxy/dataplane.h"

namespace kpx::nftables {

class NftablesDataplane final : public Dataplane {
 public:
  // Touches no kernel: the netlink socket is opened, in the network namespace of the thread
  // that first needs it, by the first sync, dump or cleanup (render never needs one).
  explicit NftablesDataplane(BackendOptions options = {}) : options_(std::move(options)) {}
  // The same, with the socket opened now in the calling thread's network namespace.
  static DataplaneResult<std::unique_ptr<NftablesDataplane>> create(BackendOptions options = {});

  // Incremental: only the service ports that differ from the last applied state. Verify: the
  // same after reading back each table's stamp; a table changed outside kpx is rewritten. Full (also
  // the first sync of a process and the one after any failure): the whole table in one
  // transaction, unless the kernel already holds exactly the desired table (restart), which is
  // adopted without a write.
  DataplaneResult<SyncReport> sync(const ProxyState& desired, SyncKind kind,
                                   const StateChanges& changes) override;
  DataplaneResult<Inventory> dump() override;
  // The table a full sync of `desired` writes, in nft syntax (kpx plan --mode nftables).
  DataplaneResult<std::string> render(const ProxyState& desired) const override;
  DataplaneResult<void> cleanup() override;

  // Counters for tests and benchmarks.
  struct Stats {
    size_t fullSyncs = 0;
    size_t incrementalSyncs = 0;
    size_t adoptedTables = 0;  // restarts that found their table in place
    size_t repairs = 0;        // Verify syncs that found the tables changed and rewrote them
    size_t lastMessages = 0;
  };
  const Stats& stats() const { return stats_; }

 private:
  struct FamilyTable {
    TableModel model;
  };

  DataplaneResult<nft::Socket*> socket(const char* operation);
  DataplaneResult<SyncReport> fullSync(const ProxyState& desired);
  DataplaneResult<SyncReport> incrementalSync(const ProxyState& desired, const StateChanges& changes);
  // The kernel holds exactly `tables`: each family's stamp matches and its fixed chains hold
  // their rules; no table of another family. A few small reads.
  bool kernelHolds(nft::Socket& socket, const std::map<IPFamily, FamilyTable>& tables);
  DataplaneResult<SyncReport> commit(nft::Batch& batch, const char* what);
  // The node's addresses NodePorts answer on (none when they answer on every local address).
  std::vector<IPAddr> nodePortIPs(const GlobalState& global) const;

  BackendOptions options_;
  std::optional<nft::Socket> socket_;
  std::map<IPFamily, FamilyTable> tables_;
  bool needFull_ = true;
  bool firstSync_ = true;
  Stats stats_;
};

}  // namespace kpx::nftables
