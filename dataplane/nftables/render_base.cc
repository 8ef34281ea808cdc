#include "dataplane/nftables/render_base.h"

#include <linux/netfilter/nf_tables.h>

#include <set>

#include "dataplane/nftables/elements.h"
#include "dataplane/nftables/names.h"
#include "dataplane/nftables/rules.h"

namespace kpx::nftables {
namespace {

using nft::KeyField;

ChainDef hookChain(std::string name, const char* type, nft::Hook hook, int32_t priority,
                   std::vector<RuleDef> rules) {
  return ChainDef{std::move(name),
                  nft::BaseChainSpec{.type = type, .hook = hook, .priority = priority,
                                     .policy = nft::VerdictCode::Accept},
                  std::move(rules)};
}

ChainDef helper(std::string_view name, std::vector<RuleDef> rules) {
  return ChainDef{std::string(name), std::nullopt, std::move(rules)};
}

}  // namespace

BaseRendering renderBase(IPFamily family, const GlobalState& g,
                         const std::vector<IPAddr>& nodePortIPs) {
  const KeyField addr = family == IPFamily::V4 ? KeyField::ipv4Addr() : KeyField::ipv6Addr();
  const auto vipLayout =
      nft::keyLayout({addr, KeyField::inetProto(), KeyField::inetService()});
  const auto portLayout = nft::keyLayout({KeyField::inetProto(), KeyField::inetService()});

  BaseRendering b;
  b.sets.push_back(nft::SetSpec::verdictMap(std::string(kServiceIPs), vipLayout));
  b.sets.push_back(nft::SetSpec::verdictMap(std::string(kServiceNodePorts), portLayout));
  b.sets.push_back(nft::SetSpec::set(std::string(kNodePortIPs), nft::keyLayout({addr})));
  b.sets.push_back(nft::SetSpec::verdictMap(std::string(kNoEndpointServices), vipLayout));
  b.sets.push_back(nft::SetSpec::verdictMap(std::string(kNoEndpointNodePorts), portLayout));
  b.sets.push_back(nft::SetSpec::verdictMap(std::string(kFirewallIPs), vipLayout));
  b.sets.push_back(nft::SetSpec::set(std::string(kClusterIPs), nft::keyLayout({addr})));
  // Session affinity for every service: `saddr . endpoint key`, filled from the packet path
  // with a per-element timeout (kube-proxy keeps one such set per endpoint).
  auto affinity = nft::SetSpec::set(std::string(kAffinity), nft::keyLayout({addr, KeyField::mark()}));
  affinity.flags = NFT_SET_EVAL | NFT_SET_TIMEOUT;
  affinity.size = 1u << 20;
  b.sets.push_back(std::move(affinity));
  // Hairpin: `endpoint . endpoint` for every endpoint, so a pod that reached itself through a
  // service is masqueraded in postrouting (there is no per-endpoint chain to do it before DNAT).
  b.sets.push_back(nft::SetSpec::set(std::string(kHairpin), nft::keyLayout({addr, addr})));
  const auto targetLayout =
      nft::keyLayout({KeyField::mark(), KeyField::mark(), KeyField::mark()});
  const auto endpointLayout = nft::keyLayout({addr, KeyField::inetService()});
  for (uint32_t shard = 0; shard < kEndpointMaps; ++shard)
    b.sets.push_back(nft::SetSpec::dataMap(endpointMap(shard), targetLayout, endpointLayout));

  const uint32_t mark = g.masqueradeMark;
  const bool allLocal = g.nodePortAddresses.allLocal;
  auto nodePortDispatch = [&](std::string_view map) {
    return allLocal ? localProtoPortVmap(map) : setDaddrProtoPortVmap(family, kNodePortIPs, map);
  };

  // Hooks. Firewall checks run before DNAT; rejects run in the filter hooks, the only ones
  // where the kernel allows them; DNAT at dstnat, masquerade at srcnat (kube-proxy's layout).
  b.chains.push_back(hookChain("filter-prerouting-pre-dnat", "filter", nft::Hook::Prerouting,
                               -110, {ctStateNewJump(kFirewallCheck)}));
  b.chains.push_back(hookChain("filter-output-pre-dnat", "filter", nft::Hook::Output, -110,
                               {ctStateNewJump(kFirewallCheck)}));
  b.chains.push_back(hookChain("filter-input", "filter", nft::Hook::Input, 0,
                               {ctStateNewJump(kNodePortEndpointsCheck),
                                ctStateNewJump(kServiceEndpointsCheck)}));
  b.chains.push_back(hookChain("filter-forward", "filter", nft::Hook::Forward, 0,
                               {ctStateNewJump(kServiceEndpointsCheck),
                                ctStateNewJump(kClusterIPsCheck)}));
  b.chains.push_back(hookChain("filter-output", "filter", nft::Hook::Output, 0,
                               {ctStateNewJump(kServiceEndpointsCheck),
                                ctStateNewJump(kClusterIPsCheck)}));
  b.chains.push_back(hookChain("nat-prerouting", "nat", nft::Hook::Prerouting, -100,
                               {jumpRule(kServicesChain)}));
  b.chains.push_back(hookChain("nat-output", "nat", nft::Hook::Output, -100,
                               {jumpRule(kServicesChain)}));
  b.chains.push_back(hookChain("nat-postrouting", "nat", nft::Hook::Postrouting, 100,
                               {hairpinJump(family, kHairpin, kMarkForMasquerade),
                                jumpRule(kMasquerading)}));

  // Helpers, referenced by the hooks above: listed after them, but a batch adds every chain
  // before any rule, so the order does not matter to the kernel.
  b.chains.push_back(helper(kFirewallCheck, {daddrProtoPortVmap(family, kFirewallIPs)}));
  b.chains.push_back(helper(kServiceEndpointsCheck,
                            {daddrProtoPortVmap(family, kNoEndpointServices)}));
  b.chains.push_back(helper(kNodePortEndpointsCheck, {nodePortDispatch(kNoEndpointNodePorts)}));
  b.chains.push_back(helper(kClusterIPsCheck, {daddrInSetGoto(family, kClusterIPs, kRejectChain)}));
  b.chains.push_back(helper(kServicesChain, {daddrProtoPortVmap(family, kServiceIPs),
                                             nodePortDispatch(kServiceNodePorts)}));
  b.chains.push_back(helper(kMasquerading, {returnUnlessMarked(mark), clearMarkRule(mark),
                                            masqueradeFullyRandom()}));
  b.chains.push_back(helper(kMarkForMasquerade, {markForMasqueradeRule(mark)}));
  b.chains.push_back(helper(kRejectChain, {rejectTcpWithReset(), rejectRule(family)}));

  if (!allLocal) {
    std::set<IPAddr> seen;
    for (const auto& ip : nodePortIPs) {
      if (ip.family() != family || !seen.insert(ip).second) continue;
      const KeyBytes key = addrKey(ip);
      b.elements.push_back(ElementDef{std::string(kNodePortIPs), key.bytes, std::nullopt,
                                      key.text, "", {}, "", Sharing::Unique});
    }
  }
  return b;
}

}  // namespace kpx::nftables
