#include "dataplane/nftables/nftables_dataplane.h"

#include <malloc.h>

#include <cerrno>
#include <chrono>
#include <exception>
#include <functional>
#include <new>
#include <string_view>

#include "dataplane/netlink/reader.h"
#include "dataplane/nftables/batch_writer.h"
#include "dataplane/nftables/elements.h"
#include "dataplane/nftables/inventory.h"
#include "dataplane/nftables/names.h"
#include "dataplane/nftables/render_base.h"
#include "dataplane/nftables/render_port.h"
#include "dataplane/nftables/rules.h"
#include "proxy/global_state.h"
#include "proxy/log.h"

namespace kpx::nftables {
namespace {

constexpr std::string_view kStampSet = "stamp";
constexpr IPFamily kFamilies[] = {IPFamily::V4, IPFamily::V6};

nft::SetSpec stampSet() {
  return nft::SetSpec::set(std::string(kStampSet),
                           nft::keyLayout({nft::KeyField::mark(), nft::KeyField::mark()}));
}

nft::ElementSpec stampElement(uint64_t stamp) {
  nft::KeyBuilder b;
  b.hostU32(static_cast<uint32_t>(stamp >> 32)).hostU32(static_cast<uint32_t>(stamp));
  nft::ElementSpec e;
  e.key = b.take();
  e.comment = "hash of kpx's table, to recognise it after a restart";
  e.label = "stamp";
  return e;
}

// Ports rendered into one delta before it is written to the batch during a full sync: bounds
// the memory a full sync holds at once (a whole 10k-service table rendered is ~200 MB), at the
// cost of a few more element messages (each chunk packs its own).
constexpr size_t kPortsPerChunk = 2000;

// Renders one family's whole table into `model` (fresh). With a delta, writes it out every
// kPortsPerChunk ports through `flush`; without, only the stamp and the claims are computed.
void buildTable(IPFamily family, const ProxyState& state, const std::vector<IPAddr>& nodePortIPs,
                TableModel& model, TableDelta* delta, std::vector<std::string>& problems,
                const std::function<void(TableDelta&)>& flush = {}) {
  const auto& g = state.global;
  BaseRendering base = renderBase(family, g, nodePortIPs);
  model.setBaseChains(std::move(base.chains), delta);
  model.setBaseElements(kNodePortIPs, std::move(base.elements), delta);
  size_t inChunk = 0;
  for (const auto& [key, sp] : state.servicePorts) {
    if (key.family != family) continue;
    const PortRendering r = renderPort(sp, g);
    model.updatePort(key, nullptr, &r, delta, problems);
    if (delta && flush && ++inChunk == kPortsPerChunk) {
      flush(*delta);
      delta->clear();
      inChunk = 0;
    }
  }
}

bool serves(const ProxyState& state, IPFamily family) {
  return state.global.families.empty() || state.global.families.contains(family);
}

DataplaneError exceptionError(std::string_view operation, bool writes, int errnum,
                              std::string_view what) {
  DataplaneError error{.errnum = errnum,
                       .operation = std::string(operation),
                       .object = {},
                       .detail = "unexpected exception: " + std::string(what),
                       // A write may have reached the kernel before the throw.
                       .outcomeUnknown = writes,
                       .unsupported = false};
  log::error("nftables " + error.str());
  return error;
}

// The last resort of the Dataplane contract (nothing throws out of sync, dump, render or
// cleanup, CONTRIBUTING habit 6): whatever escapes the code below, a bug or std::bad_alloc,
// becomes a DataplaneError naming the operation. The code itself throws nothing on purpose:
// RuleBuilder records a rule it cannot build and fails the batch, numbers are parsed with
// std::from_chars.
template <typename Fn>
auto guarded(std::string_view operation, bool writes, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const std::bad_alloc& e) {
    return tl::unexpected(exceptionError(operation, writes, ENOMEM, e.what()));
  } catch (const std::exception& e) {
    return tl::unexpected(exceptionError(operation, writes, 0, e.what()));
  } catch (...) {
    return tl::unexpected(exceptionError(operation, writes, 0, "not a std::exception"));
  }
}

}  // namespace

