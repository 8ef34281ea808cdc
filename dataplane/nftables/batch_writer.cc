#include "dataplane/nftables/batch_writer.h"

#include <map>

#include "dataplane/nftables/names.h"

namespace kpx::nftables {
namespace {

void writeChainRules(nft::Batch& batch, nft::Family family, const ChainDef& chain) {
  for (const auto& rule : chain.rules) writeRule(batch, family, chain.name, rule);
}

// Elements grouped per map, so that each map's elements pack into as few messages as fit.
template <typename Range, typename Get>
std::map<std::string, std::vector<nft::ElementSpec>> byMap(const Range& list, Get get) {
  std::map<std::string, std::vector<nft::ElementSpec>> out;
  for (const auto& item : list) {
    const ElementDef& e = get(item);
    nft::ElementSpec spec;
    spec.key = e.key;
    spec.verdict = e.verdict;
    spec.data = e.data;
    spec.comment = e.comment;
    spec.label = e.map + " " + e.text() + (e.comment.empty() ? "" : " (" + e.comment + ")");
    out[e.map].push_back(std::move(spec));
  }
  return out;
}

}  // namespace

void writeRule(nft::Batch& batch, nft::Family family, const std::string& chain,
               const RuleDef& rule) {
  nft::RuleBuilder builder(family, kTable, chain);
  // An empty std::function would throw bad_function_call; a rule without its builder is a bug
  // that fails the batch instead (Batch::addRule).
  if (rule.build)
    rule.build(builder);
  else
    builder.fail("no expressions for the rule");
  batch.addRule(std::move(builder), "add rule " + std::string(nft::familyName(family)) + " " +
                                        std::string(kTable) + " " + chain + " " + rule.text);
}

void writeDelta(nft::Batch& batch, nft::Family family, const TableDelta& delta) {
  for (const auto& [name, chain] : delta.addedChains())
    batch.addChain(family, kTable, nft::ChainSpec{chain.name, chain.base, ""});
  for (const auto& [name, chain] : delta.rewrittenChains()) {
    batch.flushChain(family, kTable, chain.name);
    writeChainRules(batch, family, chain);
  }
  for (const auto& [name, chain] : delta.addedChains()) writeChainRules(batch, family, chain);
  for (const auto& [map, specs] :
       byMap(delta.removedElements(), [](const ElementDef& e) -> const ElementDef& { return e; }))
    batch.deleteElements(family, kTable, map, specs);
  for (const auto& [map, specs] :
       byMap(delta.addedElements(), [](const auto& kv) -> const ElementDef& { return kv.second; }))
    batch.addElements(family, kTable, map, specs);
  for (const auto& name : delta.removedChains()) batch.flushChain(family, kTable, name);
  for (const auto& name : delta.removedChains()) batch.deleteChain(family, kTable, name);
}

}  // namespace kpx::nftables
