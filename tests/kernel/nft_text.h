// A small parser for `nft list table` output, so kernel tests can compare what nft prints with
// what kpx's reader returns. It understands the subset nft prints for kpx's objects: chains
// (with type/policy/comment lines), rules one per line, sets/maps with an `elements = { }`
// block that may span lines.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace kpx::testing {

struct NftChainText {
  std::string comment;
  std::string header;  // "type nat hook prerouting priority dstnat; policy accept;" or ""
  std::vector<std::string> rules;
};

struct NftSetText {
  bool isMap = false;
  std::vector<std::string> properties;  // "type ...", "flags ...", "timeout ...", ...
  std::vector<std::string> elements;    // one per element, as printed
};

struct NftTableText {
  std::map<std::string, NftChainText> chains;
  std::map<std::string, NftSetText> sets;
};

NftTableText parseNftTable(const std::string& text);

// Splits nft's `--debug=netlink` output into the expression lines of each rule it printed
// ("[ payload load 4b @ network header + 16 => reg 1 ]" ...), in order.
std::vector<std::vector<std::string>> parseNftDebugRules(const std::string& text);

}  // namespace kpx::testing