DataplaneResult<std::unique_ptr<NftablesDataplane>> NftablesDataplane::create(
    BackendOptions options) {
  auto dp = std::make_unique<NftablesDataplane>(std::move(options));
  if (auto s = dp->socket("open netlink socket"); !s) return tl::unexpected(s.error());
  return dp;
}

DataplaneResult<nft::Socket*> NftablesDataplane::socket(const char* operation) {
  if (!socket_) {
    auto opened = nft::Socket::open();
    if (!opened) return tl::unexpected(nft::toDataplaneError(opened.error(), operation));
    socket_.emplace(std::move(*opened));
  }
  return &*socket_;
}

std::vector<IPAddr> NftablesDataplane::nodePortIPs(const GlobalState& global) const {
  if (global.nodePortAddresses.allLocal || !options_.nodeAddresses) return {};
  auto addresses = options_.nodeAddresses();
  if (!addresses) {
    log::error("nftables: " + addresses.error().str() +
               "; NodePorts limited by nodePortAddresses get no address");
    return {};
  }
  return kpx::nodePortIPs(global.nodePortAddresses, *addresses);
}

DataplaneResult<SyncReport> NftablesDataplane::commit(nft::Batch& batch, const char* what) {
  SyncReport report;
  report.messages = batch.messageCount();
  stats_.lastMessages = report.messages;
  if (batch.empty()) return report;
  auto sock = socket(what);
  if (!sock) {
    needFull_ = true;
    return tl::unexpected(sock.error());
  }
  auto committed = batch.commit(**sock);
  if (!committed) {
    // The kernel applied none of it (or, with lost acks, we cannot know): the previous rules
    // stay in force and the next sync rebuilds the whole table.
    needFull_ = true;
    DataplaneError error = nft::toDataplaneError(committed.error(), what);
    log::error("nftables " + error.str());
    return tl::unexpected(std::move(error));
  }
  return report;
}

bool NftablesDataplane::kernelHolds(nft::Socket& socket,
                                    const std::map<IPFamily, FamilyTable>& fresh) {
  nft::Reader reader(socket);
  for (IPFamily family : kFamilies) {
    // A table of a family no longer served must go: only the write path removes it.
    if (!fresh.contains(family) && reader.elements(nftFamily(family), kTable, kStampSet))
      return false;
  }
  for (const auto& [family, table] : fresh) {
    auto elements = reader.elements(nftFamily(family), kTable, kStampSet);
    if (!elements || elements->size() != 1) return false;
    const nft::ElementSpec want = stampElement(table.model.stamp());
    if ((*elements)[0].key != want.key) return false;
    // `nft flush table` empties every chain but keeps set elements, the stamp among them: the
    // fixed layout's chains (a few rules each) must still hold their rules.
    for (const auto& [name, chain] : table.model.baseChains()) {
      auto rules = reader.rules(nftFamily(family), kTable, name);
      if (!rules || rules->size() != chain.rules.size()) return false;
    }
  }
  return true;
}

