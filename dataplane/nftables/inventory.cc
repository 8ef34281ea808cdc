#include "dataplane/nftables/inventory.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include "dataplane/netlink/reader.h"
#include "dataplane/nftables/names.h"
#include "dataplane/nftables/rules.h"

namespace kpx::nftables {
namespace {

std::optional<Protocol> protocolOf(uint8_t number) {
  for (Protocol p : {Protocol::TCP, Protocol::UDP, Protocol::SCTP})
    if (ipProtoNumber(p) == number) return p;
  return std::nullopt;
}

std::optional<Protocol> protocolNamed(std::string_view name) {
  for (Protocol p : {Protocol::TCP, Protocol::UDP, Protocol::SCTP})
    if (toLowerString(p) == name) return p;
  return std::nullopt;
}

// A decimal number that is all of `text` (no sign, no spaces), or none: std::from_chars, which
// neither throws (std::stoul does, on junk or overflow) nor depends on the locale.
template <typename T>
std::optional<T> decimal(std::string_view text) {
  if (text.empty()) return std::nullopt;
  T value{};
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

// The timeout of a dynset expression as libnftnl prints it ("... timeout 10800000ms ..."): the
// first "timeout <1 to 12 digits>ms" in the text.
std::optional<uint64_t> dynsetTimeoutMs(std::string_view text) {
  constexpr std::string_view kWord = "timeout ";
  for (size_t at = text.find(kWord); at != std::string_view::npos; at = text.find(kWord, at + 1)) {
    const std::string_view rest = text.substr(at + kWord.size());
    size_t digits = 0;
    while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
    if (digits == 0 || digits > 12 || rest.substr(digits, 2) != "ms") continue;
    if (auto ms = decimal<uint64_t>(rest.substr(0, digits))) return ms;
  }
  return std::nullopt;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || s[i] == sep) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  return out;
}

// "ns/name/tcp/port" (ServicePortKey::chainSuffix(), in chain names and endpoint comments).
std::optional<ServicePortKey> keyFromSuffix(std::string_view suffix, IPFamily family) {
  const auto parts = split(suffix, '/');
  if (parts.size() != 4) return std::nullopt;
  auto protocol = protocolNamed(parts[2]);
  if (!protocol || parts[0].empty() || parts[1].empty()) return std::nullopt;
  return ServicePortKey{std::string(parts[0]), std::string(parts[1]), std::string(parts[3]),
                        *protocol, family};
}

// "ns/name:port" or "ns/name" (ServicePortKey::str(), the comment of dispatch elements).
std::optional<ServicePortKey> keyFromComment(std::string_view comment, Protocol protocol,
                                             IPFamily family) {
  const auto slash = comment.find('/');
  if (slash == std::string_view::npos || slash == 0) return std::nullopt;
  const auto colon = comment.find(':', slash);
  const std::string_view name =
      comment.substr(slash + 1, colon == std::string_view::npos ? colon : colon - slash - 1);
  if (name.empty()) return std::nullopt;
  return ServicePortKey{
      std::string(comment.substr(0, slash)), std::string(name),
      colon == std::string_view::npos ? "" : std::string(comment.substr(colon + 1)), protocol,
      family};
}

// Keys are in register layout: address (4 or 16 bytes), protocol (1 byte in 4), port (2 in 4).
struct VipKey {
  std::optional<IPAddr> ip;
  Protocol protocol = Protocol::TCP;
  uint16_t port = 0;
};

std::optional<VipKey> decodeKey(const std::vector<uint8_t>& key, IPFamily family, bool withAddr) {
  const size_t addrLen = withAddr ? (family == IPFamily::V4 ? 4 : 16) : 0;
  if (key.size() < addrLen + 8) return std::nullopt;
  VipKey out;
  if (withAddr) out.ip = IPAddr::fromBytes(family, key.data());
  auto proto = protocolOf(key[addrLen]);
  if (!proto) return std::nullopt;
  out.protocol = *proto;
  out.port = static_cast<uint16_t>(key[addrLen + 4] << 8 | key[addrLen + 5]);
  return out;
}

class InventoryBuilder {
 public:
  void addFamily(IPFamily family, const nft::TableContents& t) {
    family_ = family;
    clusterIPs_.clear();
    for (const auto& set : t.sets)
      if (set.name == kClusterIPs)
        for (const auto& el : set.elements)
          if (el.key.size() >= (family == IPFamily::V4 ? 4u : 16u))
            clusterIPs_.insert(IPAddr::fromBytes(family, el.key.data()));
    for (const auto& set : t.sets) {
      if (set.name == kServiceIPs) dispatchElements(set, true);
      if (set.name == kServiceNodePorts) dispatchElements(set, false);
      if (set.name == kNoEndpointServices) noEndpointElements(set, true);
      if (set.name == kNoEndpointNodePorts) noEndpointElements(set, false);
      if (set.name.starts_with("endpoints-")) endpointMapElements(set);
    }
    endpointChains(t);
    affinity(t);
    raw_ += "table " + std::string(ipKeyword(family)) + " " + std::string(kTable) + ": " +
            std::to_string(t.chains.size()) + " chains, " + std::to_string(t.rules.size()) +
            " rules, " + std::to_string(t.sets.size()) + " sets/maps\n";
    // Rules grouped once: scanning all rules per chain is quadratic (minutes at 10k services).
    std::map<std::string, std::vector<const nft::RuleInfo*>> rulesByChain;
    for (const auto& rule : t.rules) rulesByChain[rule.chain].push_back(&rule);
    for (const auto& chain : t.chains) {
      raw_ += "  chain " + chain.name + "\n";
      for (const auto* rule : rulesByChain[chain.name]) raw_ += "    " + rule->text() + "\n";
    }
    for (const auto& set : t.sets)
      raw_ += "  set " + set.name + ": " + std::to_string(set.elements.size()) + " elements\n";
  }

