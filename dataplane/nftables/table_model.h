// What kpx has applied to one family's table: chains and elements by identity, each element
// owned by one service port (or by the base layout), plus an order-independent hash of it all
// (the stamp kept in the kernel, to recognise our own table after a restart).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "dataplane/nftables/rendering.h"
#include "proxy/state.h"

namespace kpx::nftables {

using ElementId = std::pair<std::string, std::vector<uint8_t>>;  // (map, key)

// The objects one sync adds or removes, in the order a batch must send them.
struct TableDelta {
  std::vector<const ChainDef*> addChains;      // new chains: created, then filled
  std::vector<const ChainDef*> rewriteChains;  // existing chains whose rules changed
  std::vector<std::string> removeChains;       // flushed, then deleted last
  std::vector<ElementDef> removeElements;
  std::vector<ElementDef> addElements;
  bool empty() const {
    return addChains.empty() && rewriteChains.empty() && removeChains.empty() &&
           removeElements.empty() && addElements.empty();
  }
};

class TableModel {
 public:
  // Replaces a service port's objects (nullopt: removes the port). Elements whose key another
  // port already owns are left out and reported in `conflicts`. Records what changed in delta.
  void setPort(const ServicePortKey& key, std::optional<PortRendering> rendering,
               TableDelta& delta, std::vector<std::string>& conflicts);
  // Replaces the base layout's elements of `map` (cluster-ips, nodeport-ips).
  void setBaseElements(std::string_view map, std::vector<ElementDef> elements, TableDelta& delta);
  void setBaseChains(std::vector<ChainDef> chains, TableDelta& delta);

  uint64_t stamp() const { return stamp_; }
  // Ports some of whose elements were left out because another port held the key.
  std::vector<ServicePortKey> conflictedPorts() const {
    return {conflicted_.begin(), conflicted_.end()};
  }
  const std::map<std::string, ChainDef>& chains() const { return chains_; }
  const std::map<ElementId, ElementDef>& elements() const { return elements_; }

 private:
  void putChain(ChainDef chain, TableDelta& delta);
  void dropChain(const std::string& name, TableDelta& delta);
  void putElement(ElementDef element, TableDelta& delta);
  void dropElement(const ElementId& id, TableDelta& delta);

  std::map<std::string, ChainDef> chains_;
  std::map<ElementId, ElementDef> elements_;
  std::map<ElementId, ServicePortKey> owner_;
  std::map<ElementId, uint32_t> sharedRefs_;  // ElementDef::shared: how many ports want it
  struct PortObjects {
    std::set<std::string> chains;
    std::set<ElementId> elements;
  };
  std::map<ServicePortKey, PortObjects> ports_;
  std::map<std::string, std::vector<ElementId>> baseElements_;
  std::vector<std::string> baseChains_;
  std::set<ServicePortKey> conflicted_;
  uint64_t stamp_ = 0;
};

uint64_t hashOf(const ChainDef& chain);
uint64_t hashOf(const ElementDef& element);

}  // namespace kpx::nftables