DataplaneResult<SyncReport> NftablesDataplane::fullSync(const ProxyState& desired) {
  // Two passes. The first computes the model kpx keeps (claims and the stamp) without rendering
  // anything into a batch, so its long-lived allocations come before, not between, the tens of
  // MB of temporaries the write makes: those are then freed in one piece and go back to the
  // kernel (writing through the kept model left ~23 MiB of fragments at 10,000 x 10). The same
  // pass decides whether a restarting process can adopt the kernel's table as it is.
  std::map<IPFamily, FamilyTable> fresh;
  std::vector<std::string> problems;
  const std::vector<IPAddr> nodeIPs = nodePortIPs(desired.global);
  for (IPFamily family : kFamilies)
    if (serves(desired, family))
      buildTable(family, desired, nodeIPs, fresh[family].model, nullptr, problems);
  for (const auto& p : problems) log::warn("nftables: " + p);
  auto sock = socket("full sync");
  if (!sock) return tl::unexpected(sock.error());
  if (firstSync_ && kernelHolds(**sock, fresh)) {
    log::info("nftables: kpx tables already hold the desired state; adopted without changes");
    ++stats_.adoptedTables;
    stats_.lastMessages = 0;
    tables_ = std::move(fresh);
    needFull_ = false;
    firstSync_ = false;
    ++stats_.fullSyncs;
    return SyncReport{.messages = 0, .full = true};
  }
  DataplaneResult<SyncReport> result;
  {
    nft::Batch batch;
    std::vector<std::string> again;  // the first pass reported them already
    for (IPFamily family : kFamilies) {
      const auto f = nftFamily(family);
      // add + delete + add: replaces the table whether or not it existed, in one transaction.
      batch.addTable(f, {std::string(kTable), ""});
      batch.deleteTable(f, kTable);
      if (!serves(desired, family)) continue;
      batch.addTable(f, {std::string(kTable), "kpx: Kubernetes services; managed by kpx"});
      const BaseRendering base = renderBase(family, desired.global, {});
      for (const auto& set : base.sets) batch.addSet(f, kTable, set);
      batch.addSet(f, kTable, stampSet());
      TableModel scratch;
      TableDelta delta;
      buildTable(family, desired, nodeIPs, scratch, &delta, again,
                 [&](TableDelta& d) { writeDelta(batch, f, d); });
      writeDelta(batch, f, delta);
      // `fresh` holds every family served (first pass above).
      const auto kept = fresh.find(family);
      const nft::ElementSpec stamp =
          stampElement(kept != fresh.end() ? kept->second.model.stamp() : 0);
      batch.addElements(f, kTable, kStampSet, std::span(&stamp, 1));
    }
    result = commit(batch, "full sync");
  }
  // The batch and the renderings were tens of MB, freed now; glibc keeps freed heap mapped
  // unless asked, which would leave the agent's RSS at the full sync's peak.
  malloc_trim(0);
  if (!result) return result;
  tables_ = std::move(fresh);
  needFull_ = false;
  firstSync_ = false;
  ++stats_.fullSyncs;
  result->full = true;
  return result;
}

DataplaneResult<SyncReport> NftablesDataplane::incrementalSync(const ProxyState& desired,
                                                               const StateChanges& changes) {
  if (changes.global) return fullSync(desired);
  nft::Batch batch;
  std::vector<std::string> problems;
  for (auto& [family, table] : tables_) {
    TableDelta delta;
    const uint64_t before = table.model.stamp();
    for (const auto& [key, previous] : changes.before) {
      if (key.family != family) continue;
      auto now = desired.servicePorts.find(key);
      const ServicePortState* next = now == desired.servicePorts.end() ? nullptr : &now->second;
      if (previous && next && *previous == *next) continue;  // listed, but unchanged
      std::optional<PortRendering> was, will;
      if (previous) was = renderPort(*previous, desired.global);
      if (next) will = renderPort(*next, desired.global);
      table.model.updatePort(key, was ? &*was : nullptr, will ? &*will : nullptr, &delta, problems);
    }
    // Ports that lost an element to another port's claim get another chance: the claimant
    // may be gone now.
    for (const auto& key : table.model.conflictedPorts()) {
      auto it = desired.servicePorts.find(key);
      if (it == desired.servicePorts.end()) continue;
      const PortRendering r = renderPort(it->second, desired.global);
      table.model.updatePort(key, &r, &r, &delta, problems);
    }
    if (delta.empty()) continue;
    const auto f = nftFamily(family);
    writeDelta(batch, f, delta);
    const nft::ElementSpec oldStamp = stampElement(before);
    const nft::ElementSpec newStamp = stampElement(table.model.stamp());
    batch.deleteElements(f, kTable, kStampSet, std::span(&oldStamp, 1));
    batch.addElements(f, kTable, kStampSet, std::span(&newStamp, 1));
  }
  for (const auto& p : problems) log::warn("nftables: " + p);
  auto result = commit(batch, "incremental sync");
  if (!result) return result;
  ++stats_.incrementalSyncs;
  return result;
}

