#include "dataplane/fake/fake_dataplane.h"

namespace kpx::fake {
namespace {

constexpr std::string_view kPrefix = "kpx/";

bool serves(const ProxyState& state, IPFamily family) {
  return state.global.families.empty() || state.global.families.contains(family);
}

std::map<std::string, FakeObject> objectsOf(const ProxyState& state) {
  std::map<std::string, FakeObject> out;
  for (const auto& [key, sp] : state.servicePorts)
    if (serves(state, key.family)) out.merge(fakeObjectsOf(sp));
  return out;
}

// The ops that turn `from` into `to` (objects whose content changed are deleted and re-added).
void diffInto(const std::map<std::string, FakeObject>& from,
              const std::map<std::string, FakeObject>& to, std::vector<FakeOp>& ops) {
  for (const auto& [name, object] : from) {
    auto it = to.find(name);
    if (it == to.end() || !(it->second == object))
      ops.push_back({FakeOp::Kind::Delete, name, {}});
  }
  for (const auto& [name, object] : to) {
    auto it = from.find(name);
    if (it == from.end() || !(it->second == object)) ops.push_back({FakeOp::Kind::Add, name, object});
  }
}

}  // namespace

std::map<std::string, FakeObject> fakeObjectsOf(const ServicePortState& sp) {
  const InventoryPort inv = expectedInventoryPort(sp);
  const std::string base = std::string(kPrefix) + std::string(toString(sp.key.family)) + "/" +
                           sp.key.chainSuffix() + "/";
  std::map<std::string, FakeObject> out;
  for (const auto& vip : inv.vips) {
    const std::string where = vip.ip ? vip.ip->str() : "*";
    out[base + "vip/" + where + "/" + std::to_string(vip.port)] =
        FakeObject{sp.key, vip, std::nullopt, std::nullopt, vip.str()};
  }
  for (const auto& ep : inv.endpoints)
    out[base + "endpoint/" + ep.ip.str() + "/" + std::to_string(ep.port)] =
        FakeObject{sp.key, std::nullopt, ep, std::nullopt, ep.str()};
  if (inv.affinitySeconds)
    out[base + "affinity"] = FakeObject{sp.key, std::nullopt, std::nullopt, inv.affinitySeconds,
                                        "ClientIP " + std::to_string(*inv.affinitySeconds) + "s"};
  return out;
}

FakeDataplane::Objects FakeDataplane::kpxObjectsIn(const Objects& all) {
  Objects out;
  for (const auto& [name, object] : all)
    if (name.starts_with(kPrefix)) out.emplace(name, object);
  return out;
}

DataplaneResult<SyncReport> FakeDataplane::commit(const std::vector<FakeOp>& ops, const char* what) {
  if (ops.empty()) return SyncReport{.messages = 0, .full = false};
  auto done = kernel_.commit(ops);
  if (!done) {
    needFull_ = true;
    DataplaneError error = done.error();
    error.operation = what;
    return tl::unexpected(std::move(error));
  }
  return SyncReport{.messages = ops.size(), .full = false};
}

DataplaneResult<SyncReport> FakeDataplane::fullSync(const ProxyState& desired) {
  Objects want = objectsOf(desired);
  const Objects found = kpxObjectsIn(kernel_.objects());
  if (firstSync_ && found == want) {
    applied_ = std::move(want);
    needFull_ = firstSync_ = false;
    ++stats_.adopted;
    ++stats_.fullSyncs;
    return SyncReport{.messages = 0, .full = true};
  }
  // Replace kpx's objects, whatever is there, in one transaction.
  std::vector<FakeOp> ops;
  for (const auto& [name, object] : found) ops.push_back({FakeOp::Kind::Delete, name, {}});
  for (const auto& [name, object] : want) ops.push_back({FakeOp::Kind::Add, name, object});
  auto result = commit(ops, "full sync");
  if (!result) return result;
  applied_ = std::move(want);
  needFull_ = firstSync_ = false;
  ++stats_.fullSyncs;
  result->full = true;
  return result;
}

DataplaneResult<SyncReport> FakeDataplane::incrementalSync(const ProxyState& desired,
                                                           const StateChanges& changes) {
  std::vector<FakeOp> ops;
  Objects next = applied_;
  for (const auto& [key, previous] : changes.before) {
    Objects was, will;
    if (previous && serves(desired, key.family)) was = fakeObjectsOf(*previous);
    auto now = desired.servicePorts.find(key);
    if (now != desired.servicePorts.end() && serves(desired, key.family))
      will = fakeObjectsOf(now->second);
    diffInto(was, will, ops);
    for (const auto& [name, object] : was) next.erase(name);
    for (const auto& [name, object] : will) next[name] = object;
  }
  auto result = commit(ops, "incremental sync");
  if (!result) return result;
  applied_ = std::move(next);
  ++stats_.incrementalSyncs;
  return result;
}

DataplaneResult<SyncReport> FakeDataplane::sync(const ProxyState& desired, SyncKind kind,
                                                const StateChanges& changes) {
  if (kind == SyncKind::Full || needFull_ || changes.global) return fullSync(desired);
  if (kind == SyncKind::Verify && kpxObjectsIn(kernel_.objects()) != applied_) {
    ++stats_.repairs;
    return fullSync(desired);
  }
  return incrementalSync(desired, changes);
}

DataplaneResult<Inventory> FakeDataplane::dump() {
  std::map<ServicePortKey, InventoryPort> ports;
  for (const auto& [name, object] : kpxObjectsIn(kernel_.objects())) {
    InventoryPort& p = ports[object.port];
    p.key = object.port;
    if (object.vip) p.vips.push_back(*object.vip);
    if (object.endpoint) p.endpoints.push_back(*object.endpoint);
    if (object.affinitySeconds) p.affinitySeconds = object.affinitySeconds;
  }
  Inventory inv;
  for (auto& [key, p] : ports) inv.ports.push_back(std::move(p));
  normalize(inv);
  for (const auto& [name, object] : kpxObjectsIn(kernel_.objects()))
    inv.raw += name + " " + object.text + "\n";
  return inv;
}

DataplaneResult<std::string> FakeDataplane::render(const ProxyState& desired) const {
  std::string out;
  for (const auto& [name, object] : objectsOf(desired)) out += "add " + name + " " + object.text + "\n";
  return out;
}

DataplaneResult<void> FakeDataplane::cleanup() {
  std::vector<FakeOp> ops;
  for (const auto& [name, object] : kpxObjectsIn(kernel_.objects()))
    ops.push_back({FakeOp::Kind::Delete, name, {}});
  if (auto done = commit(ops, "cleanup"); !done) return tl::unexpected(done.error());
  applied_.clear();
  needFull_ = true;
  return {};
}

}  // namespace kpx::fake
