// A small but complete kpx-like table (base chains, dispatch vmap, a service with two
// endpoints, affinity, masquerading, comments everywhere) shared by the batch tests, and a
// snapshot of a table for "nothing changed" comparisons.
#pragma once

#include <string>
#include <vector>

#include "dataplane/netlink/batch.h"
#include "dataplane/netlink/reader.h"

namespace kpx::testing {

inline constexpr const char* kTable = "kpxt";
inline constexpr const char* kSvcChain = "service-1a2b3c4d-default/web/tcp/http";
inline constexpr const char* kEp1 = "endpoint-5e6f7a8b-default/web/tcp/http__10.244.1.2/8080";
inline constexpr const char* kEp2 = "endpoint-9c0d1e2f-default/web/tcp/http__10.244.1.3/8080";

nft::ChainSpec regular(const std::string& name, const std::string& comment = {});
nft::ElementSpec vipElement(const char* vip, uint16_t port, const std::string& chain,
                            const std::string& label = {});
void addKpxLikeTable(nft::Batch& batch);

// What a table holds, as lines that compare equal when nothing changed.
std::vector<std::string> snapshot(nft::Reader reader, nft::Family family, const std::string& table);

}  // namespace kpx::testing
