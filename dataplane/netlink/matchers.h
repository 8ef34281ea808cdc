// Readable building blocks over RuleBuilder, named after the nft syntax they produce. Each
// encodes exactly what nft 1.0.6 emits for the same statement (checked in tests/kernel by
// comparing with `nft --debug=netlink`), so `nft list ruleset` prints kpx's rules as if nft
// had written them. They append to a RuleBuilder, so they compose:
//
//   RuleBuilder r(Family::Ip, "kpx", "services");
//   matchConcatVmap(r, {Field::IpDaddr, Field::L4proto, Field::ThDport}, "service-ips");
//
// Register use: a block uses registers from Reg{0} up unless it says otherwise; blocks that
// leave a value for a later block say where.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>

#include "dataplane/netlink/rule_builder.h"

namespace kpx::nft {

// Packet fields that can be matched or concatenated into a key.
enum class Field : uint8_t {
  IpSaddr,   // ip saddr   (4 bytes, network order)
  IpDaddr,   // ip daddr
  Ip6Saddr,  // ip6 saddr  (16 bytes)
  Ip6Daddr,  // ip6 daddr
  L4proto,   // meta l4proto (1 byte)
  ThSport,   // th sport (2 bytes, network order)
  ThDport,   // th dport
  Mark,      // meta mark (4 bytes, host order)
};
uint32_t fieldLength(Field field);
// The saddr/daddr field of a family (Ip or Ip6).
Field saddrField(Family family);
Field daddrField(Family family);

// Conntrack state bits (NF_CT_STATE_BIT), for matchCtState.
inline constexpr uint32_t kCtStateInvalid = 1;
inline constexpr uint32_t kCtStateEstablished = 2;
inline constexpr uint32_t kCtStateRelated = 4;
inline constexpr uint32_t kCtStateNew = 8;
inline constexpr uint32_t kCtStateUntracked = 64;

// Loads one field into `dst`.
void loadField(RuleBuilder& r, Field field, Reg dst);

// Loads `fields` one after the other, each starting in a fresh 32-bit register (nft's
// concatenation layout), from `first`. Returns the first register after the key.
Reg loadConcat(RuleBuilder& r, std::initializer_list<Field> fields, Reg first = Reg{0});

// `<f1> . <f2> . ... vmap @map`
void matchConcatVmap(RuleBuilder& r, std::initializer_list<Field> fields, std::string_view map);
// `<f1> . <f2> . ... @set` (or `!= @set` with invert)
void matchConcatInSet(RuleBuilder& r, std::initializer_list<Field> fields, std::string_view set,
                      bool invert = false);

// `meta l4proto <proto>`
void matchL4proto(RuleBuilder& r, uint8_t proto);
// `th dport <port>` (host-order port)
void matchThDport(RuleBuilder& r, uint16_t port);
// `ip saddr 10.0.0.0/8`, `ip6 daddr != fd00::/64`: field is an address field, addr holds 4 or
// 16 network-order bytes. Byte-aligned prefixes load only the prefix bytes (as nft does);
// others load the address and mask it with a bitwise. `/0` matches every packet (no
// expression), `!= /0` none. Bad arguments fail the rule (RuleBuilder::error()), as every block
// here does rather than throw.
void matchPrefix(RuleBuilder& r, Field field, std::span<const uint8_t> addr, uint32_t prefixLen,
                 bool negate = false);
// `ct state new` (any of the bits in stateBits)
void matchCtState(RuleBuilder& r, uint32_t stateBits);
// `fib saddr type local` / `fib daddr type local` (negate: `!= local`)
void matchFibAddrTypeLocal(RuleBuilder& r, bool saddr, bool negate = false);
// `meta mark & bits == bits` (set) or `meta mark & bits != bits` (!set)
void matchMarkBits(RuleBuilder& r, uint32_t bits, bool set);
// `meta mark set meta mark | bits`
void setMarkBits(RuleBuilder& r, uint32_t bits);
// `meta mark set meta mark ^ bits` (clears bits that are known to be set)
void xorMarkBits(RuleBuilder& r, uint32_t bits);

// `dnat ip to 10.1.2.3:8080` / `dnat ip6 to [fd00::1]:8080`; port 0: address only.
void dnatTo(RuleBuilder& r, Family family, std::span<const uint8_t> addr, uint16_t port);
// `masquerade` / `masquerade fully-random`
void masquerade(RuleBuilder& r, bool fullyRandom);
// `reject` (ICMP port unreachable in ip/ip6, ICMPx in inet) and `reject with tcp reset`
void rejectPortUnreachable(RuleBuilder& r, Family family);
void rejectTcpReset(RuleBuilder& r);

// Endpoint selection. Five layouts were prototyped and timed at 10,000 services x 10
// endpoints (../README.md, "The endpoint-selection experiment"). Summary: a verdict map shared
// by every service rule, (a) and (a'), is QUADRATIC in the kernel (the validation of each
// lookup walks the whole map): 220-250 s full load and 255-275 s for ONE endpoint change at
// 10k. Do not use them at scale. (b) is linear (3.5 s, ~0.1 s per change). (c) with the address
// maps sharded over a fixed number of maps (64) is the fastest: 1.0-1.3 s full load, < 1 ms per
// endpoint change, flat in the number of services.
//
// (a) concat: one verdict map for all services keyed on `service-id . slot` (mark . mark):
//   immediate serviceId -> Reg{0}; numgen random mod endpoints -> Reg{1};
//   lookup Reg{0..1} in `map` -> verdict (goto the slot's endpoint chain).
//   nft 1.0.6 prints the immediate untyped:
//   `0x2a000000 [invalid type] . numgen random mod 10 vmap @service-slots`.
void serviceSlotVmap(RuleBuilder& r, uint32_t serviceId, uint32_t endpoints, std::string_view map);
// (a') slot keys: one verdict map keyed on a single 32-bit slot key; each service owns the
//   keys firstKey .. firstKey + endpoints - 1 (e.g. serviceId << 12 | slot):
//   `numgen random mod <endpoints> offset <firstKey> vmap @map`. Printed cleanly by nft, but
//   quadratic like (a) when one map serves all services.
void slotKeyVmap(RuleBuilder& r, uint32_t firstKey, uint32_t endpoints, std::string_view map);
// (b) no set at all, the rule for slot i of n:
//   `numgen random mod (n - i) == 0 goto <chain>`; the last slot is a plain goto.
void numgenSlotGoto(RuleBuilder& r, uint32_t slot, uint32_t endpoints, std::string_view chain);
// The match part of (b) alone, for rules that act on the slot in place (e.g. dnat directly in
// the service chain, layout (d)): `numgen random mod (n - i) == 0`, nothing for the last slot.
void numgenSlotMatch(RuleBuilder& r, uint32_t slot, uint32_t endpoints);

// (c) no endpoint chains: the service chain DNATs straight from a map of endpoint addresses,
//   keyed on slot keys (map type mark : ipv4_addr . inet_service):
//   `dnat ip to numgen random mod <endpoints> offset <firstKey> map @map`. A data map is not
//   walked by the kernel's ruleset validation (only verdict maps are), and the table keeps one
//   chain per service instead of one per endpoint. But adding an element to a map costs
//   O(rules that use the map): spread services over a fixed number of maps (64: 1.0-1.3 s at
//   10k; one map: 32-42 s). An endpoint change is then two element updates and no rule, so no
//   whole-table revalidation. Hairpin masquerade and affinity need other homes (a `saddr .
//   daddr` set in postrouting; see ../README.md for affinity).
void dnatViaMap(RuleBuilder& r, Family family, uint32_t firstKey, uint32_t endpoints,
                std::string_view map);

// (c) as the backend uses it: the key is `<target id> . numgen random mod <endpoints>` (map
//   type mark . mark . mark : addr . inet_service), the 64-bit target id as two immediates.
//   A 64-bit id derived from the service port's name needs no allocator (the same in every
//   process, so a restart still recognises its table) and does not collide in practice.
void dnatViaTargetMap(RuleBuilder& r, Family family, uint64_t target, uint32_t endpoints,
                      std::string_view map);

// Session affinity, with one dynamic set for all services (kube-proxy has a set per endpoint).
// Elements are `saddr . endpointKey` with a per-element timeout (set type ipv4_addr|ipv6_addr .
// mark, flags dynamic,timeout); endpointKey is a 32-bit id the backend gives each endpoint of
// each service (never reused while entries may live, so a replaced endpoint inherits nothing).
// In the service chain, one rule per endpoint, before the random choice:
//   `ip saddr . <endpointKey> @affinity goto <endpoint chain>`
void affinitySetGoto(RuleBuilder& r, Family family, std::string_view affinitySet,
                     uint32_t endpointKey, std::string_view chain);
// In the endpoint chain: `update @affinity { ip saddr . <endpointKey> timeout T }`.
void affinitySetUpdate(RuleBuilder& r, Family family, std::string_view affinitySet,
                       uint32_t endpointKey, std::chrono::milliseconds timeout);

// The map form: one dynamic map `saddr . service-id : slot key` and one lookup per service.
// WARNING: the kernel runs it, but nft 1.0.6 aborts (assertion in netlink_parse_concat_expr)
// when it lists a rule whose vmap key is the result of another map lookup, so a ruleset
// holding affinityMapVmap cannot be listed with nft at all. Kept for the record and for newer
// nft; use the set form above.
//   service chain:  `ip saddr . <serviceId> map @affinity vmap @slots`
void affinityMapVmap(RuleBuilder& r, Family family, std::string_view affinityMap,
                     uint32_t serviceId, std::string_view slotsMap);
//   endpoint chain: `update @affinity { ip saddr . <serviceId> timeout T : <slotKey> }`
void affinityMapUpdate(RuleBuilder& r, Family family, std::string_view affinityMap,
                       uint32_t serviceId, uint32_t slotKey, std::chrono::milliseconds timeout);

}  // namespace kpx::nft
