#include "dataplane/nftables/table_model.h"

#include <unordered_set>
#include <utility>

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

std::string keyString(const ElementDef& e) { return std::string(e.key.begin(), e.key.end()); }

// A rendering's elements by id, in rendering order, the first of duplicates kept (the same VIP
// listed twice in one port is one element).
struct IndexedElements {
  std::vector<std::pair<std::string, const ElementDef*>> order;
  std::unordered_map<std::string, const ElementDef*> byId;

  explicit IndexedElements(const PortRendering* r) {
    if (r == nullptr) return;
    order.reserve(r->elements.size());
    byId.reserve(r->elements.size());
    for (const auto& e : r->elements) {
      std::string id = elementId(e);
      if (byId.try_emplace(id, &e).second) order.emplace_back(std::move(id), &e);
    }
  }
  const ElementDef* find(const std::string& id) const {
    auto it = byId.find(id);
    return it == byId.end() ? nullptr : it->second;
  }
};

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

std::string elementId(const ElementDef& e) {
  std::string id;
  id.reserve(e.map.size() + 1 + e.key.size());
  id.append(e.map).push_back('\0');
  id.append(e.key.begin(), e.key.end());
  return id;
}

void TableDelta::addChain(ChainDef chain) {
  // Removed earlier in this sync: the kernel still has it, with its old rules.
  if (removeChains_.erase(chain.name) > 0) {
    rewriteChain(std::move(chain));
    return;
  }
  std::string name = chain.name;
  addChains_.insert_or_assign(std::move(name), std::move(chain));
}

void TableDelta::rewriteChain(ChainDef chain) {
  auto& target = addChains_.contains(chain.name) ? addChains_ : rewriteChains_;
  std::string name = chain.name;
  target.insert_or_assign(std::move(name), std::move(chain));
}

void TableDelta::removeChain(const std::string& name) {
  if (addChains_.erase(name) > 0) return;  // created in this sync: never sent
  rewriteChains_.erase(name);
  removeChains_.insert(name);
}

void TableDelta::addElement(ElementDef element) {
  addElements_.insert_or_assign(elementId(element), std::move(element));
}

void TableDelta::removeElement(const ElementDef& element) {
  if (addElements_.erase(elementId(element)) > 0) return;  // added in this sync: never sent
  removeElements_.push_back(element);
}

TableModel::MapClaims& TableModel::claims(const std::string& map) {
  auto it = claims_.find(map);
  if (it == claims_.end()) it = claims_.emplace(map, MapClaims{}).first;
  return it->second;
}

void TableModel::put(const ElementDef& element, TableDelta* delta) {
  stamp_ ^= hashOf(element);
  if (delta) delta->addElement(element);
}

void TableModel::drop(const ElementDef& element, TableDelta* delta) {
  stamp_ ^= hashOf(element);
  if (delta) delta->removeElement(element);
}

void TableModel::putChain(const ChainDef& chain, const ChainDef* old, TableDelta* delta) {
  if (old == nullptr) {
    stamp_ ^= hashOf(chain);
    if (delta) delta->addChain(chain);
  } else if (!old->sameRules(chain)) {
    stamp_ ^= hashOf(*old) ^ hashOf(chain);
    if (delta) delta->rewriteChain(chain);
  }
}

void TableModel::dropChain(const ChainDef& chain, TableDelta* delta) {
  stamp_ ^= hashOf(chain);
  if (delta) delta->removeChain(chain.name);
}

void TableModel::updatePort(const ServicePortKey& key, const PortRendering* before,
                            const PortRendering* after, TableDelta* delta,
                            std::vector<std::string>& conflicts) {
  conflicted_.erase(key);
  const IndexedElements old(before);
  const IndexedElements next(after);

  // What the port no longer has goes first, so that an element moving between two ports of
  // one sync is free when the second one claims it.
  for (const auto& [id, e] : old.order) {
    if (next.byId.contains(id)) continue;
    switch (e->sharing) {
      case Sharing::Shared: {
        auto& refs = claims(e->map).refs;
        auto r = refs.find(keyString(*e));
        if (r != refs.end() && --r->second == 0) {
          refs.erase(r);
          drop(*e, delta);
        }
        break;
      }
      case Sharing::Unique:
        drop(*e, delta);
        break;
      case Sharing::Exclusive: {
        auto& owner = claims(e->map).owner;
        auto o = owner.find(keyString(*e));
        if (o != owner.end() && o->second == key) {
          owner.erase(o);
          drop(*e, delta);
        }
        break;
      }
    }
  }
  for (const auto& [id, e] : next.order) {
    const ElementDef* was = old.find(id);
    switch (e->sharing) {
      case Sharing::Shared:
        if (was == nullptr && claims(e->map).refs[keyString(*e)]++ == 0) put(*e, delta);
        break;
      case Sharing::Unique:
        if (was != nullptr && *was == *e) break;
        if (was != nullptr) drop(*was, delta);
        put(*e, delta);
        break;
      case Sharing::Exclusive: {
        auto& owner = claims(e->map).owner;
        auto o = owner.find(keyString(*e));
        if (o == owner.end()) {
          // Free (also when this port wanted it before and lost: the holder is gone).
          owner.emplace(keyString(*e), key);
          put(*e, delta);
        } else if (o->second != key) {
          conflicts.push_back(key.str() + ": " + e->map + " element " + e->text() +
                              " is already used by " + o->second.str());
          conflicted_.insert(key);
        } else if (was == nullptr || !(*was == *e)) {
          if (was != nullptr) drop(*was, delta);
          put(*e, delta);
        }
        break;
      }
    }
  }

  std::unordered_map<std::string_view, const ChainDef*> oldChains;
  if (before)
    for (const auto& c : before->chains) oldChains.emplace(c.name, &c);
  std::unordered_set<std::string_view> nextChains;
  if (after) {
    for (const auto& c : after->chains) {
      if (!nextChains.insert(c.name).second) continue;
      auto o = oldChains.find(c.name);
      putChain(c, o == oldChains.end() ? nullptr : o->second, delta);
    }
  }
  for (const auto& [name, c] : oldChains)
    if (!nextChains.contains(name)) dropChain(*c, delta);
}

void TableModel::setBaseElements(std::string_view map, std::vector<ElementDef> elements,
                                 TableDelta* delta) {
  auto it = baseElements_.find(map);
  if (it == baseElements_.end()) it = baseElements_.emplace(std::string(map), std::vector<ElementDef>{}).first;
  PortRendering before{{}, std::move(it->second)};
  PortRendering after{{}, std::move(elements)};
  const IndexedElements old(&before);
  const IndexedElements next(&after);
  for (const auto& [id, e] : old.order)
    if (!next.byId.contains(id)) drop(*e, delta);
  for (const auto& [id, e] : next.order) {
    const ElementDef* was = old.find(id);
    if (was != nullptr && *was == *e) continue;
    if (was != nullptr) drop(*was, delta);
    put(*e, delta);
  }
  it->second = std::move(after.elements);
}

void TableModel::setBaseChains(std::vector<ChainDef> chains, TableDelta* delta) {
  std::map<std::string, ChainDef> next;
  for (auto& c : chains) {
    auto o = baseChains_.find(c.name);
    putChain(c, o == baseChains_.end() ? nullptr : &o->second, delta);
    std::string name = c.name;
    next.insert_or_assign(std::move(name), std::move(c));
  }
  for (const auto& [name, c] : baseChains_)
    if (!next.contains(name)) dropChain(c, delta);
  baseChains_ = std::move(next);
}

}  // namespace kpx::nftables
