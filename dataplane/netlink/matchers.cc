#include "dataplane/netlink/matchers.h"

#include <netinet/in.h>

#include <linux/netfilter/nf_nat.h>
#include <linux/rtnetlink.h>

#include <array>
#include <cstring>
#include <vector>

namespace kpx::nft {

namespace {

constexpr uint8_t kIcmpPortUnreachable = 3;   // ICMP_PORT_UNREACH
constexpr uint8_t kIcmp6PortUnreachable = 4;  // ICMPV6_PORT_UNREACH

bool isAddressField(Field f) {
  return f == Field::IpSaddr || f == Field::IpDaddr || f == Field::Ip6Saddr || f == Field::Ip6Daddr;
}

std::array<uint8_t, 4> hostBytes(uint32_t v) {
  std::array<uint8_t, 4> b{};
  std::memcpy(b.data(), &v, sizeof(v));
  return b;
}

}  // namespace

uint32_t fieldLength(Field field) {
  switch (field) {
    case Field::IpSaddr:
    case Field::IpDaddr:
    case Field::Mark:
      return 4;
    case Field::Ip6Saddr:
    case Field::Ip6Daddr:
      return 16;
    case Field::L4proto:
      return 1;
    case Field::ThSport:
    case Field::ThDport:
      return 2;
  }
  return 0;
}

Field saddrField(Family family) {
  return family == Family::Ip6 ? Field::Ip6Saddr : Field::IpSaddr;
}
Field daddrField(Family family) {
  return family == Family::Ip6 ? Field::Ip6Daddr : Field::IpDaddr;
}

void loadField(RuleBuilder& r, Field field, Reg dst) {
  switch (field) {
    case Field::IpSaddr:
      r.payload(PayloadBase::Network, 12, 4, dst);  // struct iphdr: saddr at 12
      return;
    case Field::IpDaddr:
      r.payload(PayloadBase::Network, 16, 4, dst);
      return;
    case Field::Ip6Saddr:
      r.payload(PayloadBase::Network, 8, 16, dst);  // struct ipv6hdr: saddr at 8
      return;
    case Field::Ip6Daddr:
      r.payload(PayloadBase::Network, 24, 16, dst);
      return;
    case Field::L4proto:
      r.meta(NFT_META_L4PROTO, dst);
      return;
    case Field::ThSport:
      r.payload(PayloadBase::Transport, 0, 2, dst);  // same offset in TCP, UDP and SCTP
      return;
    case Field::ThDport:
      r.payload(PayloadBase::Transport, 2, 2, dst);
      return;
    case Field::Mark:
      r.meta(NFT_META_MARK, dst);
      return;
  }
}

Reg loadConcat(RuleBuilder& r, std::initializer_list<Field> fields, Reg first) {
  Reg reg = first;
  for (Field f : fields) {
    loadField(r, f, reg);
    reg = reg.next(fieldLength(f));
  }
  return reg;
}

void matchConcatVmap(RuleBuilder& r, std::initializer_list<Field> fields, std::string_view map) {
  loadConcat(r, fields);
  r.vmap(map, Reg{0});
}

void matchConcatInSet(RuleBuilder& r, std::initializer_list<Field> fields, std::string_view set,
                      bool invert) {
  loadConcat(r, fields);
  r.lookup(set, Reg{0}, std::nullopt, invert);
}

void matchL4proto(RuleBuilder& r, uint8_t proto) {
  loadField(r, Field::L4proto, Reg{0});
  r.cmpU8(Reg{0}, CmpOp::Eq, proto);
}

void matchThDport(RuleBuilder& r, uint16_t port) {
  loadField(r, Field::ThDport, Reg{0});
  const uint8_t be[2] = {static_cast<uint8_t>(port >> 8), static_cast<uint8_t>(port & 0xff)};
  r.cmp(Reg{0}, CmpOp::Eq, be);
}

void matchPrefix(RuleBuilder& r, Field field, std::span<const uint8_t> addr, uint32_t prefixLen,
                 bool negate) {
  if (!isAddressField(field) || addr.size() != fieldLength(field) || prefixLen > addr.size() * 8) {
    r.fail("matchPrefix: bad field, address or prefix length (/" + std::to_string(prefixLen) +
           " of " + std::to_string(addr.size()) + " bytes)");
    return;
  }
  const uint32_t offset = (field == Field::IpSaddr)    ? 12
                          : (field == Field::IpDaddr)  ? 16
                          : (field == Field::Ip6Saddr) ? 8
                                                       : 24;
  if (prefixLen == 0) {
    if (!negate) return;  // `/0` matches every packet: no expression
    // `!= /0` matches none (a local-traffic CIDR of 0.0.0.0/0 makes every source local): the
    // first address byte masked to nothing, compared unequal to zero, is never true.
    const uint8_t zero[1] = {0};
    r.payload(PayloadBase::Network, offset, 1, Reg{0});
    r.bitwise(Reg{0}, Reg{0}, zero, zero);
    r.cmp(Reg{0}, CmpOp::Neq, zero);
    return;
  }
  const CmpOp op = negate ? CmpOp::Neq : CmpOp::Eq;
  // What nft does, and what lets `nft list` print the rule back as `ip saddr 10.0.0.0/8`: a
  // byte-aligned prefix loads only the bytes it covers; any other loads the whole address
  // and masks it.
  if (prefixLen % 8 == 0) {
    const uint32_t bytes = prefixLen / 8;
    r.payload(PayloadBase::Network, offset, bytes, Reg{0});
    r.cmp(Reg{0}, op, addr.first(bytes));
    return;
  }
  const auto len = static_cast<uint32_t>(addr.size());
  std::vector<uint8_t> mask(len, 0);
  for (uint32_t bit = 0; bit < prefixLen; ++bit)
    mask[bit / 8] |= static_cast<uint8_t>(0x80 >> (bit % 8));
  std::vector<uint8_t> value(addr.begin(), addr.end());
  for (uint32_t i = 0; i < len; ++i) value[i] &= mask[i];
  r.payload(PayloadBase::Network, offset, len, Reg{0});
  r.bitwise(Reg{0}, Reg{0}, mask, std::vector<uint8_t>(len, 0));
  r.cmp(Reg{0}, op, value);
}

void matchCtState(RuleBuilder& r, uint32_t stateBits) {
  r.ct(NFT_CT_STATE, Reg{0});
  r.bitwise(Reg{0}, Reg{0}, hostBytes(stateBits), hostBytes(0));
  r.cmpU32(Reg{0}, CmpOp::Neq, 0);
}

void matchFibAddrTypeLocal(RuleBuilder& r, bool saddr, bool negate) {
  r.fib(saddr ? NFTA_FIB_F_SADDR : NFTA_FIB_F_DADDR, NFT_FIB_RESULT_ADDRTYPE, Reg{0});
  r.cmpU32(Reg{0}, negate ? CmpOp::Neq : CmpOp::Eq, RTN_LOCAL);
}

void matchMarkBits(RuleBuilder& r, uint32_t bits, bool set) {
  r.meta(NFT_META_MARK, Reg{0});
  r.bitwise(Reg{0}, Reg{0}, hostBytes(bits), hostBytes(0));
  r.cmpU32(Reg{0}, set ? CmpOp::Neq : CmpOp::Eq, 0);
}

void setMarkBits(RuleBuilder& r, uint32_t bits) {
  // x | bits == (x & ~bits) ^ bits: the kernel's bitwise is mask-and-xor only.
  r.meta(NFT_META_MARK, Reg{0});
  r.bitwise(Reg{0}, Reg{0}, hostBytes(~bits), hostBytes(bits));
  r.metaSet(NFT_META_MARK, Reg{0});
}

void xorMarkBits(RuleBuilder& r, uint32_t bits) {
  r.meta(NFT_META_MARK, Reg{0});
  r.bitwise(Reg{0}, Reg{0}, hostBytes(0xffffffffU), hostBytes(bits));
  r.metaSet(NFT_META_MARK, Reg{0});
}

void dnatTo(RuleBuilder& r, Family family, std::span<const uint8_t> addr, uint16_t port) {
  if (addr.size() != (family == Family::Ip6 ? 16U : 4U)) {
    r.fail("dnatTo: address length does not match family");
    return;
  }
  r.immediate(Reg{0}, addr);
  std::optional<Reg> portReg;
  if (port != 0) {
    // The port goes in the next 16-byte register (NFT_REG_2), as nft puts it.
    portReg = Reg{4};
    const uint8_t be[2] = {static_cast<uint8_t>(port >> 8), static_cast<uint8_t>(port & 0xff)};
    r.immediate(*portReg, be);
  }
  r.nat(NatType::Dnat, family, Reg{0}, portReg, port != 0 ? NF_NAT_RANGE_PROTO_SPECIFIED : 0);
}

void masquerade(RuleBuilder& r, bool fullyRandom) {
  r.masquerade(fullyRandom ? NF_NAT_RANGE_PROTO_RANDOM_FULLY : 0);
}

void rejectPortUnreachable(RuleBuilder& r, Family family) {
  switch (family) {
    case Family::Ip:
      r.reject(NFT_REJECT_ICMP_UNREACH, kIcmpPortUnreachable);
      return;
    case Family::Ip6:
      r.reject(NFT_REJECT_ICMP_UNREACH, kIcmp6PortUnreachable);
      return;
    case Family::Inet:
      r.reject(NFT_REJECT_ICMPX_UNREACH, NFT_REJECT_ICMPX_PORT_UNREACH);
      return;
  }
}

void rejectTcpReset(RuleBuilder& r) {
  // A reset only makes sense for TCP; nft adds the same dependency.
  matchL4proto(r, IPPROTO_TCP);
  r.reject(NFT_REJECT_TCP_RST, 0);
}

void serviceSlotVmap(RuleBuilder& r, uint32_t serviceId, uint32_t endpoints, std::string_view map) {
  r.immediateU32(Reg{0}, serviceId);
  r.numgenRandom(endpoints, Reg{1});
  r.vmap(map, Reg{0});
}

void slotKeyVmap(RuleBuilder& r, uint32_t firstKey, uint32_t endpoints, std::string_view map) {
  r.numgenRandom(endpoints, Reg{0}, firstKey);
  r.vmap(map, Reg{0});
}

void dnatViaMap(RuleBuilder& r, Family family, uint32_t firstKey, uint32_t endpoints,
                std::string_view map) {
  // numgen -> r0; the looked-up `addr . port` replaces it: addr in r0 (r0-r3 for IPv6), the
  // port in the next register. nft sets no range flags here; the kernel infers them.
  r.numgenRandom(endpoints, Reg{0}, firstKey);
  r.lookup(map, Reg{0}, Reg{0});
  const Reg port = Reg{0}.next(family == Family::Ip6 ? 16 : 4);
  r.nat(NatType::Dnat, family, Reg{0}, port, 0);
}

void dnatViaTargetMap(RuleBuilder& r, Family family, uint64_t target, uint32_t endpoints,
                      std::string_view map) {
  r.immediateU32(Reg{0}, static_cast<uint32_t>(target >> 32));
  r.immediateU32(Reg{1}, static_cast<uint32_t>(target));
  r.numgenRandom(endpoints, Reg{2});
  r.lookup(map, Reg{0}, Reg{0});
  const Reg port = Reg{0}.next(family == Family::Ip6 ? 16 : 4);
  r.nat(NatType::Dnat, family, Reg{0}, port, 0);
}

void numgenSlotMatch(RuleBuilder& r, uint32_t slot, uint32_t endpoints) {
  if (slot >= endpoints) {
    r.fail("numgen slot " + std::to_string(slot) + " of " + std::to_string(endpoints) +
           " endpoints");
    return;
  }
  // Slot i is tried only when slots 0..i-1 were not taken, so 1/(n-i) here makes every slot
  // equally likely (1/n) overall.
  if (slot + 1 < endpoints) {
    r.numgenRandom(endpoints - slot, Reg{0});
    r.cmpU32(Reg{0}, CmpOp::Eq, 0);
  }
}

void numgenSlotGoto(RuleBuilder& r, uint32_t slot, uint32_t endpoints, std::string_view chain) {
  numgenSlotMatch(r, slot, endpoints);
  r.verdict(Verdict::goTo(chain));
}

void affinitySetGoto(RuleBuilder& r, Family family, std::string_view affinitySet,
                     uint32_t endpointKey, std::string_view chain) {
  const Field saddr = saddrField(family);
  loadField(r, saddr, Reg{0});
  r.immediateU32(Reg{0}.next(fieldLength(saddr)), endpointKey);
  r.lookup(affinitySet, Reg{0});
  r.verdict(Verdict::goTo(chain));
}

void affinitySetUpdate(RuleBuilder& r, Family family, std::string_view affinitySet,
                       uint32_t endpointKey, std::chrono::milliseconds timeout) {
  const Field saddr = saddrField(family);
  loadField(r, saddr, Reg{0});
  r.immediateU32(Reg{0}.next(fieldLength(saddr)), endpointKey);
  r.dynset(DynsetOp::Update, affinitySet, Reg{0}, std::nullopt, timeout);
}

void affinityMapVmap(RuleBuilder& r, Family family, std::string_view affinityMap,
                     uint32_t serviceId, std::string_view slotsMap) {
  // saddr in r0 (r0-r3 for IPv6), the id right after it; the slot key found replaces the
  // key in r0, as nft reuses the source register of a map lookup.
  const Field saddr = saddrField(family);
  loadField(r, saddr, Reg{0});
  r.immediateU32(Reg{0}.next(fieldLength(saddr)), serviceId);
  r.lookup(affinityMap, Reg{0}, Reg{0});
  r.vmap(slotsMap, Reg{0});
}

void affinityMapUpdate(RuleBuilder& r, Family family, std::string_view affinityMap,
                       uint32_t serviceId, uint32_t slotKey, std::chrono::milliseconds timeout) {
  const Field saddr = saddrField(family);
  loadField(r, saddr, Reg{0});
  r.immediateU32(Reg{0}.next(fieldLength(saddr)), serviceId);
  // Data in the next free 16-byte register, as nft allocates it.
  const Reg dataReg = family == Family::Ip6 ? Reg{8} : Reg{4};
  r.immediateU32(dataReg, slotKey);
  r.dynset(DynsetOp::Update, affinityMap, Reg{0}, dataReg, timeout);
}

}  // namespace kpx::nft
