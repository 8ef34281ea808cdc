#include "dataplane/netlink/reader.h"

#include <arpa/inet.h>
#include <libnftnl/common.h>
#include <libnftnl/udata.h>
#include <linux/netfilter/nfnetlink.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <iterator>
#include <thread>
#include <tuple>

#include "dataplane/netlink/rule_builder.h"
#include "dataplane/netlink/udata.h"

namespace kpx::nft {

namespace {

constexpr int kConsistentReadAttempts = 5;

// Room for a request header and a table plus a chain or set name (each at most 256 bytes).
using RequestBuffer = std::array<char, 4096>;

template <typename Get>
std::string commentFrom(Get get, uint8_t type) {
  uint32_t len = 0;
  const void* data = get(&len);
  if (data == nullptr || len == 0) return {};
  return decodeComment(std::span<const uint8_t>(static_cast<const uint8_t*>(data), len), type);
}

// libnftnl returns NULL for an attribute the kernel did not send; a std::string or
// std::string_view made from NULL is undefined (libstdc++ throws or crashes), so every string
// read from a dump goes through here.
std::string_view str(const char* text) {
  return text != nullptr ? std::string_view(text) : std::string_view();
}

std::vector<uint8_t> bytesOf(const void* data, uint32_t len) {
  if (data == nullptr) return {};
  const auto* p = static_cast<const uint8_t*>(data);
  return std::vector<uint8_t>(p, p + len);
}

TableInfo toTableInfo(nftnl_table* t) {
  TableInfo info;
  info.family = static_cast<Family>(nftnl_table_get_u32(t, NFTNL_TABLE_FAMILY));
  info.name = str(nftnl_table_get_str(t, NFTNL_TABLE_NAME));
  info.flags = nftnl_table_get_u32(t, NFTNL_TABLE_FLAGS);
  info.handle = nftnl_table_get_u64(t, NFTNL_TABLE_HANDLE);
  info.use = nftnl_table_get_u32(t, NFTNL_TABLE_USE);
  info.comment =
      commentFrom([t](uint32_t* len) { return nftnl_table_get_data(t, NFTNL_TABLE_USERDATA, len); },
                  NFTNL_UDATA_TABLE_COMMENT);
  return info;
}

ChainInfo toChainInfo(nftnl_chain* c) {
  ChainInfo info;
  info.name = str(nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
  info.handle = nftnl_chain_get_u64(c, NFTNL_CHAIN_HANDLE);
  info.use = nftnl_chain_get_u32(c, NFTNL_CHAIN_USE);
  if (nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM)) {
    BaseChainSpec base;
    base.hook = static_cast<Hook>(nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM));
    base.priority = nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO);
    if (nftnl_chain_is_set(c, NFTNL_CHAIN_TYPE))
      base.type = str(nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE));
    base.policy = static_cast<VerdictCode>(nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY));
    info.base = base;
  }
  info.comment =
      commentFrom([c](uint32_t* len) { return nftnl_chain_get_data(c, NFTNL_CHAIN_USERDATA, len); },
                  NFTNL_UDATA_CHAIN_COMMENT);
  return info;
}

int collectExpr(nftnl_expr* e, void* data) {
  auto* info = static_cast<RuleInfo*>(data);
  ExprInfo expr;
  expr.name = str(nftnl_expr_get_str(e, NFTNL_EXPR_NAME));
  expr.text = renderExpr(e);
  if (expr.name == "immediate" && nftnl_expr_is_set(e, NFTNL_EXPR_IMM_VERDICT)) {
    Verdict v;
    v.code = static_cast<VerdictCode>(nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT));
    if (nftnl_expr_is_set(e, NFTNL_EXPR_IMM_CHAIN))
      v.chain = str(nftnl_expr_get_str(e, NFTNL_EXPR_IMM_CHAIN));
    info->verdicts.push_back(std::move(v));
  }
  info->exprs.push_back(std::move(expr));
  return 0;
}

RuleInfo toRuleInfo(nftnl_rule* r) {
  RuleInfo info;
  info.chain = str(nftnl_rule_get_str(r, NFTNL_RULE_CHAIN));
  info.handle = nftnl_rule_get_u64(r, NFTNL_RULE_HANDLE);
  info.comment =
      commentFrom([r](uint32_t* len) { return nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, len); },
                  NFTNL_UDATA_RULE_COMMENT);
  nftnl_expr_foreach(r, collectExpr, &info);
  return info;
}