  Inventory finish() {
    Inventory inv;
    for (auto& [key, p] : ports_) {
      // An address sent to the external chain whose endpoints are not here (eTP=Local, none on
      // this node) also has a no-endpoint element: the chain only short-circuits pods and the
      // node, everyone else gets the element's action. That action is what the address does.
      std::erase_if(p.vips, [&](const InventoryVip& v) {
        return v.action == VipAction::Endpoints &&
               std::any_of(p.vips.begin(), p.vips.end(), [&](const InventoryVip& o) {
                 return o.action != VipAction::Endpoints && o.kind == v.kind && o.ip == v.ip &&
                        o.port == v.port;
               });
      });
      if (p.endpoints.empty()) p.affinitySeconds.reset();
      inv.ports.push_back(std::move(p));
    }
    normalize(inv);
    inv.raw = std::move(raw_);
    return inv;
  }

 private:
  InventoryPort& port(const ServicePortKey& key) {
    InventoryPort& p = ports_[key];
    p.key = key;
    return p;
  }

  // service-ips / service-nodeports: `vip : goto service-…` (ClusterIP) or `goto external-…`.
  void dispatchElements(const nft::SetInfo& set, bool withAddr) {
    for (const auto& el : set.elements) {
      auto vip = decodeKey(el.key, family_, withAddr);
      if (!vip || !el.verdict || el.verdict->chain.empty()) continue;
      const auto parsed = parseChainName(el.verdict->chain);
      auto key = keyFromSuffix(parsed.port, family_);
      if (!key || (parsed.kind != "service" && parsed.kind != "external")) continue;
      const VipKind kind = !withAddr                  ? VipKind::NodePort
                           : parsed.kind == "service" ? VipKind::ClusterIP
                                                      : VipKind::External;
      port(*key).vips.push_back({kind, vip->ip, vip->port, VipAction::Endpoints});
    }
  }

