// `kpx dump`: kpx's nftables tables read back from the kernel and shown as service ports with
// their virtual addresses and endpoints. Works from the kernel alone (no kpx state), so it
// tells what is really programmed.
#pragma once

#include <tl/expected.hpp>

#include "dataplane/nftables/netlink/socket.h"
#include "proxy/dataplane.h"

namespace kpx::nftables {

tl::expected<Inventory, std::string> readInventory(nft::Socket& socket);

}  // namespace kpx::nftables