SetInfo toSetInfo(nftnl_set* s) {
  SetInfo info;
  info.name = str(nftnl_set_get_str(s, NFTNL_SET_NAME));
  info.handle = nftnl_set_get_u64(s, NFTNL_SET_HANDLE);
  info.flags = nftnl_set_get_u32(s, NFTNL_SET_FLAGS);
  info.keyType = nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE);
  info.keyLen = nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN);
  if (nftnl_set_is_set(s, NFTNL_SET_DATA_TYPE)) {
    info.dataType = nftnl_set_get_u32(s, NFTNL_SET_DATA_TYPE);
    info.dataLen = nftnl_set_get_u32(s, NFTNL_SET_DATA_LEN);
  }
  info.timeoutMs = nftnl_set_get_u64(s, NFTNL_SET_TIMEOUT);
  info.size = nftnl_set_get_u32(s, NFTNL_SET_DESC_SIZE);
  info.comment =
      commentFrom([s](uint32_t* len) { return nftnl_set_get_data(s, NFTNL_SET_USERDATA, len); },
                  NFTNL_UDATA_SET_COMMENT);
  return info;
}

int collectElement(nftnl_set_elem* e, void* data) {
  auto* out = static_cast<std::vector<ElementInfo>*>(data);
  ElementInfo info;
  // Separate statements: the length is only known once the getter has run.
  uint32_t len = 0;
  const void* key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
  info.key = bytesOf(key, len);
  if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_VERDICT)) {
    Verdict v;
    v.code = static_cast<VerdictCode>(nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_VERDICT));
    if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_CHAIN)) {
      v.chain = str(nftnl_set_elem_get_str(e, NFTNL_SET_ELEM_CHAIN));
    }
    info.verdict = std::move(v);
  } else if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_DATA)) {
    const void* data = nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA, &len);
    info.data = bytesOf(data, len);
  }
  if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_TIMEOUT)) {
    info.timeoutMs = nftnl_set_elem_get_u64(e, NFTNL_SET_ELEM_TIMEOUT);
  }
  if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_EXPIRATION)) {
    info.expirationMs = nftnl_set_elem_get_u64(e, NFTNL_SET_ELEM_EXPIRATION);
  }
  if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS)) {
    info.flags = nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS);
  }
  if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_USERDATA)) {
    const void* ud = nftnl_set_elem_get(e, NFTNL_SET_ELEM_USERDATA, &len);
    info.comment = decodeComment(std::span<const uint8_t>(static_cast<const uint8_t*>(ud), len),
                                 NFTNL_UDATA_SET_ELEM_COMMENT);
  }
  out->push_back(std::move(info));
  return 0;
}

// Interval sets list a range as two elements, start and end (flag NFT_SET_ELEM_INTERVAL_END),
// so a key is a duplicate only with the same flags.
bool hasDuplicateKeys(const std::vector<ElementInfo>& elements) {
  std::vector<std::pair<const std::vector<uint8_t>*, uint32_t>> keys;
  keys.reserve(elements.size());
  for (const ElementInfo& e : elements) keys.emplace_back(&e.key, e.flags);
  std::sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) {
    return std::tie(*a.first, a.second) < std::tie(*b.first, b.second);
  });
  return std::adjacent_find(keys.begin(), keys.end(), [](const auto& a, const auto& b) {
           return *a.first == *b.first && a.second == b.second;
         }) != keys.end();
}

std::string dumpOp(std::string_view what, Family family, std::string_view table) {
  std::string op = "dump ";
  op += what;
  op += " of ";
  op += familyName(family);
  op += ' ';
  op += table;
  return op;
}

}  // namespace

std::string RuleInfo::text() const {
  std::string out;
  for (const ExprInfo& e : exprs) {
    if (!out.empty()) out += ' ';
    out += "[ " + e.text + " ]";
  }
  return out;
}

tl::expected<std::vector<TableInfo>, NetlinkError> Reader::tables(Family family) {
  RequestBuffer buf{};
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf.data(), NFT_MSG_GETTABLE, familyValue(family),
                                        NLM_F_DUMP, allocateSeq());
  std::vector<TableInfo> out;
  auto done = socket_.talk(
      nlh,
      [&out, family](const nlmsghdr* msg) {
        TablePtr t = makeTable();
        if (nftnl_table_nlmsg_parse(msg, t.get()) < 0) return false;
        TableInfo info = toTableInfo(t.get());
        if (info.family == family) out.push_back(std::move(info));
        return true;
      },
      std::string("dump tables of ") + std::string(familyName(family)));
  if (!done) return tl::unexpected(done.error());
  return out;
}

