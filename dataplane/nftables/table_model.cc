#include "dataplane/nftables/table_model.h"

#include <algorithm>
#include <set>

namespace kpx::nftables {
namespace {

uint64_t fnv(uint64_t h, std::string_view text) {
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

constexpr uint64_t kFnvBasis = 1469598103934665603ull;

}  // namespace

// FNV is a streaming hash: hashing the pieces in order equals hashing their concatenation, so
// the stamp needs no temporary strings (a restart hashes 200,000+ objects at 10k services).
uint64_t hashOf(const ChainDef& chain) {
  uint64_t h = fnv(fnv(kFnvBasis, "chain\n"), chain.name);
  if (chain.base) h = fnv(fnv(h, chain.base->type), std::to_string(chain.base->priority));
  for (const auto& r : chain.rules) h = fnv(fnv(h, "\n"), r.text);
  return h;
}

uint64_t hashOf(const ElementDef& e) {
  uint64_t h = fnv(fnv(fnv(fnv(kFnvBasis, "element\n"), e.map), "\n"), e.keyText);
  if (e.verdict)
    h = fnv(fnv(h, " : "), e.verdict->str());
  else if (!e.dataText.empty())
    h = fnv(fnv(h, " : "), e.dataText);
  return fnv(fnv(h, "\n"), e.comment);
}

void TableModel::putChain(ChainDef chain, TableDelta& delta) {
  auto it = chains_.find(chain.name);
  if (it == chains_.end()) {
    stamp_ ^= hashOf(chain);
    auto [pos, _] = chains_.emplace(chain.name, std::move(chain));
    // Removed earlier in this sync: the kernel still has it, with its old rules.
    if (std::erase(delta.removeChains, pos->first) > 0)
      delta.rewriteChains.push_back(&pos->second);
    else
      delta.addChains.push_back(&pos->second);
    return;
  }
  if (it->second.sameRules(chain)) return;
  stamp_ ^= hashOf(it->second) ^ hashOf(chain);
  it->second = std::move(chain);
  // A chain removed and re-added within one sync is a rewrite of the existing chain.
  if (std::find(delta.addChains.begin(), delta.addChains.end(), &it->second) ==
          delta.addChains.end() &&
      std::find(delta.rewriteChains.begin(), delta.rewriteChains.end(), &it->second) ==
          delta.rewriteChains.end())
    delta.rewriteChains.push_back(&it->second);
}

void TableModel::dropChain(const std::string& name, TableDelta& delta) {
  auto it = chains_.find(name);
  if (it == chains_.end()) return;
  stamp_ ^= hashOf(it->second);
  std::erase(delta.addChains, &it->second);
  std::erase(delta.rewriteChains, &it->second);
  delta.removeChains.push_back(name);
  chains_.erase(it);
}

void TableModel::putElement(ElementDef element, TableDelta& delta) {
  ElementId id{element.map, element.key};
  auto it = elements_.find(id);
  if (it != elements_.end()) {
    if (it->second == element) return;
    dropElement(id, delta);
  }
  stamp_ ^= hashOf(element);
  delta.addElements.push_back(element);
  elements_.emplace(std::move(id), std::move(element));
}

void TableModel::dropElement(const ElementId& id, TableDelta& delta) {
  auto it = elements_.find(id);
  if (it == elements_.end()) return;
  stamp_ ^= hashOf(it->second);
  // An element added earlier in this same sync was never sent: just forget it.
  auto added = std::find(delta.addElements.begin(), delta.addElements.end(), it->second);
  if (added != delta.addElements.end())
    delta.addElements.erase(added);
  else
    delta.removeElements.push_back(it->second);
  elements_.erase(it);
}

void TableModel::setPort(const ServicePortKey& key, std::optional<PortRendering> rendering,
                         TableDelta& delta, std::vector<std::string>& conflicts) {
  // The port's record holds names and ids only: the objects themselves live once, in chains_
  // and elements_ (a restart renders 100,000+ chains; copying each twice showed in profiles).
  auto old = ports_.find(key);
  PortObjects next;
  std::vector<ElementDef> accepted;
  conflicted_.erase(key);
  if (rendering) {
    for (const auto& chain : rendering->chains) next.chains.insert(chain.name);
    for (auto& element : rendering->elements) {
      ElementId id{element.map, element.key};
      if (element.shared) {
        if (next.elements.insert(id).second) accepted.push_back(std::move(element));
        continue;
      }
      auto owner = owner_.find(id);
      if (owner != owner_.end() && owner->second != key) {
        conflicts.push_back(key.str() + ": " + element.map + " element " + element.text() +
                            " is already used by " + owner->second.str());
        conflicted_.insert(key);
        continue;
      }
      if (!next.elements.insert(id).second) continue;  // the same VIP twice in one port
      accepted.push_back(std::move(element));
    }
  }
  // Remove what the port no longer has, before adding, so a moved element is re-added.
  if (old != ports_.end()) {
    for (const auto& id : old->second.elements) {
      if (next.elements.contains(id)) continue;
      if (auto shared = sharedRefs_.find(id); shared != sharedRefs_.end()) {
        if (--shared->second == 0) {
          sharedRefs_.erase(shared);
          dropElement(id, delta);
        }
        continue;
      }
      dropElement(id, delta);
      owner_.erase(id);
    }
    for (const auto& name : old->second.chains)
      if (!next.chains.contains(name)) dropChain(name, delta);
  }
  if (!rendering) {
    if (old != ports_.end()) ports_.erase(old);
    return;
  }
  for (auto& chain : rendering->chains) putChain(std::move(chain), delta);
  for (auto& element : accepted) {
    ElementId id{element.map, element.key};
    if (element.shared) {
      const bool held = old != ports_.end() && old->second.elements.contains(id);
      if (!held && sharedRefs_[id]++ == 0) putElement(std::move(element), delta);
      continue;
    }
    owner_[id] = key;
    putElement(std::move(element), delta);
  }
  ports_[key] = std::move(next);
}

void TableModel::setBaseElements(std::string_view map, std::vector<ElementDef> elements,
                                 TableDelta& delta) {
  auto& ids = baseElements_[std::string(map)];
  std::set<ElementId> keep;
  for (const auto& e : elements) keep.insert(ElementId{e.map, e.key});
  for (const auto& id : ids)
    if (!keep.contains(id)) dropElement(id, delta);
  ids.clear();
  for (auto& e : elements) {
    ids.push_back(ElementId{e.map, e.key});
    putElement(std::move(e), delta);
  }
}

void TableModel::setBaseChains(std::vector<ChainDef> chains, TableDelta& delta) {
  std::set<std::string> keep;
  for (const auto& c : chains) keep.insert(c.name);
  for (const auto& name : baseChains_)
    if (!keep.contains(name)) dropChain(name, delta);
  baseChains_.clear();
  for (auto& c : chains) {
    baseChains_.push_back(c.name);
    putChain(std::move(c), delta);
  }
}

}  // namespace kpx::nftables
