// Plain descriptions of the kernel objects kpx creates (tables, chains, sets/maps, set
// elements), and their conversion to libnftnl objects. Rules have their own builder
// (rule_builder.h) because they are made of expressions.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/netlink/handles.h"
#include "dataplane/netlink/key.h"
#include "dataplane/netlink/types.h"

namespace kpx::nft {

struct TableSpec {
  std::string name;
  std::string comment;  // shown by `nft list` (table udata)
};

struct BaseChainSpec {
  std::string type = "filter";  // "filter", "nat" or "route"
  Hook hook = Hook::Prerouting;
  int32_t priority = 0;
  VerdictCode policy = VerdictCode::Accept;  // only Accept and Drop are valid
};

struct ChainSpec {
  std::string name;
  std::optional<BaseChainSpec> base;  // none: a regular chain, reached by jump/goto/vmap
  std::string comment;                // shown by `nft list` (chain udata, kernel >= 5.10)
};

struct SetSpec {
  std::string name;
  KeyLayout key;  // type (for printing) and length in bytes
  // Maps only. A verdict map has dataType kVerdictMapDataType and dataLen 0.
  std::optional<uint32_t> dataType;
  uint32_t dataLen = 0;
  ByteOrder dataByteorder = ByteOrder::Invalid;  // for nft's printing only
  uint32_t flags = 0;  // NFT_SET_*; NFT_SET_MAP and NFT_SET_TIMEOUT are added when implied
  std::chrono::milliseconds timeout{0};  // default element timeout (implies NFT_SET_TIMEOUT)
  uint32_t size = 0;                     // maximum elements; 0: unlimited (not for dynamic sets)
  std::string comment;

  static SetSpec verdictMap(std::string name, KeyLayout key);
  static SetSpec dataMap(std::string name, KeyLayout key, KeyField data);
  // Concatenated data, e.g. `ipv4_addr . inet_service` for dnat targets.
  static SetSpec dataMap(std::string name, KeyLayout key, KeyLayout data);
  static SetSpec set(std::string name, KeyLayout key);
  bool isMap() const { return dataType.has_value(); }
};

struct ElementSpec {
  std::vector<uint8_t> key;              // register layout, see KeyBuilder
  std::optional<Verdict> verdict;        // verdict maps
  std::vector<uint8_t> data;             // data maps
  std::chrono::milliseconds timeout{0};  // 0: the set's default
  std::string comment;                   // shown by `nft list` (element udata)
  std::string label;                     // names the element in errors; default: key and verdict
};

// Conversions. Family, table and names are set; the caller adds nothing else.
TablePtr toNftnl(Family family, const TableSpec& spec);
ChainPtr toNftnl(Family family, std::string_view table, const ChainSpec& spec);
SetPtr toNftnl(Family family, std::string_view table, const SetSpec& spec);
SetElemPtr toNftnl(const ElementSpec& spec);

// Object-only handles, for delete and flush messages.
TablePtr tableRef(Family family, std::string_view table);
ChainPtr chainRef(Family family, std::string_view table, std::string_view chain);
SetPtr setRef(Family family, std::string_view table, std::string_view set);

}  // namespace kpx::nft
