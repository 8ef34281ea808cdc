// Reads one table back from the kernel (netlink dumps) into plain structs: for `kpx dump`
// and for reconciling with what is already there when kpx starts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "dataplane/netlink/error.h"
#include "dataplane/netlink/objects.h"
#include "dataplane/netlink/socket.h"
#include "dataplane/netlink/types.h"

namespace kpx::nft {

struct TableInfo {
  Family family = Family::Ip;
  std::string name;
  uint32_t flags = 0;
  uint64_t handle = 0;
  uint32_t use = 0;  // number of chains, sets, ... in the table
  std::string comment;
};

struct ChainInfo {
  std::string name;
  uint64_t handle = 0;
  std::optional<BaseChainSpec> base;
  uint32_t use = 0;  // number of references to the chain (jumps, gotos, map elements)
  std::string comment;
};

struct ExprInfo {
  std::string name;  // "payload", "lookup", "immediate", ...
  std::string text;  // "payload load 4b @ network header + 16 => reg 1" (nft --debug=netlink)
};

struct RuleInfo {
  std::string chain;
  uint64_t handle = 0;
  std::string comment;
  std::vector<ExprInfo> exprs;
  std::vector<Verdict> verdicts;  // immediate verdicts (accept, jump x, goto y, ...)

  // "[ payload load 4b @ network header + 16 => reg 1 ] [ ... ]".
  std::string text() const;
};

struct ElementInfo {
  std::vector<uint8_t> key;
  std::optional<Verdict> verdict;
  std::vector<uint8_t> data;
  uint64_t timeoutMs = 0;
  uint64_t expirationMs = 0;
  uint32_t flags = 0;
  std::string comment;
};

struct SetInfo {
  std::string name;
  uint64_t handle = 0;
  uint32_t flags = 0;  // NFT_SET_*
  uint32_t keyType = 0;
  uint32_t keyLen = 0;
  std::optional<uint32_t> dataType;
  uint32_t dataLen = 0;
  uint64_t timeoutMs = 0;
  uint32_t size = 0;
  std::string comment;
  std::vector<ElementInfo> elements;  // filled by Reader::table() only
};

struct TableContents {
  TableInfo table;
  std::vector<ChainInfo> chains;
  std::vector<RuleInfo> rules;  // in chain order, then rule order
  std::vector<SetInfo> sets;
};

class Reader {
 public:
  explicit Reader(Socket& socket) : socket_(socket) {}

  tl::expected<std::vector<TableInfo>, NetlinkError> tables(Family family);
  tl::expected<std::vector<ChainInfo>, NetlinkError> chains(Family family, std::string_view table);
  // The rules of one chain, or of the whole table (chain empty). A whole table is read chain
  // by chain: the kernel resumes a table-wide rule dump by walking it again from the start for
  // every 32 KiB of answer, which makes it quadratic (40 s for 310,000 rules, against 4 s chain
  // by chain, where it finds each chain by hash).
  tl::expected<std::vector<RuleInfo>, NetlinkError> rules(Family family, std::string_view table,
                                                          std::string_view chain = {});
  // Sets and maps, without their elements.
  tl::expected<std::vector<SetInfo>, NetlinkError> sets(Family family, std::string_view table);
  // Retried while the dump shows the hash table being resized under it (see reader.cc).
  tl::expected<std::vector<ElementInfo>, NetlinkError> elements(Family family,
                                                                std::string_view table,
                                                                std::string_view set);
  // The ruleset generation id; it changes with every committed transaction.
  tl::expected<uint32_t, NetlinkError> generation();

  // Everything in the table, as of one ruleset generation: the dumps are repeated (up to a few
  // times) while a concurrent transaction changes the generation under them. ENOENT when the
  // table does not exist.
  tl::expected<TableContents, NetlinkError> table(Family family, std::string_view table);

 private:
  tl::expected<TableContents, NetlinkError> readOnce(Family family, std::string_view table);
  tl::expected<std::vector<ElementInfo>, NetlinkError> elementsOnce(Family family,
                                                                    std::string_view table,
                                                                    std::string_view set);
  tl::expected<std::vector<RuleInfo>, NetlinkError> chainRules(Family family,
                                                               std::string_view table,
                                                               std::string_view chain);
  tl::expected<std::vector<RuleInfo>, NetlinkError> rulesOf(Family family, std::string_view table,
                                                            const std::vector<ChainInfo>& chains);

  Socket& socket_;
};

}  // namespace kpx::nft
