#include "dataplane/nftables/nftables_dataplane.h"

#include <chrono>

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

// Renders one family's whole table into `table` (fresh), recording every object in `delta`.
void buildTable(IPFamily family, const ProxyState& state, TableModel& model, TableDelta& delta,
                std::vector<std::string>& problems) {
  const auto& g = state.global;
  BaseRendering base = renderBase(family, g, nodePortAddresses(g.nodePortAddresses));
  model.setBaseChains(std::move(base.chains), delta);
  model.setBaseElements(kNodePortIPs, std::move(base.elements), delta);
  for (const auto& [key, sp] : state.servicePorts) {
    if (key.family != family) continue;
    model.setPort(key, renderPort(sp, g), delta, problems);
  }
  model.setBaseElements(kClusterIPs, clusterIPElements(family, state), delta);
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

bool NftablesDataplane::adoptIfInPlace(const std::map<IPFamily, FamilyTable>& fresh) {
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
  }
  return true;
}

SyncResult NftablesDataplane::fullSync(const ProxyState& desired) {
  std::map<IPFamily, FamilyTable> fresh;
  std::map<IPFamily, TableDelta> deltas;
  std::vector<std::string> problems;
  for (IPFamily family : kFamilies) {
    if (!serves(desired, family)) continue;
    auto& t = fresh[family];
    buildTable(family, desired, t.model, deltas[family], problems);
  }
  for (const auto& p : problems) log::warn("nftables: " + p);

  if (firstSync_ && adoptIfInPlace(fresh)) {
    // A restart onto our own, identical table: nothing to write, connections untouched.
    log::info("nftables: kpx tables already hold the desired state; adopted without changes");
    ++stats_.adoptedTables;
  } else {
    nft::Batch batch;
    for (IPFamily family : kFamilies) {
      const auto f = nftFamily(family);
      // add + delete + add: replaces the table whether or not it existed, in one transaction.
      batch.addTable(f, {std::string(kTable), ""});
      batch.deleteTable(f, kTable);
      if (!fresh.contains(family)) continue;
      batch.addTable(f, {std::string(kTable), "kpx: Kubernetes services; managed by kpx"});
      const BaseRendering base = renderBase(family, desired.global, {});
      for (const auto& set : base.sets) batch.addSet(f, kTable, set);
      batch.addSet(f, kTable, stampSet());
      writeDelta(batch, f, deltas[family]);
      const nft::ElementSpec stamp = stampElement(fresh[family].model.stamp());
      batch.addElements(f, kTable, kStampSet, std::span(&stamp, 1));
    }
    SyncResult result = commit(batch, "full sync");
    if (!result.ok) return result;
  }
  tables_ = std::move(fresh);
  applied_ = desired;
  needFull_ = false;
  firstSync_ = false;
  ++stats_.fullSyncs;
  return {true, "", stats_.lastMessages};
}

SyncResult NftablesDataplane::incrementalSync(const ProxyState& desired) {
  const StateDiff d = diff(*applied_, desired);
  if (d.globalChanged) return fullSync(desired);
  SyncResult result;
  if (d.empty()) {
    applied_ = desired;
    return result;
  }
  // cluster-ips is rebuilt from every service: only worth it when a ClusterIP may have
  // come or gone (an endpoint change, the common case, cannot change it).
  bool clusterIPsMayChange = !d.added.empty() || !d.removed.empty();
  for (const auto& key : d.changed)
    if (applied_->servicePorts.at(key).clusterIP != desired.servicePorts.at(key).clusterIP)
      clusterIPsMayChange = true;
  nft::Batch batch;
  std::vector<std::string> problems;
  for (auto& [family, table] : tables_) {
    TableDelta delta;
    const uint64_t before = table.model.stamp();
    for (const auto& key : d.removed) {
      if (key.family != family) continue;
      table.model.setPort(key, std::nullopt, delta, problems);
    }
    for (const auto* list : {&d.added, &d.changed}) {
      for (const auto& key : *list) {
        if (key.family != family) continue;
        table.model.setPort(key, renderPort(desired.servicePorts.at(key), desired.global), delta,
                            problems);
      }
    }
    // Ports that lost an element to another port's claim get another chance: the claimant
    // may be gone now.
    for (const auto& key : table.model.conflictedPorts()) {
      auto it = desired.servicePorts.find(key);
      if (it != desired.servicePorts.end())
        table.model.setPort(key, renderPort(it->second, desired.global), delta, problems);
    }
    if (clusterIPsMayChange)
      table.model.setBaseElements(kClusterIPs, clusterIPElements(family, desired), delta);
    if (delta.empty()) continue;
    const auto f = nftFamily(family);
    writeDelta(batch, f, delta);
    const nft::ElementSpec oldStamp = stampElement(before);
    const nft::ElementSpec newStamp = stampElement(table.model.stamp());
    batch.deleteElements(f, kTable, kStampSet, std::span(&oldStamp, 1));
    batch.addElements(f, kTable, kStampSet, std::span(&newStamp, 1));
  }
  for (const auto& p : problems) log::warn("nftables: " + p);
  result = commit(batch, "incremental sync");
  if (!result.ok) return result;
  // Only the ports that changed are copied: copying the whole state (100,000 endpoints at 10k
  // services) would make every sync cost O(cluster) again.
  for (const auto& key : d.removed) applied_->servicePorts.erase(key);
  for (const auto* list : {&d.added, &d.changed})
    for (const auto& key : *list) applied_->servicePorts.insert_or_assign(key, desired.servicePorts.at(key));
  ++stats_.incrementalSyncs;
  return result;
}

SyncResult NftablesDataplane::apply(const ProxyState& desired, SyncKind kind,
                                    const StateChanges& /*changes*/) {
  if (kind == SyncKind::Full || needFull_ || !applied_) return fullSync(desired);
  return incrementalSync(desired);
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
    applied_.reset();
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
    buildTable(family, state, model, delta, problems);
    const std::string fam(ipKeyword(family));
    out += "table " + fam + " " + std::string(kTable) + " {\n";
    for (const auto& set : renderBase(family, state.global, {}).sets) {
      out += "\t" + std::string(set.isMap() ? "map " : "set ") + set.name + " {\n";
      bool any = false;
      for (const auto& [id, e] : model.elements()) {
        if (e.map != set.name) continue;
        out += std::string(any ? ",\n" : "\t\telements = { ") + (any ? "\t\t\t     " : "") +
               e.text() + (e.comment.empty() ? "" : " comment \"" + e.comment + "\"");
        any = true;
      }
      out += any ? " }\n\t}\n" : "\t}\n";
    }
    for (const auto& [name, chain] : model.chains()) {
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
