#include "dataplane/nftables/rules.h"

#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <vector>

#include "dataplane/netlink/matchers.h"
#include "dataplane/nftables/names.h"

namespace kpx::nftables {
namespace {

using nft::Field;
using nft::RuleBuilder;

std::vector<uint8_t> addrBytes(const IPAddr& ip) {
  return std::vector<uint8_t>(ip.bytes().begin(), ip.bytes().begin() + ip.size());
}

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

// iifname matches as nft encodes them: the whole 16-byte name for an exact match, only the
// prefix bytes for "name*". Interface names have at most 15 bytes (IFNAMSIZ with its NUL); a
// longer name or prefix from the configuration is cut to the 16 bytes the register holds, so
// it matches no interface rather than reading past the name.
void matchIifname(RuleBuilder& r, std::string_view ifname, bool prefix, bool negate) {
  r.meta(NFT_META_IIFNAME, nft::Reg{0});
  std::array<uint8_t, 16> name{};
  std::memcpy(name.data(), ifname.data(), std::min<size_t>(ifname.size(), prefix ? 16 : 15));
  const size_t len = prefix ? std::min(ifname.size(), name.size()) : name.size();
  r.cmp(nft::Reg{0}, negate ? nft::CmpOp::Neq : nft::CmpOp::Eq,
        std::span<const uint8_t>(name.data(), len));
}

std::string iifnameText(std::string_view ifname, bool prefix, bool negate) {
  return std::string("iifname ") + (negate ? "!= " : "") + "\"" + std::string(ifname) +
         (prefix ? "*" : "") + "\"";
}

void matchCidr(RuleBuilder& r, Field field, const CIDR& cidr, bool negate) {
  const auto bytes = addrBytes(cidr.addr());
  nft::matchPrefix(r, field, bytes, cidr.prefixLen(), negate);
}

// "10.0.0.0/8", but a host prefix prints as the bare address, as nft shows it.
std::string cidrText(const CIDR& cidr) {
  const bool host = cidr.prefixLen() == (cidr.addr().isV4() ? 32 : 128);
  return host ? cidr.addr().str() : cidr.str();
}

}  // namespace

nft::Family nftFamily(IPFamily family) {
  return family == IPFamily::V4 ? nft::Family::Ip : nft::Family::Ip6;
}

std::string_view ipKeyword(IPFamily family) {
  return family == IPFamily::V4 ? "ip" : "ip6";
}

RuleDef jumpRule(std::string_view chain) {
  std::string c(chain);
  return {"jump " + c, [c](RuleBuilder& r) { r.verdict(nft::Verdict::jump(c)); }};
}

RuleDef gotoRule(std::string_view chain) {
  std::string c(chain);
  return {"goto " + c, [c](RuleBuilder& r) { r.verdict(nft::Verdict::goTo(c)); }};
}

RuleDef dropRule() {
  return {"drop", [](RuleBuilder& r) { r.verdict(nft::Verdict::drop()); }};
}

RuleDef returnRule() {
  return {"return", [](RuleBuilder& r) { r.verdict(nft::Verdict::ret()); }};
}

RuleDef ctStateNewJump(std::string_view chain) {
  std::string c(chain);
  return {"ct state new jump " + c, [c](RuleBuilder& r) {
            nft::matchCtState(r, nft::kCtStateNew);
            r.verdict(nft::Verdict::jump(c));
          }};
}

RuleDef daddrProtoPortVmap(IPFamily family, std::string_view map) {
  std::string m(map);
  return {std::string(ipKeyword(family)) + " daddr . meta l4proto . th dport vmap @" + m,
          [family, m](RuleBuilder& r) {
            nft::matchConcatVmap(
                r, {nft::daddrField(nftFamily(family)), Field::L4proto, Field::ThDport}, m);
          }};
}

RuleDef localProtoPortVmap(std::string_view map) {
  std::string m(map);
  return {"fib daddr type local meta l4proto . th dport vmap @" + m, [m](RuleBuilder& r) {
            nft::matchFibAddrTypeLocal(r, /*saddr=*/false);
            nft::matchConcatVmap(r, {Field::L4proto, Field::ThDport}, m);
          }};
}

RuleDef setDaddrProtoPortVmap(IPFamily family, std::string_view addrSet, std::string_view map) {
  std::string s(addrSet), m(map);
  return {std::string(ipKeyword(family)) + " daddr @" + s + " meta l4proto . th dport vmap @" + m,
          [family, s, m](RuleBuilder& r) {
            nft::matchConcatInSet(r, {nft::daddrField(nftFamily(family))}, s);
            nft::matchConcatVmap(r, {Field::L4proto, Field::ThDport}, m);
          }};
}

RuleDef daddrInSetGoto(IPFamily family, std::string_view set, std::string_view chain) {
  std::string s(set), c(chain);
  return {std::string(ipKeyword(family)) + " daddr @" + s + " goto " + c,
          [family, s, c](RuleBuilder& r) {
            nft::matchConcatInSet(r, {nft::daddrField(nftFamily(family))}, s);
            r.verdict(nft::Verdict::goTo(c));
          }};
}

RuleDef markForMasqueradeRule(uint32_t mark) {
  return {"meta mark set meta mark | " + hex32(mark),
          [mark](RuleBuilder& r) { nft::setMarkBits(r, mark); }};
}

RuleDef returnUnlessMarked(uint32_t mark) {
  return {"meta mark & " + hex32(mark) + " == 0x00000000 return", [mark](RuleBuilder& r) {
            nft::matchMarkBits(r, mark, /*set=*/false);
            r.verdict(nft::Verdict::ret());
          }};
}

RuleDef clearMarkRule(uint32_t mark) {
  return {"meta mark set meta mark ^ " + hex32(mark),
          [mark](RuleBuilder& r) { nft::xorMarkBits(r, mark); }};
}

RuleDef masqueradeFullyRandom() {
  return {"masquerade fully-random", [](RuleBuilder& r) { nft::masquerade(r, true); }};
}

RuleDef rejectTcpWithReset() {
  return {"meta l4proto tcp reject with tcp reset", [](RuleBuilder& r) {
            nft::matchL4proto(r, IPPROTO_TCP);
            nft::rejectTcpReset(r);
          }};
}

RuleDef rejectRule(IPFamily family) {
  return {"reject", [family](RuleBuilder& r) { nft::rejectPortUnreachable(r, nftFamily(family)); }};
}

RuleDef daddrSaddrNotInCidrJump(const IPAddr& daddr, const CIDR& cidr, std::string_view chain) {
  const IPFamily family = daddr.family();
  std::string c(chain);
  const std::string kw(ipKeyword(family));
  return {kw + " daddr " + daddr.str() + " " + kw + " saddr != " + cidrText(cidr) + " jump " + c,
          [daddr, cidr, c, family](RuleBuilder& r) {
            matchCidr(r, nft::daddrField(nftFamily(family)), CIDR::host(daddr), false);
            matchCidr(r, nft::saddrField(nftFamily(family)), cidr, true);
            r.verdict(nft::Verdict::jump(c));
          }};
}

RuleDef daddrIifnameNotJump(const IPAddr& daddr, std::string_view ifname, bool prefix,
                            std::string_view chain) {
  const IPFamily family = daddr.family();
  std::string c(chain), name(ifname);
  return {std::string(ipKeyword(family)) + " daddr " + daddr.str() + " " +
              iifnameText(name, prefix, true) + " jump " + c,
          [daddr, name, prefix, c, family](RuleBuilder& r) {
            matchCidr(r, nft::daddrField(nftFamily(family)), CIDR::host(daddr), false);
            matchIifname(r, name, prefix, true);
            r.verdict(nft::Verdict::jump(c));
          }};
}

RuleDef saddrInCidrGoto(const CIDR& cidr, std::string_view chain) {
  std::string c(chain);
  return {std::string(ipKeyword(cidr.family())) + " saddr " + cidrText(cidr) + " goto " + c,
          [cidr, c](RuleBuilder& r) {
            matchCidr(r, nft::saddrField(nftFamily(cidr.family())), cidr, false);
            r.verdict(nft::Verdict::goTo(c));
          }};
}

RuleDef iifnameGoto(std::string_view ifname, bool prefix, std::string_view chain) {
  std::string c(chain), name(ifname);
  return {iifnameText(name, prefix, false) + " goto " + c, [name, prefix, c](RuleBuilder& r) {
            matchIifname(r, name, prefix, false);
            r.verdict(nft::Verdict::goTo(c));
          }};
}

RuleDef saddrInCidrJump(const CIDR& cidr, std::string_view chain) {
  std::string c(chain);
  return {std::string(ipKeyword(cidr.family())) + " saddr " + cidrText(cidr) + " jump " + c,
          [cidr, c](RuleBuilder& r) {
            matchCidr(r, nft::saddrField(nftFamily(cidr.family())), cidr, false);
            r.verdict(nft::Verdict::jump(c));
          }};
}

RuleDef iifnameJump(std::string_view ifname, bool prefix, std::string_view chain) {
  std::string c(chain), name(ifname);
  return {iifnameText(name, prefix, false) + " jump " + c, [name, prefix, c](RuleBuilder& r) {
            matchIifname(r, name, prefix, false);
            r.verdict(nft::Verdict::jump(c));
          }};
}

RuleDef saddrInCidrReturn(const CIDR& cidr) {
  return {std::string(ipKeyword(cidr.family())) + " saddr " + cidrText(cidr) + " return",
          [cidr](RuleBuilder& r) {
            matchCidr(r, nft::saddrField(nftFamily(cidr.family())), cidr, false);
            r.verdict(nft::Verdict::ret());
          }};
}

RuleDef fibSaddrLocalJump(std::string_view chain) {
  std::string c(chain);
  return {"fib saddr type local jump " + c, [c](RuleBuilder& r) {
            nft::matchFibAddrTypeLocal(r, /*saddr=*/true);
            r.verdict(nft::Verdict::jump(c));
          }};
}

RuleDef fibSaddrLocalGoto(std::string_view chain) {
  std::string c(chain);
  return {"fib saddr type local goto " + c, [c](RuleBuilder& r) {
            nft::matchFibAddrTypeLocal(r, /*saddr=*/true);
            r.verdict(nft::Verdict::goTo(c));
          }};
}

RuleDef saddrEqualsJump(const IPAddr& saddr, std::string_view chain) {
  std::string c(chain);
  return {std::string(ipKeyword(saddr.family())) + " saddr " + saddr.str() + " jump " + c,
          [saddr, c](RuleBuilder& r) {
            matchCidr(r, nft::saddrField(nftFamily(saddr.family())), CIDR::host(saddr), false);
            r.verdict(nft::Verdict::jump(c));
          }};
}

RuleDef saddrEqualsReturn(const IPAddr& saddr) {
  return {std::string(ipKeyword(saddr.family())) + " saddr " + saddr.str() + " return",
          [saddr](RuleBuilder& r) {
            matchCidr(r, nft::saddrField(nftFamily(saddr.family())), CIDR::host(saddr), false);
            r.verdict(nft::Verdict::ret());
          }};
}

RuleDef daddrEqualsJump(const IPAddr& daddr, std::string_view chain) {
  std::string c(chain);
  return {std::string(ipKeyword(daddr.family())) + " daddr " + daddr.str() + " jump " + c,
          [daddr, c](RuleBuilder& r) {
            matchCidr(r, nft::daddrField(nftFamily(daddr.family())), CIDR::host(daddr), false);
            r.verdict(nft::Verdict::jump(c));
          }};
}

RuleDef numgenGoto(uint32_t slot, uint32_t endpoints, std::string_view chain) {
  std::string c(chain);
  const std::string match = slot + 1 < endpoints
                                ? "numgen random mod " + std::to_string(endpoints - slot) + " == 0 "
                                : "";
  return {match + "goto " + c,
          [slot, endpoints, c](RuleBuilder& r) { nft::numgenSlotGoto(r, slot, endpoints, c); }};
}

RuleDef affinityGoto(IPFamily family, uint32_t endpointKey, std::string_view chain) {
  std::string c(chain);
  return {std::string(ipKeyword(family)) + " saddr . " + hex32(endpointKey) + " @" +
              std::string(kAffinity) + " goto " + c,
          [family, endpointKey, c](RuleBuilder& r) {
            nft::affinitySetGoto(r, nftFamily(family), kAffinity, endpointKey, c);
          }};
}

RuleDef affinityUpdate(IPFamily family, uint32_t endpointKey, std::chrono::seconds timeout) {
  return {"update @" + std::string(kAffinity) + " { " + std::string(ipKeyword(family)) +
              " saddr . " + hex32(endpointKey) + " timeout " + std::to_string(timeout.count()) +
              "s }",
          [family, endpointKey, timeout](RuleBuilder& r) {
            nft::affinitySetUpdate(r, nftFamily(family), kAffinity, endpointKey, timeout);
          }};
}

RuleDef dnatRule(Protocol protocol, const IPAddr& ip, uint16_t port) {
  const std::string target = ip.isV4() ? ip.str() + ":" + std::to_string(port)
                                       : "[" + ip.str() + "]:" + std::to_string(port);
  return {"meta l4proto " + std::string(toLowerString(protocol)) + " dnat " +
              std::string(ipKeyword(ip.family())) + " to " + target,
          [protocol, ip, port](RuleBuilder& r) {
            nft::matchL4proto(r, ipProtoNumber(protocol));
            nft::dnatTo(r, nftFamily(ip.family()), addrBytes(ip), port);
          }};
}

RuleDef dnatViaTargetMapRule(IPFamily family, Protocol protocol, uint64_t target,
                             uint32_t endpoints, std::string_view map) {
  std::string m(map);
  return {"meta l4proto " + std::string(toLowerString(protocol)) + " dnat " +
              std::string(ipKeyword(family)) + " to " + hex32(static_cast<uint32_t>(target >> 32)) +
              " . " + hex32(static_cast<uint32_t>(target)) + " . numgen random mod " +
              std::to_string(endpoints) + " map @" + m,
          [family, protocol, target, endpoints, m](RuleBuilder& r) {
            nft::matchL4proto(r, ipProtoNumber(protocol));
            nft::dnatViaTargetMap(r, nftFamily(family), target, endpoints, m);
          }};
}

RuleDef hairpinJump(IPFamily family, std::string_view set, std::string_view chain) {
  std::string s(set), c(chain);
  const std::string ip(ipKeyword(family));
  return {ip + " saddr . " + ip + " daddr @" + s + " jump " + c, [family, s, c](RuleBuilder& r) {
            const nft::Family f = nftFamily(family);
            nft::matchConcatInSet(r, {nft::saddrField(f), nft::daddrField(f)}, s);
            r.verdict(nft::Verdict::jump(c));
          }};
}

}  // namespace kpx::nftables
