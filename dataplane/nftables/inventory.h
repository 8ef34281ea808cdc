// `kpx dump`: kpx's nftables tables read back from the kernel into the typed Inventory: service
// ports with their virtual addresses and endpoints. Works from the kernel alone (no kpx state),
// so it tells what is really programmed, and can be compared with expectedInventory().
#pragma once

#include <utility>
#include <vector>

#include "dataplane/netlink/reader.h"
#include "dataplane/netlink/socket.h"
#include "proxy/dataplane.h"

namespace kpx::nftables {

DataplaneResult<Inventory> readInventory(nft::Socket& socket);

// The decoding half of readInventory: kpx's tables as read back (at most one per family) to
// the Inventory. Touches no kernel; tolerates anything in the tables (objects it cannot read
// are left out), so a table changed by hand still dumps.
Inventory inventoryOf(const std::vector<std::pair<IPFamily, nft::TableContents>>& tables);

}  // namespace kpx::nftables
