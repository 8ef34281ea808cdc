#include "proxy/inventory.h"

#include <algorithm>

namespace kpx {
namespace {

std::string hostPort(const IPAddr& ip, uint16_t port) {
  return ip.isV4() ? ip.str() + ":" + std::to_string(port)
                   : "[" + ip.str() + "]:" + std::to_string(port);
}

VipAction actionOf(const TrafficTarget& t) {
  if (!t.endpoints.empty()) return VipAction::Endpoints;
  return t.ifEmpty == EmptyAction::Drop ? VipAction::Drop : VipAction::Reject;
}

template <typename T>
void sortUnique(std::vector<T>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

}  // namespace

std::string_view toString(VipKind k) {
  switch (k) {
    case VipKind::ClusterIP:
      return "cluster";
    case VipKind::External:
      return "external";
    case VipKind::NodePort:
      return "nodeport";
  }
  return "?";
}

std::string_view toString(VipAction a) {
  switch (a) {
    case VipAction::Endpoints:
      return "endpoints";
    case VipAction::Reject:
      return "reject";
    case VipAction::Drop:
      return "drop";
  }
  return "?";
}

std::string InventoryVip::str() const {
  std::string out = ip ? hostPort(*ip, port) : "*:" + std::to_string(port);
  out += "(" + std::string(toString(kind));
  if (action != VipAction::Endpoints) out += ", " + std::string(toString(action));
  return out + ")";
}

std::string InventoryEndpoint::str() const {
  return hostPort(ip, port) + (phase == EndpointPhase::Draining ? " (draining)" : "");
}

Inventory Inventory::withoutDraining() const {
  Inventory out;
  out.ports = ports;
  for (auto& p : out.ports)
    std::erase_if(p.endpoints,
                  [](const InventoryEndpoint& e) { return e.phase == EndpointPhase::Draining; });
  return out;
}

const InventoryPort* Inventory::find(const ServicePortKey& key) const {
  auto it = std::lower_bound(ports.begin(), ports.end(), key,
                             [](const InventoryPort& p, const ServicePortKey& k) { return p.key < k; });
  return it != ports.end() && it->key == key ? &*it : nullptr;
}

InventoryPort expectedInventoryPort(const ServicePortState& sp) {
  InventoryPort p;
  p.key = sp.key;
  p.vips.push_back({VipKind::ClusterIP, sp.clusterIP, sp.port, actionOf(sp.internal)});
  const VipAction external = actionOf(sp.external);
  for (const auto& ip : sp.externalIPs) p.vips.push_back({VipKind::External, ip, sp.port, external});
  for (const auto& ip : sp.loadBalancerIPs)
    p.vips.push_back({VipKind::External, ip, sp.port, external});
  if (sp.nodePort != 0) p.vips.push_back({VipKind::NodePort, std::nullopt, sp.nodePort, external});
  for (const auto* t : {&sp.internal, &sp.external})
    for (const auto& ep : t->endpoints) p.endpoints.push_back({ep.ip, ep.port, EndpointPhase::Active});
  sortUnique(p.vips);
  sortUnique(p.endpoints);
  if (sp.affinityTimeoutSeconds && !p.endpoints.empty()) p.affinitySeconds = sp.affinityTimeoutSeconds;
  return p;
}

Inventory expectedInventory(const ProxyState& desired) {
  Inventory inv;
  inv.ports.reserve(desired.servicePorts.size());
  // servicePorts is ordered by key, so the result is sorted as normalize() would sort it.
  for (const auto& [key, sp] : desired.servicePorts) {
    if (!desired.global.families.empty() && !desired.global.families.contains(key.family)) continue;
    inv.ports.push_back(expectedInventoryPort(sp));
  }
  return inv;
}

void normalize(Inventory& inv) {
  for (auto& p : inv.ports) {
    sortUnique(p.vips);
    sortUnique(p.endpoints);
  }
  std::sort(inv.ports.begin(), inv.ports.end(),
            [](const InventoryPort& a, const InventoryPort& b) { return a.key < b.key; });
}

std::vector<std::string> inventoryDifferences(const Inventory& want, const Inventory& got) {
  std::vector<std::string> out;
  auto name = [](const ServicePortKey& k) {
    return k.str() + "/" + std::string(toString(k.protocol)) + " (" + std::string(toString(k.family)) + ")";
  };
  auto w = want.ports.begin(), g = got.ports.begin();
  while (w != want.ports.end() || g != got.ports.end()) {
    if (g == got.ports.end() || (w != want.ports.end() && w->key < g->key)) {
      out.push_back(name(w->key) + ": missing from the kernel");
      ++w;
    } else if (w == want.ports.end() || g->key < w->key) {
      out.push_back(name(g->key) + ": in the kernel but not wanted");
      ++g;
    } else {
      if (*w != *g) out.push_back(name(w->key) + ": differs");
      ++w;
      ++g;
    }
  }
  return out;
}

}  // namespace kpx
