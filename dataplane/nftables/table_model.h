// What kpx has applied to one family's table, kept small: the objects themselves are not
// stored. A service port's objects are rendered again from its previous ServicePortState when
// it changes (StateChanges carries it), so the table keeps only what no single port knows:
// which port holds an Exclusive element, how many ports want a Shared one, the base layout,
// and an order-independent hash of everything (the stamp kept in the kernel, to recognise
// our own table after a restart). At 10,000 services x 10 endpoints, keeping every rendered
// object took ~200 MB; this takes a few.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dataplane/nftables/rendering.h"
#include "proxy/state.h"

namespace kpx::nftables {

// The objects one sync adds or removes. Merges as it goes: an element added and then removed
// within one sync is never sent, a chain removed and added again is a rewrite.
class TableDelta {
 public:
  void addChain(ChainDef chain);
  void rewriteChain(ChainDef chain);
  void removeChain(const std::string& name);
  void addElement(ElementDef element);
  void removeElement(const ElementDef& element);

  bool empty() const {
    return addChains_.empty() && rewriteChains_.empty() && removeChains_.empty() &&
           removeElements_.empty() && addElements_.empty();
  }
  void clear() { *this = TableDelta{}; }

  // In the order a batch sends them (batch_writer.h). Elements by (map, key).
  const std::map<std::string, ChainDef>& addedChains() const { return addChains_; }
  const std::map<std::string, ChainDef>& rewrittenChains() const { return rewriteChains_; }
  const std::set<std::string>& removedChains() const { return removeChains_; }
  const std::map<std::string, ElementDef>& addedElements() const { return addElements_; }
  const std::vector<ElementDef>& removedElements() const { return removeElements_; }

 private:
  std::map<std::string, ChainDef> addChains_;      // new chains: created, then filled
  std::map<std::string, ChainDef> rewriteChains_;  // existing chains whose rules changed
  std::set<std::string> removeChains_;             // flushed, then deleted last
  std::vector<ElementDef> removeElements_;
  std::map<std::string, ElementDef> addElements_;  // by elementId()
};

// (map, key) as one string that sorts as the pair does.
std::string elementId(const ElementDef& element);

class TableModel {
 public:
  // Moves a service port from the objects `before` to `after` (null: the port is absent),
  // recording what changes in `delta` (null: track the table without writing, to compute the
  // stamp of a table before deciding to write it). `before` must be exactly what the previous
  // call for this port passed as `after`. Exclusive elements another port holds are left out
  // and reported in `conflicts`.
  void updatePort(const ServicePortKey& key, const PortRendering* before,
                  const PortRendering* after, TableDelta* delta,
                  std::vector<std::string>& conflicts);
  // Replaces the base layout's elements of `map` (nodeport-ips) and its chains.
  void setBaseElements(std::string_view map, std::vector<ElementDef> elements, TableDelta* delta);
  void setBaseChains(std::vector<ChainDef> chains, TableDelta* delta);

  uint64_t stamp() const { return stamp_; }
  // The fixed layout's chains as last set (setBaseChains), by name.
  const std::map<std::string, ChainDef>& baseChains() const { return baseChains_; }
  // Ports some of whose elements were left out because another port held the key: retried on
  // every sync, since the holder may be gone.
  std::vector<ServicePortKey> conflictedPorts() const {
    return {conflicted_.begin(), conflicted_.end()};
  }

 private:
  // Claims of one map, by key bytes (short keys stay inside std::string: no allocation).
  struct MapClaims {
    std::unordered_map<std::string, ServicePortKey> owner;  // Exclusive elements
    std::unordered_map<std::string, uint32_t> refs;         // Shared elements
  };
  MapClaims& claims(const std::string& map);
  void put(const ElementDef& element, TableDelta* delta);
  void drop(const ElementDef& element, TableDelta* delta);
  void putChain(const ChainDef& chain, const ChainDef* old, TableDelta* delta);
  void dropChain(const ChainDef& chain, TableDelta* delta);

  std::map<std::string, MapClaims, std::less<>> claims_;
  std::map<std::string, ChainDef> baseChains_;
  std::map<std::string, std::vector<ElementDef>, std::less<>> baseElements_;
  std::set<ServicePortKey> conflicted_;
  uint64_t stamp_ = 0;
};

uint64_t hashOf(const ChainDef& chain);
uint64_t hashOf(const ElementDef& element);

}  // namespace kpx::nftables
