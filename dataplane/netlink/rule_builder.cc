#include "dataplane/netlink/rule_builder.h"

#include <libnftnl/common.h>
#include <libnftnl/udata.h>

#include <cstring>

#include "dataplane/netlink/udata.h"

namespace kpx::nft {

std::string renderExpr(const nftnl_expr* expr) {
  const char* name = nftnl_expr_get_str(expr, NFTNL_EXPR_NAME);
  std::string out = name != nullptr ? name : "?";
  char buf[1024];
  if (nftnl_expr_snprintf(buf, sizeof(buf), expr, NFTNL_OUTPUT_DEFAULT, 0) > 0) {
    out += ' ';
    out += buf;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

uint32_t encodeRegister(Reg reg) {
  if (reg.index % 4 == 0) return NFT_REG_1 + reg.index / 4;
  return NFT_REG32_00 + reg.index;
}

RuleBuilder::RuleBuilder(Family family, std::string_view table, std::string_view chain)
    : family_(family), table_(table), chain_(chain), rule_(makeRule()) {
  nftnl_rule_set_u32(rule_.get(), NFTNL_RULE_FAMILY, familyValue(family));
  nftnl_rule_set_str(rule_.get(), NFTNL_RULE_TABLE, table_.c_str());
  nftnl_rule_set_str(rule_.get(), NFTNL_RULE_CHAIN, chain_.c_str());
}

void RuleBuilder::fail(std::string_view what) {
  if (error_.empty())
    error_ = what.empty() ? std::string("cannot build the rule") : std::string(what);
}

// Registers are a programming error, not a runtime condition: a rule that overflows them is
// a bug in the caller, caught by the first test that builds it; the rule is then not sent.
bool RuleBuilder::checkRegister(Reg reg, uint32_t len, const char* expression) {
  if (reg.index < kRegCount && len <= 4U * kRegCount && reg.index + (len + 3) / 4 <= kRegCount)
    return true;
  fail(std::string(expression) + ": nftables register " + std::to_string(reg.index) + " + " +
       std::to_string(len) + " bytes out of range");
  return false;
}

void RuleBuilder::add(ExprPtr expr) {
  if (!rule_) {  // taken already: the expression is freed with `expr`
    fail("expression added to a rule already handed over");
    return;
  }
  nftnl_rule_add_expr(rule_.get(), expr.release());  // the rule owns it from here
  ++expressions_;
}

RuleBuilder& RuleBuilder::payload(PayloadBase base, uint32_t offset, uint32_t len, Reg dst) {
  if (!checkRegister(dst, len, "payload")) return *this;
  ExprPtr e = makeExpr("payload");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_DREG, encodeRegister(dst));
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_BASE, static_cast<uint32_t>(base));
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_OFFSET, offset);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_LEN, len);
  add(std::move(e));
  return *this;
}

RuleBuilder& RuleBuilder::meta(uint32_t key, Reg dst) {
  if (!checkRegister(dst, 4, "meta")) return *this;
  ExprPtr e = makeExpr("meta");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_META_KEY, key);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_META_DREG, encodeRegister(dst));
  add(std::move(e));
  return *this;
}

RuleBuilder& RuleBuilder::metaSet(uint32_t key, Reg src) {
  if (!checkRegister(src, 4, "metaSet")) return *this;
  ExprPtr e = makeExpr("meta");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_META_KEY, key);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_META_SREG, encodeRegister(src));
  add(std::move(e));
  return *this;
}

RuleBuilder& RuleBuilder::ct(uint32_t key, Reg dst) {
  if (!checkRegister(dst, 4, "ct")) return *this;
  ExprPtr e = makeExpr("ct");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_CT_KEY, key);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_CT_DREG, encodeRegister(dst));
  add(std::move(e));
  return *this;
}

RuleBuilder& RuleBuilder::fib(uint32_t flags, uint32_t result, Reg dst) {
  if (!checkRegister(dst, 4, "fib")) return *this;
  ExprPtr e = makeExpr("fib");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_FIB_FLAGS, flags);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_FIB_RESULT, result);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_FIB_DREG, encodeRegister(dst));
  add(std::move(e));
  return *this;
}

