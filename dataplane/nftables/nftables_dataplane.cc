#include "dataplane/nftables/nftables_dataplane.h"

#include <malloc.h>

#include <chrono>
#include <functional>

#include "dataplane/nftables/batch_writer.h"
#include "dataplane/nftables/elements.h"
#include "dataplane/nftables/inventory.h"
#include "dataplane/nftables/local_addresses.h"
#include "dataplane/nftables/names.h"
#include "dataplane/nftables/netlink/reader.h"
#include "dataplane/nftables/render_base.h"
#include "dataplane/nftables/render_port.h"
#include "dataplane/nftables/rules.h"
#include "proxy/diff.h"
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
void buildTable(IPFamily family, const ProxyState& state, TableModel& model, TableDelta* delta,
                std::vector<std::string>& problems,
                const std::function<void(TableDelta&)>& flush = {}) {
  const auto& g = state.global;
  BaseRendering base = renderBase(family, g, nodePortAddresses(g.nodePortAddresses));
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

}  // namespace

tl::expected<std::unique_ptr<NftablesDataplane>, std::string> NftablesDataplane::create() {
  auto socket = nft::Socket::open();
  if (!socket) return tl::unexpected(socket.error().str());
  return std::unique_ptr<NftablesDataplane>(new NftablesDataplane(std::move(*socket)));
}

SyncResult NftablesDataplane::commit(nft::Batch& batch, const char* what) {
  SyncResult result;
  result.messages = batch.messageCount();
  stats_.lastMessages = result.messages;
  if (batch.empty()) return result;
  auto committed = batch.commit(socket_);
  if (!committed) {
    // The kernel applied none of it (or, with lost acks, we cannot know): the previous rules
    // stay in force and the next sync rebuilds the whole table.
    needFull_ = true;
    result.ok = false;
    result.error = std::string(what) + ": " + committed.error().str();
    log::error("nftables " + result.error);
  }
  return result;
}

bool NftablesDataplane::kernelHolds(const std::map<IPFamily, FamilyTable>& fresh) {
  nft::Reader reader(socket_);
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

SyncResult NftablesDataplane::fullSync(const ProxyState& desired) {
  // Two passes. The first computes the model kpx keeps (claims and the stamp) without rendering
  // anything into a batch, so its long-lived allocations come before, not between, the tens of
  // MB of temporaries the write makes: those are then freed in one piece and go back to the
  // kernel (writing through the kept model left ~23 MiB of fragments at 10,000 x 10). The same
  // pass decides whether a restarting process can adopt the kernel's table as it is.
  std::map<IPFamily, FamilyTable> fresh;
  std::vector<std::string> problems;
  for (IPFamily family : kFamilies)
    if (serves(desired, family)) buildTable(family, desired, fresh[family].model, nullptr, problems);
  for (const auto& p : problems) log::warn("nftables: " + p);
  if (firstSync_ && kernelHolds(fresh)) {
    log::info("nftables: kpx tables already hold the desired state; adopted without changes");
    ++stats_.adoptedTables;
    stats_.lastMessages = 0;
    tables_ = std::move(fresh);
    needFull_ = false;
    firstSync_ = false;
    ++stats_.fullSyncs;
    return {.ok = true, .error = "", .messages = 0, .full = true};
  }
  SyncResult result;
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
      buildTable(family, desired, scratch, &delta, again,
                 [&](TableDelta& d) { writeDelta(batch, f, d); });
      writeDelta(batch, f, delta);
      const nft::ElementSpec stamp = stampElement(fresh.at(family).model.stamp());
      batch.addElements(f, kTable, kStampSet, std::span(&stamp, 1));
    }
    result = commit(batch, "full sync");
  }
  // The batch and the renderings were tens of MB, freed now; glibc keeps freed heap mapped
  // unless asked, which would leave the agent's RSS at the full sync's peak.
  malloc_trim(0);
  if (!result.ok) return result;
  tables_ = std::move(fresh);
  needFull_ = false;
  firstSync_ = false;
  ++stats_.fullSyncs;
  result.full = true;
  return result;
}

SyncResult NftablesDataplane::incrementalSync(const ProxyState& desired,
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
      table.model.updatePort(key, was ? &*was : nullptr, will ? &*will : nullptr, &delta,
                             problems);
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
  SyncResult result = commit(batch, "incremental sync");
  if (!result.ok) return result;
  ++stats_.incrementalSyncs;
  return result;
}

SyncResult NftablesDataplane::apply(const ProxyState& desired, SyncKind kind,
                                    const StateChanges& changes) {
  if (kind == SyncKind::Full || needFull_) return fullSync(desired);
  // The periodic check: each table's stamp is what this process last wrote (one small read per
  // family). A table deleted, flushed or replaced behind kpx's back is rewritten now rather than
  // at the next hourly full sync.
  if (kind == SyncKind::Verify && !kernelHolds(tables_)) {
    log::warn("nftables: kpx's tables are not as kpx left them (changed outside kpx); rewriting them");
    ++stats_.repairs;
    return fullSync(desired);
  }
  return incrementalSync(desired, changes);
}

Inventory NftablesDataplane::dump() {
  auto inventory = readInventory(socket_);
  if (!inventory) {
    log::error("nftables dump: " + inventory.error());
    Inventory failed;
    failed.error = inventory.error();
    return failed;
  }
  return std::move(*inventory);
}

SyncResult NftablesDataplane::cleanup() {
  nft::Batch batch;
  for (IPFamily family : kFamilies) {
    batch.addTable(nftFamily(family), {std::string(kTable), ""});
    batch.deleteTable(nftFamily(family), kTable);
  }
  SyncResult result = commit(batch, "cleanup");
  if (result.ok) {
    tables_.clear();
    needFull_ = true;
  }
  return result;
}

std::string NftablesDataplane::renderText(const ProxyState& state) {
  std::string out;
  for (IPFamily family : kFamilies) {
    if (!serves(state, family)) continue;
    TableModel model;
    TableDelta delta;
    std::vector<std::string> problems;
    buildTable(family, state, model, &delta, problems);
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
}

}  // namespace kpx::nftables
