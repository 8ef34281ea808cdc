#include "dataplane/netlink/probe/layouts.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <vector>

#include "dataplane/netlink/matchers.h"

namespace kpx::nft::probe {

namespace {

constexpr uint32_t kMasqueradeMark = 0x4000;
constexpr uint32_t kSlotBits = 12;  // (a'): up to 4096 endpoints per service
constexpr uint16_t kServicePort = 80;
constexpr uint16_t kTargetPort = 8080;
constexpr const char* kServiceIps = "service-ips";
constexpr const char* kServiceSlots = "service-slots";
constexpr const char* kMarkForMasquerade = "mark-for-masquerade";
constexpr const char* kEndpointAddrs = "endpoint-addrs";
constexpr const char* kHairpin = "hairpin";

// FNV-1a, for kube-proxy-like name hashes; not security relevant.
uint32_t fnv1a(const std::string& s) {
  uint32_t h = 2166136261U;
  for (unsigned char c : s) {
    h ^= c;
    h *= 16777619U;
  }
  return h;
}

std::string hex8(uint32_t v) {
  char buf[9];
  std::snprintf(buf, sizeof(buf), "%08x", v);
  return buf;
}

std::string servicePortName(uint32_t service) {
  return "ns" + std::to_string(service) + "/svc" + std::to_string(service) + "/tcp/p80";
}

std::array<uint8_t, 4> serviceVip(uint32_t service) {
  return {10, 96, static_cast<uint8_t>(service >> 8), static_cast<uint8_t>(service & 0xff)};
}

std::array<uint8_t, 4> endpointAddress(const LayoutParams& p, uint32_t service, uint32_t endpoint,
                                       uint32_t generation) {
  const uint32_t idx = service * p.endpoints + endpoint;
  return {10, static_cast<uint8_t>(200 + 2 * generation + (idx >> 16)),
          static_cast<uint8_t>((idx >> 8) & 0xff), static_cast<uint8_t>(idx & 0xff)};
}

std::string dotted(const std::array<uint8_t, 4>& a) {
  return std::to_string(a[0]) + "." + std::to_string(a[1]) + "." + std::to_string(a[2]) + "." +
         std::to_string(a[3]);
}

// Service ids start at 1 so that no key is all zeroes.
uint32_t serviceId(uint32_t service) {
  return service + 1;
}

// (c) spreads services over params.mapShards maps: a map's element updates cost O(rules that
// reference it) in the kernel, so sharding divides that cost while keeping the map count fixed.
std::string addrMap(const LayoutParams& p, uint32_t service) {
  if (p.mapShards <= 1) return kEndpointAddrs;
  return std::string(kEndpointAddrs) + "-" + std::to_string(service % p.mapShards);
}

uint32_t slotKey(uint32_t service, uint32_t slot) {
  return (serviceId(service) << kSlotBits) | slot;
}

ElementSpec addrElement(const LayoutParams& p, uint32_t service, uint32_t slot,
                        uint32_t generation) {
  ElementSpec e;
  e.key = KeyBuilder().hostU32(slotKey(service, slot)).take();
  e.data =
      KeyBuilder().bytes(endpointAddress(p, service, slot, generation)).be16(kTargetPort).take();
  return e;
}

ElementSpec hairpinElement(const LayoutParams& p, uint32_t service, uint32_t slot,
                           uint32_t generation) {
  const auto addr = endpointAddress(p, service, slot, generation);
  ElementSpec e;
  e.key = KeyBuilder().bytes(addr).bytes(addr).take();
  return e;
}

ElementSpec slotElement(const LayoutParams& p, uint32_t service, uint32_t slot,
                        const std::string& chain) {
  ElementSpec e;
  if (p.layout == Layout::ConcatVmap) {
    e.key = KeyBuilder().hostU32(serviceId(service)).hostU32(slot).take();
  } else {
    e.key = KeyBuilder().hostU32(slotKey(service, slot)).take();
  }
  e.verdict = Verdict::goTo(chain);
  return e;
}

void addEndpointChain(Batch& batch, const LayoutParams& p, uint32_t service, uint32_t endpoint,
                      uint32_t generation) {
  const std::string chain = endpointChainName(p, service, endpoint, generation);
  const auto addr = endpointAddress(p, service, endpoint, generation);
  batch.addChain(Family::Ip, p.table, ChainSpec{.name = chain, .base = {}, .comment = {}});
  RuleBuilder hairpin(Family::Ip, p.table, chain);
  matchPrefix(hairpin, Field::IpSaddr, addr, 32);
  hairpin.verdict(Verdict::jump(kMarkForMasquerade));
  batch.addRule(std::move(hairpin));
  RuleBuilder dnat(Family::Ip, p.table, chain);
  matchL4proto(dnat, IPPROTO_TCP);
  dnatTo(dnat, Family::Ip, addr, kTargetPort);
  batch.addRule(std::move(dnat));
}

void addSelectionRules(Batch& batch, const LayoutParams& p, uint32_t service,
                       const std::vector<std::string>& endpointChains, uint32_t generation = 0) {
  const std::string chain = serviceChainName(service);
  const auto n = static_cast<uint32_t>(endpointChains.size());
  switch (p.layout) {
    case Layout::ConcatVmap: {
      RuleBuilder r(Family::Ip, p.table, chain);
      serviceSlotVmap(r, serviceId(service), n, kServiceSlots);
      batch.addRule(std::move(r));
      return;
    }
    case Layout::SlotKeyVmap: {
      RuleBuilder r(Family::Ip, p.table, chain);
      slotKeyVmap(r, serviceId(service) << kSlotBits, n, kServiceSlots);
      batch.addRule(std::move(r));
      return;
    }
    case Layout::DnatMap: {
      RuleBuilder r(Family::Ip, p.table, chain);
      matchL4proto(r, IPPROTO_TCP);
      dnatViaMap(r, Family::Ip, slotKey(service, 0), p.endpoints, addrMap(p, service));
      batch.addRule(std::move(r));
      return;
    }
    case Layout::NumgenDnat:
      for (uint32_t i = 0; i < p.endpoints; ++i) {
        RuleBuilder r(Family::Ip, p.table, chain);
        numgenSlotMatch(r, i, p.endpoints);
        matchL4proto(r, IPPROTO_TCP);
        dnatTo(r, Family::Ip, endpointAddress(p, service, i, i == 0 ? generation : 0), kTargetPort);
        batch.addRule(std::move(r));
      }
      return;
    case Layout::NumgenGoto:
      for (uint32_t i = 0; i < n; ++i) {
        RuleBuilder r(Family::Ip, p.table, chain);
        numgenSlotGoto(r, i, n, endpointChains[i]);
        batch.addRule(std::move(r));
      }
      return;
  }
}

}  // namespace

const char* layoutName(Layout layout) {
  switch (layout) {
    case Layout::ConcatVmap:
      return "a-concat";
    case Layout::SlotKeyVmap:
      return "a'-slotkey";
    case Layout::NumgenGoto:
      return "b-numgen-goto";
    case Layout::DnatMap:
      return "c-dnat-map";
    case Layout::NumgenDnat:
      return "d-numgen-dnat";
  }
  return "?";
}

std::string serviceChainName(uint32_t service) {
  const std::string name = servicePortName(service);
  return "service-" + hex8(fnv1a(name)) + "-" + name;
}

std::string endpointChainName(const LayoutParams& p, uint32_t service, uint32_t endpoint,
                              uint32_t generation) {
  const std::string name = servicePortName(service);
  return "endpoint-" + hex8(fnv1a(name)) + "-" + name + "__" +
         dotted(endpointAddress(p, service, endpoint, generation)) + "/" +
         std::to_string(kTargetPort);
}

void buildFullLoad(Batch& batch, const LayoutParams& p) {
  const Family f = Family::Ip;
  batch.addTable(f, TableSpec{.name = p.table, .comment = "kpx layout probe"});
  batch.addChain(f, p.table,
                 ChainSpec{.name = "nat-prerouting",
                           .base = BaseChainSpec{.type = "nat",
                                                 .hook = Hook::Prerouting,
                                                 .priority = -100,
                                                 .policy = VerdictCode::Accept},
                           .comment = {}});
  batch.addChain(f, p.table, ChainSpec{.name = "services", .base = {}, .comment = {}});
  batch.addChain(f, p.table, ChainSpec{.name = kMarkForMasquerade, .base = {}, .comment = {}});
  {
    RuleBuilder r(f, p.table, kMarkForMasquerade);
    setMarkBits(r, kMasqueradeMark);
    batch.addRule(std::move(r));
  }
  batch.addSet(
      f, p.table,
      SetSpec::verdictMap(kServiceIps, keyLayout({KeyField::ipv4Addr(), KeyField::inetProto(),
                                                  KeyField::inetService()})));
  batch.addSet(
      f, p.table,
      SetSpec::verdictMap(kServiceSlots, p.layout == Layout::ConcatVmap
                                             ? keyLayout({KeyField::mark(), KeyField::mark()})
                                             : keyLayout({KeyField::mark()})));
  {
    RuleBuilder r(f, p.table, "nat-prerouting");
    r.verdict(Verdict::jump("services"));
    batch.addRule(std::move(r));
  }
  const bool chainless = p.layout == Layout::DnatMap || p.layout == Layout::NumgenDnat;
  if (p.layout == Layout::DnatMap) {
    for (uint32_t shard = 0; shard < std::max(1U, p.mapShards); ++shard) {
      batch.addSet(f, p.table,
                   SetSpec::dataMap(addrMap(p, shard), keyLayout({KeyField::mark()}),
                                    keyLayout({KeyField::ipv4Addr(), KeyField::inetService()})));
    }
  }
  if (chainless) {
    batch.addSet(f, p.table,
                 SetSpec::set(kHairpin, keyLayout({KeyField::ipv4Addr(), KeyField::ipv4Addr()})));
    batch.addChain(f, p.table,
                   ChainSpec{.name = "nat-postrouting",
                             .base = BaseChainSpec{.type = "nat",
                                                   .hook = Hook::Postrouting,
                                                   .priority = 100,
                                                   .policy = VerdictCode::Accept},
                             .comment = {}});
    RuleBuilder r(f, p.table, "nat-postrouting");
    matchConcatInSet(r, {Field::IpSaddr, Field::IpDaddr}, kHairpin);
    r.verdict(Verdict::jump(kMarkForMasquerade));
    batch.addRule(std::move(r));
  }
  {
    RuleBuilder r(f, p.table, "services");
    matchConcatVmap(r, {Field::IpDaddr, Field::L4proto, Field::ThDport}, kServiceIps);
    batch.addRule(std::move(r));
  }

  std::vector<ElementSpec> vips;
  std::vector<ElementSpec> slots;
  std::vector<std::vector<ElementSpec>> addrs(std::max(1U, p.mapShards));
  std::vector<ElementSpec> hairpins;
  const std::array<uint8_t, 4> podCidr = {10, 0, 0, 0};
  for (uint32_t s = 0; s < p.services; ++s) {
    const std::string chain = serviceChainName(s);
    batch.addChain(f, p.table, ChainSpec{.name = chain, .base = {}, .comment = servicePortName(s)});
    std::vector<std::string> endpointChains;
    for (uint32_t e = 0; e < p.endpoints && !chainless; ++e) {
      addEndpointChain(batch, p, s, e, 0);
      endpointChains.push_back(endpointChainName(p, s, e, 0));
    }
    RuleBuilder masq(f, p.table, chain);
    matchPrefix(masq, Field::IpSaddr, podCidr, 8, true);
    masq.verdict(Verdict::jump(kMarkForMasquerade));
    batch.addRule(std::move(masq));
    addSelectionRules(batch, p, s, endpointChains);

    ElementSpec vip;
    vip.key = KeyBuilder().bytes(serviceVip(s)).u8(IPPROTO_TCP).be16(kServicePort).take();
    vip.verdict = Verdict::goTo(chain);
    vip.label = servicePortName(s);
    vips.push_back(std::move(vip));
    if (p.layout == Layout::ConcatVmap || p.layout == Layout::SlotKeyVmap) {
      for (uint32_t e = 0; e < p.endpoints; ++e)
        slots.push_back(slotElement(p, s, e, endpointChains[e]));
    }
    for (uint32_t e = 0; e < p.endpoints && chainless; ++e) {
      if (p.layout == Layout::DnatMap) {
        addrs[s % addrs.size()].push_back(addrElement(p, s, e, 0));
      }
      hairpins.push_back(hairpinElement(p, s, e, 0));
    }
  }
  // Elements after the chains they jump to, in as few messages as the size limit allows.
  batch.addElements(f, p.table, kServiceIps, vips);
  if (!slots.empty()) batch.addElements(f, p.table, kServiceSlots, slots);
  for (uint32_t shard = 0; shard < addrs.size(); ++shard) {
    if (!addrs[shard].empty()) batch.addElements(f, p.table, addrMap(p, shard), addrs[shard]);
  }
  if (!hairpins.empty()) batch.addElements(f, p.table, kHairpin, hairpins);
}

void buildEndpointSwap(Batch& batch, const LayoutParams& p, uint32_t service, uint32_t generation) {
  const Family f = Family::Ip;
  if (p.layout == Layout::DnatMap || p.layout == Layout::NumgenDnat) {
    // (c): two elements change, no chain, no rule. (d): the service chain is rewritten.
    if (p.layout == Layout::DnatMap) {
      const ElementSpec oldAddr = addrElement(p, service, 0, generation - 1);
      const ElementSpec newAddr = addrElement(p, service, 0, generation);
      const std::string map = addrMap(p, service);
      batch.deleteElements(f, p.table, map, std::span<const ElementSpec>(&oldAddr, 1));
      batch.addElements(f, p.table, map, std::span<const ElementSpec>(&newAddr, 1));
    } else {
      const std::string chain = serviceChainName(service);
      batch.flushChain(f, p.table, chain);
      RuleBuilder masq(f, p.table, chain);
      matchPrefix(masq, Field::IpSaddr, std::array<uint8_t, 4>{10, 0, 0, 0}, 8, true);
      masq.verdict(Verdict::jump(kMarkForMasquerade));
      batch.addRule(std::move(masq));
      addSelectionRules(batch, p, service, {}, generation);
    }
    const ElementSpec oldHairpin = hairpinElement(p, service, 0, generation - 1);
    const ElementSpec newHairpin = hairpinElement(p, service, 0, generation);
    batch.deleteElements(f, p.table, kHairpin, std::span<const ElementSpec>(&oldHairpin, 1));
    batch.addElements(f, p.table, kHairpin, std::span<const ElementSpec>(&newHairpin, 1));
    return;
  }
  const std::string oldChain = endpointChainName(p, service, 0, generation - 1);
  const std::string newChain = endpointChainName(p, service, 0, generation);
  addEndpointChain(batch, p, service, 0, generation);
  if (p.layout == Layout::NumgenGoto) {
    // The selection rules name the chains: rewrite the service's chain.
    const std::string chain = serviceChainName(service);
    batch.flushChain(f, p.table, chain);
    RuleBuilder masq(f, p.table, chain);
    matchPrefix(masq, Field::IpSaddr, std::array<uint8_t, 4>{10, 0, 0, 0}, 8, true);
    masq.verdict(Verdict::jump(kMarkForMasquerade));
    batch.addRule(std::move(masq));
    std::vector<std::string> endpointChains;
    endpointChains.push_back(newChain);
    for (uint32_t e = 1; e < p.endpoints; ++e)
      endpointChains.push_back(endpointChainName(p, service, e, 0));
    addSelectionRules(batch, p, service, endpointChains);
  } else {
    // Only the slot's element changes.
    const ElementSpec old = slotElement(p, service, 0, oldChain);
    const ElementSpec now = slotElement(p, service, 0, newChain);
    batch.deleteElements(f, p.table, kServiceSlots, std::span<const ElementSpec>(&old, 1));
    batch.addElements(f, p.table, kServiceSlots, std::span<const ElementSpec>(&now, 1));
  }
  batch.deleteChain(f, p.table, oldChain);
}

}  // namespace kpx::nft::probe
