// What kpx wants in one nftables table, as comparable values. A rule is its nft text (its
// identity: two rules with the same text are the same rule) plus the code that builds its
// netlink expressions. Renderings are compared to find the delta a sync sends (CONTRIBUTING.md:
// compute the delta in the model, write only the delta to the kernel).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/netlink/objects.h"
#include "dataplane/netlink/rule_builder.h"
#include "dataplane/netlink/types.h"

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

// Who may hold an element of a given (map, key).
enum class Sharing : uint8_t {
  // One service port; another port wanting the same key is a conflict the sync reports (two
  // services claiming one VIP and port).
  Exclusive,
  // Any number of ports (the hairpin pair of an endpoint that serves two ports, the ClusterIP
  // of a multi-port service): the table keeps it while any port wants it.
  Shared,
  // Unique by construction: the key embeds the port's own id (endpoint-map slots), so no other
  // port can want it and the table keeps no record of who holds it.
  Unique,
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
  Sharing sharing = Sharing::Exclusive;

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
// sets and maps (their number is constant whatever the number of services, dataplane/nftables/README.md).
struct BaseRendering {
  std::vector<nft::SetSpec> sets;
  std::vector<ChainDef> chains;
  std::vector<ElementDef> elements;  // nodeport-ips
};

}  // namespace kpx::nftables