RuleBuilder& RuleBuilder::numgenRandom(uint32_t modulus, Reg dst, uint32_t offset) {
  if (!checkRegister(dst, 4, "numgenRandom")) return *this;
  ExprPtr e = makeExpr("numgen");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_NG_DREG, encodeRegister(dst));
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_NG_MODULUS, modulus);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_NG_TYPE, NFT_NG_RANDOM);
  if (offset != 0) nftnl_expr_set_u32(e.get(), NFTNL_EXPR_NG_OFFSET, offset);
  add(std::move(e));
  return *this;
}

RuleBuilder& RuleBuilder::immediate(Reg dst, std::span<const uint8_t> data) {
  if (!checkRegister(dst, static_cast<uint32_t>(data.size()), "immediate")) return *this;
  ExprPtr e = makeExpr("immediate");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_IMM_DREG, encodeRegister(dst));
  nftnl_expr_set(e.get(), NFTNL_EXPR_IMM_DATA, data.data(), static_cast<uint32_t>(data.size()));
  add(std::move(e));
  return *this;
}

RuleBuilder& RuleBuilder::immediateU32(Reg dst, uint32_t hostOrder) {
  uint8_t b[4];
  std::memcpy(b, &hostOrder, sizeof(b));
  return immediate(dst, b);
}

RuleBuilder& RuleBuilder::bitwise(Reg src, Reg dst, std::span<const uint8_t> mask,
                                  std::span<const uint8_t> xorValue) {
  const auto len = static_cast<uint32_t>(mask.size());
  if (xorValue.size() != mask.size()) {
    fail("bitwise: mask and xor lengths differ");
    return *this;
  }
  if (!checkRegister(src, len, "bitwise")) return *this;
  if (!checkRegister(dst, len, "bitwise")) return *this;
  ExprPtr e = makeExpr("bitwise");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_BITWISE_SREG, encodeRegister(src));
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_BITWISE_DREG, encodeRegister(dst));
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_BITWISE_OP, NFT_BITWISE_BOOL);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_BITWISE_LEN, len);
  nftnl_expr_set(e.get(), NFTNL_EXPR_BITWISE_MASK, mask.data(), len);
  nftnl_expr_set(e.get(), NFTNL_EXPR_BITWISE_XOR, xorValue.data(), len);
  add(std::move(e));
  return *this;
}

RuleBuilder& RuleBuilder::cmp(Reg src, CmpOp op, std::span<const uint8_t> data) {
  if (!checkRegister(src, static_cast<uint32_t>(data.size()), "cmp")) return *this;
  ExprPtr e = makeExpr("cmp");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_CMP_SREG, encodeRegister(src));
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_CMP_OP, static_cast<uint32_t>(op));
  nftnl_expr_set(e.get(), NFTNL_EXPR_CMP_DATA, data.data(), static_cast<uint32_t>(data.size()));
  add(std::move(e));
  return *this;
}

RuleBuilder& RuleBuilder::cmpU8(Reg src, CmpOp op, uint8_t value) {
  return cmp(src, op, std::span<const uint8_t>(&value, 1));
}

RuleBuilder& RuleBuilder::cmpU32(Reg src, CmpOp op, uint32_t hostOrder) {
  uint8_t b[4];
  std::memcpy(b, &hostOrder, sizeof(b));
  return cmp(src, op, b);
}

RuleBuilder& RuleBuilder::lookup(std::string_view set, Reg key, std::optional<Reg> dst,
                                 bool invert) {
  if (!checkRegister(key, 4, "lookup")) return *this;
  ExprPtr e = makeExpr("lookup");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_LOOKUP_SREG, encodeRegister(key));
  nftnl_expr_set_str(e.get(), NFTNL_EXPR_LOOKUP_SET, std::string(set).c_str());
  if (dst) {
    if (!checkRegister(*dst, 4, "lookup")) return *this;
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_LOOKUP_DREG, encodeRegister(*dst));
  }
  if (invert) nftnl_expr_set_u32(e.get(), NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
  add(std::move(e));
  return *this;
}

RuleBuilder& RuleBuilder::vmap(std::string_view map, Reg key) {
  if (!checkRegister(key, 4, "vmap")) return *this;
  ExprPtr e = makeExpr("lookup");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_LOOKUP_SREG, encodeRegister(key));
  nftnl_expr_set_str(e.get(), NFTNL_EXPR_LOOKUP_SET, std::string(map).c_str());
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_LOOKUP_DREG, NFT_REG_VERDICT);
  add(std::move(e));
  return *this;
}

