// One nftables rule, built expression by expression: the kernel's own vocabulary (payload,
// meta, cmp, lookup, ...) with registers made explicit. matchers.h composes these into the
// readable building blocks the backend uses ("ip daddr . meta l4proto . th dport vmap @m").
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/netlink/handles.h"
#include "dataplane/netlink/types.h"

namespace kpx::nft {

// A 32-bit data register, 0..15 (the kernel's NFT_REG32_00..15). A value longer than 4 bytes
// occupies consecutive registers: an IPv6 address loaded into Reg{0} fills 0..3.
struct Reg {
  uint8_t index = 0;
  Reg next(uint32_t bytes = 4) const { return Reg{static_cast<uint8_t>(index + (bytes + 3) / 4)}; }
  bool operator==(const Reg&) const = default;
};
inline constexpr uint8_t kRegCount = 16;

// One expression as `nft --debug=netlink` prints it, without the brackets:
// "payload load 4b @ network header + 16 => reg 1".
std::string renderExpr(const nftnl_expr* expr);

// How nft writes a register number into an expression: the legacy 128-bit number
// (NFT_REG_1..4) when the register starts a 16-byte block, NFT_REG32_xx otherwise. The
// kernel accepts both; following nft keeps `nft --debug=netlink` output identical.
uint32_t encodeRegister(Reg reg);

enum class PayloadBase : uint32_t {
  Link = NFT_PAYLOAD_LL_HEADER,
  Network = NFT_PAYLOAD_NETWORK_HEADER,
  Transport = NFT_PAYLOAD_TRANSPORT_HEADER,
};

enum class CmpOp : uint32_t {
  Eq = NFT_CMP_EQ,
  Neq = NFT_CMP_NEQ,
  Lt = NFT_CMP_LT,
  Lte = NFT_CMP_LTE,
  Gt = NFT_CMP_GT,
  Gte = NFT_CMP_GTE,
};

enum class DynsetOp : uint32_t { Add = NFT_DYNSET_OP_ADD, Update = NFT_DYNSET_OP_UPDATE };

enum class NatType : uint32_t { Snat = NFT_NAT_SNAT, Dnat = NFT_NAT_DNAT };

// A rule that cannot be built (a register out of range, a bad argument to a building block) is
// a bug in the caller, but it never throws: the builder keeps the first error, leaves the
// offending expression out, and Batch::addRule turns it into a failed commit that names the
// rule (nothing of the batch is sent). Nothing throws out of the sync thread (CONTRIBUTING
// habit 6).
class RuleBuilder {
 public:
  RuleBuilder(Family family, std::string_view table, std::string_view chain);
  RuleBuilder(RuleBuilder&&) noexcept = default;
  RuleBuilder& operator=(RuleBuilder&&) noexcept = default;

  Family family() const { return family_; }
  const std::string& table() const { return table_; }
  const std::string& chain() const { return chain_; }
  const std::string& comment() const { return comment_; }
  size_t expressionCount() const { return expressions_; }
  // False once an expression could not be built; error() says which and why.
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  // Records an error (the first one is kept): for building blocks that reject their arguments.
  void fail(std::string_view what);

  // Loads.
  RuleBuilder& payload(PayloadBase base, uint32_t offset, uint32_t len, Reg dst);
  RuleBuilder& meta(uint32_t key, Reg dst);                    // NFT_META_*
  RuleBuilder& ct(uint32_t key, Reg dst);                      // NFT_CT_*
  RuleBuilder& fib(uint32_t flags, uint32_t result, Reg dst);  // NFTA_FIB_F_*, NFT_FIB_RESULT_*
  // numgen random mod `modulus` (+ offset), a host-order u32.
  RuleBuilder& numgenRandom(uint32_t modulus, Reg dst, uint32_t offset = 0);
  RuleBuilder& immediate(Reg dst, std::span<const uint8_t> data);
  RuleBuilder& immediateU32(Reg dst, uint32_t hostOrder);

  // Transformations and stores.
  // dst = (src & mask) ^ xorValue, over mask.size() bytes.
  RuleBuilder& bitwise(Reg src, Reg dst, std::span<const uint8_t> mask,
                       std::span<const uint8_t> xorValue);
  RuleBuilder& metaSet(uint32_t key, Reg src);

  // Matches: the rule stops here (NFT_BREAK) unless the comparison or lookup succeeds.
  RuleBuilder& cmp(Reg src, CmpOp op, std::span<const uint8_t> data);
  RuleBuilder& cmpU8(Reg src, CmpOp op, uint8_t value);
  RuleBuilder& cmpU32(Reg src, CmpOp op, uint32_t hostOrder);
  // Set membership (dst empty) or map lookup into dst; `invert` matches on absence (sets only).
  RuleBuilder& lookup(std::string_view set, Reg key, std::optional<Reg> dst = std::nullopt,
                      bool invert = false);
  // Verdict map: the element's verdict becomes the rule's verdict.
  RuleBuilder& vmap(std::string_view map, Reg key);
  // Adds or refreshes an element of a dynamic set/map from the packet path. timeout 0: the
  // set's default.
  RuleBuilder& dynset(DynsetOp op, std::string_view set, Reg key, std::optional<Reg> data,
                      std::chrono::milliseconds timeout);

  // Statements.
  RuleBuilder& counter();
  // addrFamily: NFPROTO_IPV4/IPV6 of the address in addr. flags: NF_NAT_RANGE_*.
  RuleBuilder& nat(NatType type, Family addrFamily, std::optional<Reg> addr,
                   std::optional<Reg> port, uint32_t flags);
  RuleBuilder& masquerade(uint32_t flags);           // NF_NAT_RANGE_*
  RuleBuilder& reject(uint32_t type, uint8_t code);  // NFT_REJECT_*, ICMP/ICMPX code
  RuleBuilder& verdict(const Verdict& v);

  // nft's rule comment (udata), shown by `nft list`.
  RuleBuilder& comment(std::string_view text);

  // The expressions as `nft --debug=netlink` prints them, one per entry:
  // "[ payload load 4b @ network header + 16 => reg 1 ]". For tests, plans and debugging.
  std::vector<std::string> render() const;

  // Hands the rule over; the builder is empty afterwards.
  RulePtr take();

 private:
  void add(ExprPtr expr);
  // False (and the rule failed) when `len` bytes from `reg` do not fit in the 16 registers.
  bool checkRegister(Reg reg, uint32_t len, const char* expression);

  Family family_;
  std::string table_;
  std::string chain_;
  std::string comment_;
  RulePtr rule_;
  size_t expressions_ = 0;
  std::string error_;
};

}  // namespace kpx::nft
