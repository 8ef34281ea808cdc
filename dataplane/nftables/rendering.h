// What kpx wants in one nftables table, as comparable values. A rule is its nft text (its
// identity: two rules with the same text are the same rule) plus the code that builds its
// netlink expressions. Renderings are compared to find the delta a sync sends (DESIGN §8:
// compute the delta in the model, write only the delta to the kernel).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/nftables/netlink/objects.h"
#include "dataplane/nftables/netlink/rule_builder.h"
#include "dataplane/nftables/netlink/types.h"

namespace kpx::nftables {

struct RuleDef {
  std::string text;                              // "ip saddr 10.244.0.11 jump mark-for-masquerade"
  std::function<void(nft::RuleBuilder&)> build;  // appends the expressions

  bool operator==(const RuleDef& other) const { return text == other.text; }
};

struct ChainDef {
  std::string name;
  std::optional<nft::BaseChainSpec> base;
  std::vector<RuleDef> rules;

  bool sameRules(const ChainDef& other) const { return rules == other.rules; }
};

// One element of a named set or map. Identity: (map, key).
struct ElementDef {
  std::string map;
  std::vector<uint8_t> key;
  std::optional<nft::Verdict> verdict;  // verdict maps
  std::string keyText;                  // "10.96.0.10 . tcp . 80"
  std::string comment;                  // "default/web:http", shown by nft list
  std::vector<uint8_t> data;            // data maps, register layout
  std::string dataText;                 // "10.244.1.2 . 8080"
  // Several service ports may want the same element (the hairpin pair of an endpoint that
  // serves two ports): the table keeps it while any port does, instead of calling it a conflict.
  bool shared = false;

  std::string text() const {
    if (verdict) return keyText + " : " + verdict->str();
    return dataText.empty() ? keyText : keyText + " : " + dataText;
  }
  bool operator==(const ElementDef& o) const {
    return map == o.map && key == o.key && verdict == o.verdict && comment == o.comment &&
           data == o.data;
  }
};

// Everything one service port contributes to the table.
struct PortRendering {
  std::vector<ChainDef> chains;
  std::vector<ElementDef> elements;
};

// The part of the table that does not depend on services: base chains, helper chains, the
// sets and maps (their number is constant whatever the number of services, DESIGN §4).
struct BaseRendering {
  std::vector<nft::SetSpec> sets;
  std::vector<ChainDef> chains;
  std::vector<ElementDef> elements;  // nodeport-ips
};

}  // namespace kpx::nftables