  // no-endpoint-*: `vip : goto reject-chain` or `: drop`; the comment names the port.
  void noEndpointElements(const nft::SetInfo& set, bool withAddr) {
    for (const auto& el : set.elements) {
      auto vip = decodeKey(el.key, family_, withAddr);
      if (!vip || !el.verdict) continue;
      auto key = keyFromComment(el.comment, vip->protocol, family_);
      if (!key) continue;
      const VipKind kind = !withAddr                        ? VipKind::NodePort
                           : clusterIPs_.contains(*vip->ip) ? VipKind::ClusterIP
                                                            : VipKind::External;
      const VipAction action =
          el.verdict->code == nft::VerdictCode::Drop ? VipAction::Drop : VipAction::Reject;
      port(*key).vips.push_back({kind, vip->ip, vip->port, action});
    }
  }

  // Endpoints of services without affinity are elements of the endpoint maps: the comment names
  // the service port, the data is the DNAT target.
  void endpointMapElements(const nft::SetInfo& set) {
    const size_t addrLen = family_ == IPFamily::V4 ? 4 : 16;
    for (const auto& el : set.elements) {
      if (el.data.size() < addrLen + 2) continue;
      auto key = keyFromSuffix(el.comment, family_);
      if (!key) continue;
      const IPAddr ip = IPAddr::fromBytes(family_, el.data.data());
      const auto p = static_cast<uint16_t>(el.data[addrLen] << 8 | el.data[addrLen + 1]);
      port(*key).endpoints.push_back({ip, p, EndpointPhase::Active});
    }
  }

  // Endpoints of affinity services are endpoint chains, "endpoint-H-ns/name/tcp/port__ip/port".
  void endpointChains(const nft::TableContents& t) {
    for (const auto& chain : t.chains) {
      const auto parsed = parseChainName(chain.name);
      if (parsed.kind != "endpoint") continue;
      auto key = keyFromSuffix(parsed.port, family_);
      const auto slash = parsed.endpoint.rfind('/');
      if (!key || slash == std::string::npos) continue;
      auto ip = IPAddr::parse(std::string_view(parsed.endpoint).substr(0, slash));
      const auto p = decimal<uint16_t>(std::string_view(parsed.endpoint).substr(slash + 1));
      if (!ip || !p) continue;
      port(*key).endpoints.push_back({*ip, *p, EndpointPhase::Active});
    }
  }

  // The affinity timeout is in the endpoint chains' `update @affinity { ... timeout Ns }`.
  void affinity(const nft::TableContents& t) {
    for (const auto& rule : t.rules) {
      const auto parsed = parseChainName(rule.chain);
      if (parsed.kind != "endpoint") continue;
      auto key = keyFromSuffix(parsed.port, family_);
      if (!key) continue;
      for (const auto& expr : rule.exprs) {
        if (expr.name != "dynset") continue;
        if (auto ms = dynsetTimeoutMs(expr.text))
          port(*key).affinitySeconds = static_cast<uint32_t>(*ms / 1000);
      }
    }
  }

  IPFamily family_ = IPFamily::V4;
  std::set<IPAddr> clusterIPs_;
  std::map<ServicePortKey, InventoryPort> ports_;
  std::string raw_;
};

}  // namespace

Inventory inventoryOf(const std::vector<std::pair<IPFamily, nft::TableContents>>& tables) {
  InventoryBuilder builder;
  for (const auto& [family, table] : tables) builder.addFamily(family, table);
  return builder.finish();
}

DataplaneResult<Inventory> readInventory(nft::Socket& socket) {
  nft::Reader reader(socket);
  std::vector<std::pair<IPFamily, nft::TableContents>> tables;
  for (IPFamily family : {IPFamily::V4, IPFamily::V6}) {
    auto table = reader.table(nftFamily(family), kTable);
    if (!table) {
      if (table.error().errnum == ENOENT) continue;  // no kpx table for this family
      return tl::unexpected(nft::toDataplaneError(table.error(), "dump"));
    }
    tables.emplace_back(family, std::move(*table));
  }
  return inventoryOf(tables);
}

}  // namespace kpx::nftables