tl::expected<std::vector<ChainInfo>, NetlinkError> Reader::chains(Family family,
                                                                  std::string_view table) {
  RequestBuffer buf{};
  // Chain dumps cannot be filtered by table in the kernel: filter here.
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf.data(), NFT_MSG_GETCHAIN, familyValue(family),
                                        NLM_F_DUMP, allocateSeq());
  std::vector<ChainInfo> out;
  auto done = socket_.talk(
      nlh,
      [&out, table](const nlmsghdr* msg) {
        ChainPtr c = makeChain();
        if (nftnl_chain_nlmsg_parse(msg, c.get()) < 0) return false;
        if (table == str(nftnl_chain_get_str(c.get(), NFTNL_CHAIN_TABLE))) {
          out.push_back(toChainInfo(c.get()));
        }
        return true;
      },
      dumpOp("chains", family, table));
  if (!done) return tl::unexpected(done.error());
  return out;
}

tl::expected<std::vector<RuleInfo>, NetlinkError> Reader::rules(Family family,
                                                                std::string_view table,
                                                                std::string_view chain) {
  if (!chain.empty()) return chainRules(family, table, chain);
  auto chainList = chains(family, table);
  if (!chainList) return tl::unexpected(chainList.error());
  return rulesOf(family, table, *chainList);
}

tl::expected<std::vector<RuleInfo>, NetlinkError> Reader::rulesOf(
    Family family, std::string_view table, const std::vector<ChainInfo>& chainList) {
  std::vector<RuleInfo> out;
  for (const ChainInfo& c : chainList) {
    auto some = chainRules(family, table, c.name);
    if (!some) return tl::unexpected(some.error());
    std::move(some->begin(), some->end(), std::back_inserter(out));
  }
  return out;
}

tl::expected<std::vector<RuleInfo>, NetlinkError> Reader::chainRules(Family family,
                                                                     std::string_view table,
                                                                     std::string_view chain) {
  RequestBuffer buf{};
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf.data(), NFT_MSG_GETRULE, familyValue(family),
                                        NLM_F_DUMP, allocateSeq());
  // The kernel filters rule dumps by table and chain.
  RulePtr filter = makeRule();
  nftnl_rule_set_str(filter.get(), NFTNL_RULE_TABLE, std::string(table).c_str());
  nftnl_rule_set_str(filter.get(), NFTNL_RULE_CHAIN, std::string(chain).c_str());
  nftnl_rule_nlmsg_build_payload(nlh, filter.get());
  std::vector<RuleInfo> out;
  auto done = socket_.talk(
      nlh,
      [&out, table, chain](const nlmsghdr* msg) {
        RulePtr r = makeRule();
        if (nftnl_rule_nlmsg_parse(msg, r.get()) < 0) return false;
        if (table != str(nftnl_rule_get_str(r.get(), NFTNL_RULE_TABLE))) return true;
        if (chain != str(nftnl_rule_get_str(r.get(), NFTNL_RULE_CHAIN))) return true;
        out.push_back(toRuleInfo(r.get()));
        return true;
      },
      dumpOp("rules", family, table) + " " + std::string(chain));
  if (!done) return tl::unexpected(done.error());
  return out;
}

tl::expected<std::vector<SetInfo>, NetlinkError> Reader::sets(Family family,
                                                              std::string_view table) {
  RequestBuffer buf{};
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf.data(), NFT_MSG_GETSET, familyValue(family), NLM_F_DUMP,
                                        allocateSeq());
  SetPtr filter = makeSet();
  nftnl_set_set_str(filter.get(), NFTNL_SET_TABLE, std::string(table).c_str());
  nftnl_set_nlmsg_build_payload(nlh, filter.get());
  std::vector<SetInfo> out;
  auto done = socket_.talk(
      nlh,
      [&out, table](const nlmsghdr* msg) {
        SetPtr s = makeSet();
        if (nftnl_set_nlmsg_parse(msg, s.get()) < 0) return false;
        if (table == str(nftnl_set_get_str(s.get(), NFTNL_SET_TABLE)))
          out.push_back(toSetInfo(s.get()));
        return true;
      },
      dumpOp("sets", family, table));
  if (!done) return tl::unexpected(done.error());
  return out;
}

tl::expected<std::vector<ElementInfo>, NetlinkError> Reader::elements(Family family,
                                                                      std::string_view table,
                                                                      std::string_view set) {
  // A hash set's dump is resumed by position, so if the kernel resizes the hash table between
  // two parts of the dump (it does so in a deferred worker, shortly after big insertions), some
  // elements come twice and others not at all, with no NLM_F_DUMP_INTR and no generation
  // change. Seen here with 50,000 elements under load. Duplicates are the visible symptom:
  // retry until a dump has none.
  NetlinkError last = makeError(EAGAIN, dumpOp("elements", family, table) + " " + std::string(set),
                                "hash table kept resizing during the dump");
  for (int attempt = 0; attempt < kConsistentReadAttempts; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(10 << attempt));
    auto once = elementsOnce(family, table, set);
    if (!once) return once;
    if (!hasDuplicateKeys(*once)) return once;
  }
  return tl::unexpected(last);
}

