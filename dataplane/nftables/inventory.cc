#include "dataplane/nftables/inventory.h"

#include <algorithm>
#include <map>
#include <regex>
#include <set>

#include "dataplane/nftables/names.h"
#include "dataplane/nftables/netlink/reader.h"
#include "dataplane/nftables/rules.h"

namespace kpx::nftables {
namespace {

struct Entry {
  InventoryEntry out;
  std::set<std::string> vips;
  std::set<std::string> endpoints;
};

std::optional<Protocol> protocolOf(uint8_t number) {
  for (Protocol p : {Protocol::TCP, Protocol::UDP, Protocol::SCTP})
    if (ipProtoNumber(p) == number) return p;
  return std::nullopt;
}

// "default/web/tcp/http" -> protocol
std::optional<Protocol> protocolOfPort(const std::string& port) {
  const auto parts = port.find('/', port.find('/') + 1);
  if (parts == std::string::npos) return std::nullopt;
  const std::string proto = port.substr(parts + 1, port.find('/', parts + 1) - parts - 1);
  for (Protocol p : {Protocol::TCP, Protocol::UDP, Protocol::SCTP})
    if (toLowerString(p) == proto) return p;
  return std::nullopt;
}

std::string hostPortText(const IPAddr& ip, uint16_t port) {
  return ip.isV4() ? ip.str() + ":" + std::to_string(port)
                   : "[" + ip.str() + "]:" + std::to_string(port);
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
    for (const auto& set : t.sets) {
      if (set.name == kServiceIPs) vipElements(set, true, "");
      if (set.name == kServiceNodePorts) vipElements(set, false, "");
      if (set.name == kNoEndpointServices) vipElements(set, true, "no endpoints: ");
      if (set.name == kNoEndpointNodePorts) vipElements(set, false, "no endpoints: ");
    }
    for (const auto& set : t.sets)
      if (set.name.starts_with("endpoints-")) endpointMapElements(set);
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
    for (const auto& set : t.sets) {
      raw_ += "  set " + set.name + ": " + std::to_string(set.elements.size()) + " elements\n";
    }
  }

  Inventory finish() {
    Inventory inv;
    for (auto& [key, e] : entries_) {
      e.out.vips.assign(e.vips.begin(), e.vips.end());
      e.out.endpoints.assign(e.endpoints.begin(), e.endpoints.end());
      inv.entries.push_back(std::move(e.out));
    }
    inv.raw = std::move(raw_);
    return inv;
  }

 private:
  Entry& entry(const std::string& port, const std::string& comment) {
    Entry& e = entries_[{family_, port}];
    if (e.out.name.empty()) {
      e.out.family = family_;
      e.out.protocol = protocolOfPort(port).value_or(Protocol::TCP);
      e.out.name = port;
    }
    if (!comment.empty()) e.out.name = comment;  // "ns/name:port", as kube-proxy names it
    return e;
  }

  void vipElements(const nft::SetInfo& set, bool withAddr, const std::string& prefix) {
    for (const auto& el : set.elements) {
      auto key = decodeKey(el.key, family_, withAddr);
      if (!key) continue;
      std::string port, kind;
      if (el.verdict && !el.verdict->chain.empty() && el.verdict->chain != kRejectChain) {
        const auto parsed = parseChainName(el.verdict->chain);
        port = parsed.port;
        kind = parsed.kind == "service" ? "cluster" : withAddr ? "external" : "nodeport";
      }
      if (port.empty()) {
        // No-endpoint elements point at reject-chain or drop: the comment names the port.
        if (el.comment.empty()) continue;
        // "ns/name:port" -> "ns/name/proto/port", the key served elements use.
        const auto colon = el.comment.find(':');
        port = el.comment.substr(0, colon) + "/" + std::string(toLowerString(key->protocol)) +
               "/" + (colon == std::string::npos ? "" : el.comment.substr(colon + 1));
        kind = el.verdict && el.verdict->code == nft::VerdictCode::Drop ? "drop" : "reject";
      }
      const std::string vip = withAddr ? hostPortText(*key->ip, key->port)
                                       : "*:" + std::to_string(key->port);
      entry(port, el.comment).vips.insert(prefix + vip + "(" + kind + ")");
    }
  }

  // Endpoints of services without affinity are elements of the endpoint maps: the comment names
  // the service port, the data is the DNAT target.
  void endpointMapElements(const nft::SetInfo& set) {
    const size_t addrLen = family_ == IPFamily::V4 ? 4 : 16;
    for (const auto& el : set.elements) {
      if (el.data.size() < addrLen + 2 || el.comment.empty()) continue;
      auto it = entries_.find({family_, el.comment});
      if (it == entries_.end()) continue;
      const IPAddr ip = IPAddr::fromBytes(family_, el.data.data());
      const auto port = static_cast<uint16_t>(el.data[addrLen] << 8 | el.data[addrLen + 1]);
      it->second.endpoints.insert(hostPortText(ip, port));
    }
  }

  // Endpoints of affinity services are the endpoint chains the kernel holds for each service port; their DNAT
  // target is in the name (and in the chain's dnat rule, which --format raw shows).
  void endpointChains(const nft::TableContents& t) {
    for (const auto& chain : t.chains) {
      const auto parsed = parseChainName(chain.name);
      if (parsed.kind != "endpoint") continue;
      std::string ep = parsed.endpoint;  // "10.244.0.11/8080" or "fd00::1/8080"
      const auto slash = ep.rfind('/');
      if (slash != std::string::npos) {
        auto ip = IPAddr::parse(ep.substr(0, slash));
        const std::string port = ep.substr(slash + 1);
        if (ip) ep = ip->isV4() ? ip->str() + ":" + port : "[" + ip->str() + "]:" + port;
      }
      auto it = entries_.find({family_, parsed.port});
      if (it != entries_.end()) it->second.endpoints.insert(ep);
    }
  }

  void affinity(const nft::TableContents& t) {
    static const std::regex timeout(R"(timeout (\d+)ms)");
    for (const auto& rule : t.rules) {
      const auto parsed = parseChainName(rule.chain);
      if (parsed.kind != "endpoint") continue;
      for (const auto& expr : rule.exprs) {
        std::smatch m;
        if (expr.name == "dynset" && std::regex_search(expr.text, m, timeout)) {
          auto it = entries_.find({family_, parsed.port});
          if (it != entries_.end())
            it->second.out.affinity = "ClientIP " + std::to_string(std::stoull(m[1]) / 1000) + "s";
        }
      }
    }
  }

  IPFamily family_ = IPFamily::V4;
  std::map<std::pair<IPFamily, std::string>, Entry> entries_;
  std::string raw_;
};

}  // namespace

tl::expected<Inventory, std::string> readInventory(nft::Socket& socket) {
  nft::Reader reader(socket);
  InventoryBuilder builder;
  for (IPFamily family : {IPFamily::V4, IPFamily::V6}) {
    auto table = reader.table(nftFamily(family), kTable);
    if (!table) {
      if (table.error().errnum == ENOENT) continue;  // no kpx table for this family
      return tl::unexpected(table.error().str());
    }
    builder.addFamily(family, *table);
  }
  return builder.finish();
}

}  // namespace kpx::nftables
