// The rules kpx writes, each as a RuleDef: nft text (identity, `kpx plan --mode nftables`) and
// the netlink expressions (nft::matchers). One function per kind of rule.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "dataplane/nftables/rendering.h"
#include "proxy/ip.h"
#include "proxy/model.h"

namespace kpx::nftables {

nft::Family nftFamily(IPFamily family);
std::string_view ipKeyword(IPFamily family);  // "ip" / "ip6"

// Control flow.
RuleDef jumpRule(std::string_view chain);
RuleDef gotoRule(std::string_view chain);
RuleDef dropRule();
RuleDef returnRule();
RuleDef ctStateNewJump(std::string_view chain);

// Dispatch through the named maps.
RuleDef daddrProtoPortVmap(IPFamily family, std::string_view map);  // ip daddr . l4proto . dport
RuleDef localProtoPortVmap(std::string_view map);  // fib daddr type local l4proto . dport
RuleDef setDaddrProtoPortVmap(IPFamily family, std::string_view addrSet, std::string_view map);
RuleDef daddrInSetGoto(IPFamily family, std::string_view set, std::string_view chain);

// Masquerade bookkeeping.
RuleDef markForMasqueradeRule(uint32_t mark);        // meta mark set meta mark | mark
RuleDef returnUnlessMarked(uint32_t mark);           // meta mark & mark == 0 return
RuleDef clearMarkRule(uint32_t mark);                // meta mark set meta mark ^ mark
RuleDef masqueradeFullyRandom();

// Rejects (only valid in input, forward and output hooks).
RuleDef rejectTcpWithReset();
RuleDef rejectRule(IPFamily family);

// Source and destination conditions.
RuleDef daddrSaddrNotInCidrJump(const IPAddr& daddr, const CIDR& cidr, std::string_view chain);
RuleDef daddrIifnameNotJump(const IPAddr& daddr, std::string_view ifname, bool prefix,
                            std::string_view chain);
RuleDef saddrInCidrGoto(const CIDR& cidr, std::string_view chain);
RuleDef iifnameGoto(std::string_view ifname, bool prefix, std::string_view chain);
RuleDef saddrInCidrJump(const CIDR& cidr, std::string_view chain);
RuleDef iifnameJump(std::string_view ifname, bool prefix, std::string_view chain);
RuleDef saddrInCidrReturn(const CIDR& cidr);
RuleDef fibSaddrLocalJump(std::string_view chain);
RuleDef fibSaddrLocalGoto(std::string_view chain);
RuleDef saddrEqualsJump(const IPAddr& saddr, std::string_view chain);
RuleDef saddrEqualsReturn(const IPAddr& saddr);
RuleDef daddrEqualsJump(const IPAddr& daddr, std::string_view chain);

// Endpoint selection and DNAT.
// Endpoint i of n, chosen uniformly: `numgen random mod (n-i) == 0 goto <chain>`; the last
// one is a plain goto. No set per service (dataplane/nftables/README.md: sets per service are quadratic).
RuleDef numgenGoto(uint32_t slot, uint32_t endpoints, std::string_view chain);
RuleDef affinityGoto(IPFamily family, uint32_t endpointKey, std::string_view chain);
RuleDef affinityUpdate(IPFamily family, uint32_t endpointKey, std::chrono::seconds timeout);
RuleDef dnatRule(Protocol protocol, const IPAddr& ip, uint16_t port);
// Layout (c): `dnat to <target> . numgen random mod <n> map @endpoints-NN`.
RuleDef dnatViaTargetMapRule(IPFamily family, Protocol protocol, uint64_t target,
                             uint32_t endpoints, std::string_view map);
// Hairpin, in postrouting: `ip saddr . ip daddr @hairpin jump mark-for-masquerade`.
RuleDef hairpinJump(IPFamily family, std::string_view set, std::string_view chain);

}  // namespace kpx::nftables
