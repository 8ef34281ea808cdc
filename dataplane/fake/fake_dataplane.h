// dataplane/fake: a backend that programs a FakeKernel instead of a kernel, so the core, the
// agent's sync loop and the backend contract suite run without root. It works as the real
// backends do: it keeps what it applied, sends only the difference of the ports a sync names,
// replaces everything in one transaction on a full sync, adopts what it finds after a restart
// when that is exactly what it wants, and after any failure its next sync is full. What it
// writes per service port is the port's expected inventory (one object per virtual address,
// endpoint and affinity setting), so dump() reads back the typed inventory.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "dataplane/fake/fake_kernel.h"
#include "proxy/backend_options.h"
#include "proxy/dataplane.h"

namespace kpx::fake {

class FakeDataplane final : public Dataplane {
 public:
  explicit FakeDataplane(FakeKernel& kernel, BackendOptions options = {})
      : kernel_(kernel), options_(std::move(options)) {}

  DataplaneResult<SyncReport> sync(const ProxyState& desired, SyncKind kind,
                                   const StateChanges& changes) override;
  DataplaneResult<Inventory> dump() override;
  DataplaneResult<std::string> render(const ProxyState& desired) const override;
  DataplaneResult<void> cleanup() override;

  struct Stats {
    size_t fullSyncs = 0;
    size_t incrementalSyncs = 0;
    size_t adopted = 0;
    size_t repairs = 0;  // Verify syncs that found the objects changed and rewrote them
  };
  const Stats& stats() const { return stats_; }

 private:
  using Objects = std::map<std::string, FakeObject>;

  DataplaneResult<SyncReport> fullSync(const ProxyState& desired);
  DataplaneResult<SyncReport> incrementalSync(const ProxyState& desired, const StateChanges& changes);
  DataplaneResult<SyncReport> commit(const std::vector<FakeOp>& ops, const char* what);
  static Objects kpxObjectsIn(const Objects& all);

  FakeKernel& kernel_;
  BackendOptions options_;
  Objects applied_;  // kpx's objects as this process last committed them
  bool needFull_ = true;
  bool firstSync_ = true;
  Stats stats_;
};

// The objects kpx writes for one service port ("kpx/IPv4/ns/name/tcp/port/vip/...").
std::map<std::string, FakeObject> fakeObjectsOf(const ServicePortState& sp);

}  // namespace kpx::fake
