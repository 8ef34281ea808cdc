// Turns a TableDelta into netlink messages, in an order the kernel accepts within one
// transaction: chains exist before anything refers to them, and references are gone before
// the chains they point to are deleted.
#pragma once

#include "dataplane/netlink/batch.h"
#include "dataplane/nftables/table_model.h"

namespace kpx::nftables {

void writeDelta(nft::Batch& batch, nft::Family family, const TableDelta& delta);
void writeRule(nft::Batch& batch, nft::Family family, const std::string& chain,
               const RuleDef& rule);

}  // namespace kpx::nftables