tl::expected<std::vector<ElementInfo>, NetlinkError> Reader::elementsOnce(Family family,
                                                                          std::string_view table,
                                                                          std::string_view set) {
  RequestBuffer buf{};
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf.data(), NFT_MSG_GETSETELEM, familyValue(family),
                                        NLM_F_DUMP, allocateSeq());
  mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, std::string(table).c_str());
  mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, std::string(set).c_str());
  std::vector<ElementInfo> out;
  auto done = socket_.talk(
      nlh,
      [&out](const nlmsghdr* msg) {
        // Each answer holds a batch of elements; parse them into a throwaway set.
        SetPtr s = makeSet();
        if (nftnl_set_elems_nlmsg_parse(msg, s.get()) < 0) return false;
        nftnl_set_elem_foreach(s.get(), collectElement, &out);
        return true;
      },
      dumpOp("elements", family, table) + " " + std::string(set));
  if (!done) return tl::unexpected(done.error());
  return out;
}

tl::expected<uint32_t, NetlinkError> Reader::generation() {
  RequestBuffer buf{};
  nlmsghdr* nlh =
      nftnl_nlmsg_build_hdr(buf.data(), NFT_MSG_GETGEN, AF_UNSPEC, NLM_F_ACK, allocateSeq());
  std::optional<uint32_t> gen;
  auto done = socket_.talk(
      nlh,
      [&gen](const nlmsghdr* msg) {
        if (mnl_nlmsg_get_payload_len(msg) < sizeof(nfgenmsg)) return false;
        const auto* payload = static_cast<const char*>(mnl_nlmsg_get_payload(msg));
        int remaining = static_cast<int>(mnl_nlmsg_get_payload_len(msg) - sizeof(nfgenmsg));
        for (auto* a = reinterpret_cast<const nlattr*>(payload + sizeof(nfgenmsg));
             mnl_attr_ok(a, remaining); remaining -= MNL_ALIGN(a->nla_len), a = mnl_attr_next(a)) {
          if (mnl_attr_get_type(a) == NFTA_GEN_ID &&
              mnl_attr_get_payload_len(a) >= sizeof(uint32_t))
            gen = ntohl(mnl_attr_get_u32(a));
        }
        return true;
      },
      "get ruleset generation");
  if (!done) return tl::unexpected(done.error());
  if (!gen) return tl::unexpected(makeError(EPROTO, "get ruleset generation", "no NFTA_GEN_ID"));
  return *gen;
}

tl::expected<TableContents, NetlinkError> Reader::table(Family family, std::string_view table) {
  NetlinkError last = makeError(EINTR, dumpOp("table", family, table));
  for (int attempt = 0; attempt < kConsistentReadAttempts; ++attempt) {
    auto before = generation();
    if (!before) return tl::unexpected(before.error());
    auto contents = readOnce(family, table);
    if (!contents) {
      if (contents.error().errnum != EINTR) return contents;
      last = contents.error();
      continue;
    }
    auto after = generation();
    if (!after) return tl::unexpected(after.error());
    if (*before == *after) return contents;
  }
  return tl::unexpected(last);
}

tl::expected<TableContents, NetlinkError> Reader::readOnce(Family family, std::string_view table) {
  TableContents out;
  auto tableList = tables(family);
  if (!tableList) return tl::unexpected(tableList.error());
  bool found = false;
  for (TableInfo& t : *tableList) {
    if (t.name == table) {
      out.table = std::move(t);
      found = true;
    }
  }
  if (!found) {
    return tl::unexpected(makeError(ENOENT, dumpOp("table", family, table), "no such table"));
  }
  auto chainList = chains(family, table);
  if (!chainList) return tl::unexpected(chainList.error());
  out.chains = std::move(*chainList);
  auto ruleList = rulesOf(family, table, out.chains);
  if (!ruleList) return tl::unexpected(ruleList.error());
  out.rules = std::move(*ruleList);
  auto setList = sets(family, table);
  if (!setList) return tl::unexpected(setList.error());
  out.sets = std::move(*setList);
  for (SetInfo& s : out.sets) {
    auto elems = elements(family, table, s.name);
    if (!elems) return tl::unexpected(elems.error());
    s.elements = std::move(*elems);
  }
  return out;
}

}  // namespace kpx::nft
