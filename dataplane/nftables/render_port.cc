#include "dataplane/nftables/render_port.h"

#include <chrono>
#include <map>
#include <set>

#include "dataplane/nftables/elements.h"
#include "dataplane/nftables/names.h"
#include "dataplane/nftables/rules.h"
#include "proxy/packet_plan.h"

namespace kpx::nftables {
namespace {

class PortRenderer {
 public:
  PortRenderer(const ServicePortState& sp, const GlobalState& g)
      : sp_(sp), family_(sp.key.family), plan_(planPort(sp, g)) {}

  PortRendering render() {
    const std::string svc = serviceChain(sp_.key);
    const TrafficTarget& internal = *plan_.internal.target;
    const bool internalServed = !internal.endpoints.empty();
    if (internalServed) {
      ChainDef chain{svc, std::nullopt, {}};
      addInternalMasquerade(chain);
      addSelection(chain, internal.endpoints, "internal");
      out_.chains.push_back(std::move(chain));
      element(kServiceIPs, vipKey(sp_.clusterIP, sp_.port), nft::Verdict::goTo(svc));
    } else {
      element(kNoEndpointServices, vipKey(sp_.clusterIP, sp_.port), emptyVerdict(internal));
    }
    // Every ClusterIP in use, for the check that rejects traffic to a ClusterIP's unserved
    // ports; the ports of one service share it.
    const KeyBytes ip = addrKey(sp_.clusterIP);
    out_.elements.push_back(ElementDef{std::string(kClusterIPs), ip.bytes, std::nullopt, ip.text,
                                       "", {}, "", Sharing::Shared});
    if (sp_.externallyAccessible()) renderExternal(svc, internalServed);
    for (const auto& ep : endpoints_) out_.chains.push_back(endpointChainDef(ep));
    return std::move(out_);
  }

 private:
  KeyBytes vipKey(const IPAddr& ip, uint16_t port) const {
    return serviceKey(ip, sp_.key.protocol, port);
  }

  nft::Verdict emptyVerdict(const TrafficTarget& t) const {
    return t.ifEmpty == EmptyAction::Drop ? nft::Verdict::drop() : nft::Verdict::goTo(kRejectChain);
  }

  void element(std::string_view map, const KeyBytes& key, nft::Verdict verdict) {
    out_.elements.push_back(
        ElementDef{std::string(map), key.bytes, std::move(verdict), key.text, sp_.key.str(), {}, "", Sharing::Exclusive});
  }

  // Guarded by the ClusterIP as destination: external traffic that shares this chain (a
  // short-circuit, or the same endpoint set) has had its own plan applied already.
  void addInternalMasquerade(ChainDef& chain) const {
    const LocalTrafficMatch& local = plan_.localTraffic;
    switch (plan_.internal.masquerade) {
      case InternalPlan::Masquerade::Never:
        return;
      case InternalPlan::Masquerade::Always:
        chain.rules.push_back(daddrEqualsJump(sp_.clusterIP, kMarkForMasquerade));
        return;
      case InternalPlan::Masquerade::UnlessLocal:
        if (local.kind == LocalTrafficMatch::Kind::SourceCIDR)
          chain.rules.push_back(
              daddrSaddrNotInCidrJump(sp_.clusterIP, local.cidr, kMarkForMasquerade));
        else
          chain.rules.push_back(daddrIifnameNotJump(sp_.clusterIP, local.interface,
                                                    isPrefix(local), kMarkForMasquerade));
        return;
    }
  }

  static bool isPrefix(const LocalTrafficMatch& m) {
    return m.kind == LocalTrafficMatch::Kind::InputInterfacePrefix;
  }

  // A rule sending the short-circuit's sources to `chain` (the internal endpoints).
  void addShortCircuit(ChainDef& chain, const ShortCircuit& sc, const std::string& svc) const {
    if (sc.from == SourceClass::NodeLocal) {
      if (sc.masquerade) chain.rules.push_back(fibSaddrLocalJump(kMarkForMasquerade));
      chain.rules.push_back(fibSaddrLocalGoto(svc));
      return;
    }
    const LocalTrafficMatch& local = plan_.localTraffic;
    if (sc.masquerade) chain.rules.push_back(localTrafficJump(local, kMarkForMasquerade));
    chain.rules.push_back(localTrafficGoto(local, svc));
  }

  static RuleDef localTrafficGoto(const LocalTrafficMatch& m, std::string_view chain) {
    if (m.kind == LocalTrafficMatch::Kind::SourceCIDR) return saddrInCidrGoto(m.cidr, chain);
    return iifnameGoto(m.interface, isPrefix(m), chain);
  }
  static RuleDef localTrafficJump(const LocalTrafficMatch& m, std::string_view chain) {
    if (m.kind == LocalTrafficMatch::Kind::SourceCIDR) return saddrInCidrJump(m.cidr, chain);
    return iifnameJump(m.interface, isPrefix(m), chain);
  }