DataplaneResult<SyncReport> NftablesDataplane::sync(const ProxyState& desired, SyncKind kind,
                                                    const StateChanges& changes) {
  auto result =
      guarded(std::string(toString(kind)) + " sync", true, [&]() -> DataplaneResult<SyncReport> {
        if (kind == SyncKind::Full || needFull_) return fullSync(desired);
        // The periodic check: each table's stamp is what this process last wrote (one small read
        // per family). A table deleted, flushed or replaced behind kpx's back is rewritten now
        // rather than at the next hourly full sync.
        auto sock = socket("verify");
        if (!sock) return tl::unexpected(sock.error());
        if (kind == SyncKind::Verify && !kernelHolds(**sock, tables_)) {
          log::warn(
              "nftables: kpx's tables are not as kpx left them (changed outside kpx); rewriting "
              "them");
          ++stats_.repairs;
          return fullSync(desired);
        }
        return incrementalSync(desired, changes);
      });
  // Whatever failed, and wherever (an exception may have left the model half updated), the next
  // sync rebuilds everything (the Dataplane contract).
  if (!result) needFull_ = true;
  return result;
}

DataplaneResult<Inventory> NftablesDataplane::dump() {
  return guarded("dump", false, [&]() -> DataplaneResult<Inventory> {
    auto sock = socket("dump");
    if (!sock) return tl::unexpected(sock.error());
    return readInventory(**sock);
  });
}

DataplaneResult<void> NftablesDataplane::cleanup() {
  auto result = guarded("cleanup", true, [&]() -> DataplaneResult<void> {
    nft::Batch batch;
    for (IPFamily family : kFamilies) {
      batch.addTable(nftFamily(family), {std::string(kTable), ""});
      batch.deleteTable(nftFamily(family), kTable);
    }
    auto committed = commit(batch, "cleanup");
    if (!committed) return tl::unexpected(committed.error());
    tables_.clear();
    return {};
  });
  needFull_ = true;  // done or not, the tables are no longer known
  return result;
}

DataplaneResult<std::string> NftablesDataplane::render(const ProxyState& state) const {
  return guarded("render", false, [&]() -> DataplaneResult<std::string> {
    const std::vector<IPAddr> nodeIPs = nodePortIPs(state.global);
    std::string out;
    for (IPFamily family : kFamilies) {
      if (!serves(state, family)) continue;
      TableModel model;
      TableDelta delta;
      std::vector<std::string> problems;
      buildTable(family, state, nodeIPs, model, &delta, problems);
      const std::string fam(ipKeyword(family));
      out += "table " + fam + " " + std::string(kTable) + " {\n";
      for (const auto& set : renderBase(family, state.global, {}).sets) {
        out += "\t" + std::string(set.isMap() ? "map " : "set ") + set.name + " {\n";
        bool any = false;
        for (const auto& [id, e] : delta.addedElements()) {
          if (e.map != set.name) continue;
          out += std::string(any ? ",\n" : "\t\telements = { ") + (any ? "\t\t\t     " : "") +
                 e.text() + (e.comment.empty() ? "" : " comment \"" + e.comment + "\"");
          any = true;
        }
        out += any ? " }\n\t}\n" : "\t}\n";
      }
      for (const auto& [name, chain] : delta.addedChains()) {
        out += "\n\tchain " + name + " {\n";
        if (chain.base)
          out += "\t\ttype " + chain.base->type + " hook " +
                 std::string(nft::hookName(chain.base->hook)) + " priority " +
                 std::to_string(chain.base->priority) + "; policy accept;\n";
        for (const auto& r : chain.rules) out += "\t\t" + r.text + "\n";
        out += "\t}\n";
      }
      for (const auto& p : problems) out += "\t# skipped: " + p + "\n";
      out += "}\n";
    }
    return out;
  });
}

}  // namespace kpx::nftables
