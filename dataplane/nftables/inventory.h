// `kpx dump`: kpx's nftables tables read back from the kernel into the typed Inventory: service
// ports with their virtual addresses and endpoints. Works from the kernel alone (no kpx state),
// so it tells what is really programmed, and can be compared with expectedInventory().
#pragma once

#include "dataplane/netlink/socket.h"
#include "proxy/dataplane.h"

namespace kpx::nftables {

DataplaneResult<Inventory> readInventory(nft::Socket& socket);

}  // namespace kpx::nftables