  // A uniformly random endpoint. Without affinity the service chain DNATs straight from the
  // endpoint maps (layout (c), README.md): an endpoint change is then two element updates and
  // no rule, so the kernel does not revalidate the table. With affinity a client seen recently
  // goes back to its endpoint, which needs a per-endpoint chain to record the choice
  // (layout (b)).
  void addSelection(ChainDef& chain, const std::vector<EndpointState>& eps,
                    std::string_view targetName) {
    const auto n = static_cast<uint32_t>(eps.size());
    for (const auto& ep : eps) {
      const KeyBytes pair = addrPairKey(ep.ip, ep.ip);
      out_.elements.push_back(ElementDef{std::string(kHairpin), pair.bytes, std::nullopt,
                                         pair.text, "", {}, "", Sharing::Shared});
    }
    if (!sp_.affinityTimeoutSeconds) {
      const uint64_t target = targetId(sp_.key, targetName);
      const std::string map = endpointMap(static_cast<uint32_t>(target % kEndpointMaps));
      chain.rules.push_back(dnatViaTargetMapRule(family_, sp_.key.protocol, target, n, map));
      for (uint32_t i = 0; i < n; ++i) {
        const KeyBytes key = targetSlotKey(target, i);
        const KeyBytes data = endpointData(eps[i].ip, eps[i].port);
        out_.elements.push_back(ElementDef{map, key.bytes, std::nullopt, key.text,
                                           sp_.key.chainSuffix(), data.bytes, data.text, Sharing::Unique});
      }
      return;
    }
    for (uint32_t i = 0; i < n; ++i) {
      endpoints_.insert(eps[i]);
      chain.rules.push_back(
          affinityGoto(family_, affinityKey(sp_.key, eps[i]), endpointChain(sp_.key, eps[i])));
    }
    for (uint32_t i = 0; i < n; ++i)
      chain.rules.push_back(numgenGoto(i, n, endpointChain(sp_.key, eps[i])));
  }

  void renderExternal(const std::string& svc, bool internalServed) {
    const std::string ext = externalChain(sp_.key);
    ChainDef chain{ext, std::nullopt, {}};
    const ExternalPlan& plan = plan_.external;
    // The short-circuits go to the service chain, which selects from the internal endpoints.
    for (const auto& sc : plan.shortCircuits) addShortCircuit(chain, sc, svc);
    if (plan.masquerade) chain.rules.push_back(jumpRule(kMarkForMasquerade));
    const TrafficTarget& external = *plan.target;
    const auto& eps = external.endpoints;
    const bool served = !eps.empty();
    if (served) {
      // The same endpoints as the service chain's and nothing sent there before: reuse its
      // selection rather than render a second one.
      if (plan.shortCircuits.empty() && internalServed && eps == plan_.internal.target->endpoints)
        chain.rules.push_back(gotoRule(svc));
      else
        addSelection(chain, eps, "external");
    }
    // Unserved with short-circuits, the chain still takes pods and the node to the internal
    // endpoints; what falls through reaches the filter hooks unDNATed and gets the empty action
    // there.
    if (served || !chain.rules.empty()) out_.chains.push_back(chain);

    auto dispatch = [&](std::string_view map, const KeyBytes& key) {
      if (!chain.rules.empty()) element(map, key, nft::Verdict::goTo(ext));
    };
    for (const auto& ip : sp_.externalIPs) {
      dispatch(kServiceIPs, vipKey(ip, sp_.port));
      if (!served) element(kNoEndpointServices, vipKey(ip, sp_.port), emptyVerdict(external));
    }
    for (const auto& ip : sp_.loadBalancerIPs) {
      dispatch(kServiceIPs, vipKey(ip, sp_.port));
      if (!served) element(kNoEndpointServices, vipKey(ip, sp_.port), emptyVerdict(external));
      if (plan_.firewall.active()) renderFirewall(ip);
    }
    if (sp_.nodePort) {
      const KeyBytes key = nodePortKey(sp_.key.protocol, sp_.nodePort);
      dispatch(kServiceNodePorts, key);
      if (!served) element(kNoEndpointNodePorts, key, emptyVerdict(external));
    }
  }

  // The firewall plan, checked before DNAT (filter-prerouting-pre-dnat) for each LB IP.
  void renderFirewall(const IPAddr& lbIP) {
    const std::string fw = firewallChain(sp_.key);
    if (!firewallDone_) {
      ChainDef chain{fw, std::nullopt, {}};
      for (const auto& cidr : plan_.firewall.allowSources)
        chain.rules.push_back(saddrInCidrReturn(cidr));
      for (const auto& ip : plan_.firewall.allowAddresses) chain.rules.push_back(saddrEqualsReturn(ip));
      chain.rules.push_back(dropRule());
      out_.chains.push_back(std::move(chain));
      firewallDone_ = true;
    }
    element(kFirewallIPs, vipKey(lbIP, sp_.port), nft::Verdict::goTo(fw));
  }

  ChainDef endpointChainDef(const EndpointState& ep) const {
    ChainDef chain{endpointChain(sp_.key, ep), std::nullopt, {}};
    // Only affinity services have endpoint chains; hairpin is the postrouting set's job.
    chain.rules.push_back(affinityUpdate(family_, affinityKey(sp_.key, ep),
                                         std::chrono::seconds(*sp_.affinityTimeoutSeconds)));
    chain.rules.push_back(dnatRule(sp_.key.protocol, ep.ip, ep.port));
    return chain;
  }

  const ServicePortState& sp_;
  IPFamily family_;
  PortPlan plan_;
  PortRendering out_;
  std::set<EndpointState> endpoints_;
  bool firewallDone_ = false;
};

}  // namespace

PortRendering renderPort(const ServicePortState& sp, const GlobalState& global) {
  return PortRenderer(sp, global).render();
}

uint64_t targetId(const ServicePortKey& key, std::string_view targetName) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a 64
  for (unsigned char c : key.chainSuffix() + "/" + std::string(targetName)) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

uint32_t affinityKey(const ServicePortKey& key, const EndpointState& ep) {
  uint32_t h = 2166136261u;  // FNV-1a 32
  for (unsigned char c : key.chainSuffix() + "__" + ep.str()) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

}  // namespace kpx::nftables