RuleBuilder& RuleBuilder::dynset(DynsetOp op, std::string_view set, Reg key,
                                 std::optional<Reg> data, std::chrono::milliseconds timeout) {
  if (!checkRegister(key, 4, "dynset")) return *this;
  ExprPtr e = makeExpr("dynset");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_DYNSET_OP, static_cast<uint32_t>(op));
  nftnl_expr_set_str(e.get(), NFTNL_EXPR_DYNSET_SET_NAME, std::string(set).c_str());
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_DYNSET_SREG_KEY, encodeRegister(key));
  if (data) {
    if (!checkRegister(*data, 4, "dynset")) return *this;
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_DYNSET_SREG_DATA, encodeRegister(*data));
  }
  if (timeout.count() > 0) {
    nftnl_expr_set_u64(e.get(), NFTNL_EXPR_DYNSET_TIMEOUT, static_cast<uint64_t>(timeout.count()));
  }
  add(std::move(e));
  return *this;
}

RuleBuilder& RuleBuilder::counter() {
  add(makeExpr("counter"));
  return *this;
}

RuleBuilder& RuleBuilder::nat(NatType type, Family addrFamily, std::optional<Reg> addr,
                              std::optional<Reg> port, uint32_t flags) {
  ExprPtr e = makeExpr("nat");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_NAT_TYPE, static_cast<uint32_t>(type));
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_NAT_FAMILY, familyValue(addrFamily));
  if (addr) {
    if (!checkRegister(*addr, addrFamily == Family::Ip6 ? 16 : 4, "nat")) return *this;
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_NAT_REG_ADDR_MIN, encodeRegister(*addr));
  }
  if (port) {
    if (!checkRegister(*port, 4, "nat")) return *this;
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_NAT_REG_PROTO_MIN, encodeRegister(*port));
  }
  if (flags != 0) nftnl_expr_set_u32(e.get(), NFTNL_EXPR_NAT_FLAGS, flags);
  add(std::move(e));
  return *this;
}

RuleBuilder& RuleBuilder::masquerade(uint32_t flags) {
  ExprPtr e = makeExpr("masq");
  if (flags != 0) nftnl_expr_set_u32(e.get(), NFTNL_EXPR_MASQ_FLAGS, flags);
  add(std::move(e));
  return *this;
}

RuleBuilder& RuleBuilder::reject(uint32_t type, uint8_t code) {
  ExprPtr e = makeExpr("reject");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_REJECT_TYPE, type);
  nftnl_expr_set_u8(e.get(), NFTNL_EXPR_REJECT_CODE, code);
  add(std::move(e));
  return *this;
}

RuleBuilder& RuleBuilder::verdict(const Verdict& v) {
  ExprPtr e = makeExpr("immediate");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_IMM_VERDICT, static_cast<uint32_t>(v.code));
  if (v.code == VerdictCode::Jump || v.code == VerdictCode::Goto) {
    nftnl_expr_set_str(e.get(), NFTNL_EXPR_IMM_CHAIN, v.chain.c_str());
  }
  add(std::move(e));
  return *this;
}

RuleBuilder& RuleBuilder::comment(std::string_view text) {
  comment_ = std::string(text.substr(0, kMaxCommentLen));
  if (!rule_) {
    fail("comment set on a rule already handed over");
    return *this;
  }
  const auto ud = encodeComment(NFTNL_UDATA_RULE_COMMENT, comment_);
  nftnl_rule_set_data(rule_.get(), NFTNL_RULE_USERDATA, ud.data(),
                      static_cast<uint32_t>(ud.size()));
  return *this;
}

std::vector<std::string> RuleBuilder::render() const {
  std::vector<std::string> out;
  if (!rule_) return out;
  auto cb = [](nftnl_expr* e, void* data) -> int {
    static_cast<std::vector<std::string>*>(data)->push_back("[ " + renderExpr(e) + " ]");
    return 0;
  };
  nftnl_expr_foreach(rule_.get(), cb, &out);
  return out;
}

RulePtr RuleBuilder::take() {
  expressions_ = 0;
  return std::move(rule_);
}

}  // namespace kpx::nft
