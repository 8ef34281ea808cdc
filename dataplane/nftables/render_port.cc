#include "dataplane/nftables/render_port.h"

#include <chrono>
#include <map>
#include <set>

#include "dataplane/nftables/elements.h"
#include "dataplane/nftables/names.h"
#include "dataplane/nftables/rules.h"

namespace kpx::nftables {
namespace {

// The rule that recognises traffic from inside the cluster for `family`, or none.
struct LocalDetector {
  const CIDR* cidr = nullptr;
  std::string ifname;
  bool prefix = false;
  bool present() const { return cidr != nullptr || !ifname.empty(); }
};

LocalDetector localDetector(const GlobalState& g, IPFamily family) {
  LocalDetector d;
  switch (g.detectLocalMode) {
    case LocalDetectMode::ClusterCIDR:
    case LocalDetectMode::NodeCIDR:
      for (const auto& c : g.localTrafficCIDRs)
        if (c.family() == family) d.cidr = &c;
      break;
    case LocalDetectMode::BridgeInterface:
      d.ifname = g.localInterface;
      break;
    case LocalDetectMode::InterfaceNamePrefix:
      d.ifname = g.localInterface;
      d.prefix = true;
      break;
  }
  return d;
}

class PortRenderer {
 public:
  PortRenderer(const ServicePortState& sp, const GlobalState& g)
      : sp_(sp), g_(g), family_(sp.key.family), detector_(localDetector(g, family_)) {}

  PortRendering render() {
    const std::string svc = serviceChain(sp_.key);
    const bool internalServed = !sp_.internal.endpoints.empty();
    if (internalServed) {
      ChainDef chain{svc, std::nullopt, {}};
      addInternalMasquerade(chain);
      addSelection(chain, sp_.internal.endpoints, "internal");
      out_.chains.push_back(std::move(chain));
      element(kServiceIPs, vipKey(sp_.clusterIP, sp_.port), nft::Verdict::goTo(svc));
    } else {
      element(kNoEndpointServices, vipKey(sp_.clusterIP, sp_.port), emptyVerdict(sp_.internal));
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

  void addInternalMasquerade(ChainDef& chain) const {
    // Only for traffic addressed to the ClusterIP: external traffic short-circuited here has
    // already made its own masquerade decision.
    if (g_.masqueradeAll) {
      chain.rules.push_back(daddrEqualsJump(sp_.clusterIP, kMarkForMasquerade));
    } else if (detector_.cidr) {
      chain.rules.push_back(
          daddrSaddrNotInCidrJump(sp_.clusterIP, *detector_.cidr, kMarkForMasquerade));
    } else if (!detector_.ifname.empty()) {
      chain.rules.push_back(daddrIifnameNotJump(sp_.clusterIP, detector_.ifname, detector_.prefix,
                                                kMarkForMasquerade));
    }
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
    const bool local = sp_.externalPolicy == TrafficPolicy::Local;
    if (local) {
      // Pods reach the service as they would its ClusterIP (unmasqueraded); the node itself
      // too, but masqueraded so replies come back through it (DESIGN §3).
      if (internalServed) {
        if (detector_.cidr) chain.rules.push_back(saddrInCidrGoto(*detector_.cidr, svc));
        if (!detector_.ifname.empty())
          chain.rules.push_back(iifnameGoto(detector_.ifname, detector_.prefix, svc));
        chain.rules.push_back(fibSaddrLocalJump(kMarkForMasquerade));
        chain.rules.push_back(fibSaddrLocalGoto(svc));
      }
    } else {
      chain.rules.push_back(jumpRule(kMarkForMasquerade));
    }
    const auto& eps = sp_.external.endpoints;
    const bool served = !eps.empty();
    if (served) {
      if (!local && internalServed && eps == sp_.internal.endpoints)
        chain.rules.push_back(gotoRule(svc));
      else
        addSelection(chain, eps, "external");
    }
    // With eTP=Local and nothing local, the chain still short-circuits pods and the node; what
    // falls through reaches the filter hooks undNATed and is dropped there.
    if (served || !chain.rules.empty()) out_.chains.push_back(chain);

    auto dispatch = [&](std::string_view map, const KeyBytes& key) {
      if (!chain.rules.empty()) element(map, key, nft::Verdict::goTo(ext));
    };
    for (const auto& ip : sp_.externalIPs) {
      dispatch(kServiceIPs, vipKey(ip, sp_.port));
      if (!served) element(kNoEndpointServices, vipKey(ip, sp_.port), emptyVerdict(sp_.external));
    }
    for (const auto& ip : sp_.loadBalancerIPs) {
      dispatch(kServiceIPs, vipKey(ip, sp_.port));
      if (!served) element(kNoEndpointServices, vipKey(ip, sp_.port), emptyVerdict(sp_.external));
      if (!sp_.loadBalancerSourceRanges.empty()) renderFirewall(ip);
    }
    if (sp_.nodePort) {
      const KeyBytes key = nodePortKey(sp_.key.protocol, sp_.nodePort);
      dispatch(kServiceNodePorts, key);
      if (!served) element(kNoEndpointNodePorts, key, emptyVerdict(sp_.external));
    }
  }

  // loadBalancerSourceRanges, checked before DNAT for every source that reaches an LB IP. The
  // LB IP itself is allowed: clouds that SNAT health checks and hairpin to it.
  void renderFirewall(const IPAddr& lbIP) {
    const std::string fw = firewallChain(sp_.key);
    if (!firewallDone_) {
      ChainDef chain{fw, std::nullopt, {}};
      for (const auto& cidr : sp_.loadBalancerSourceRanges)
        chain.rules.push_back(saddrInCidrReturn(cidr));
      for (const auto& ip : sp_.loadBalancerIPs) chain.rules.push_back(saddrEqualsReturn(ip));
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
  const GlobalState& g_;
  IPFamily family_;
  LocalDetector detector_;
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
