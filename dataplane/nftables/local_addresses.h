#pragma once

#include <vector>

#include "proxy/state.h"

namespace kpx::nftables {

// This network namespace's addresses that fall inside the NodePort prefixes (getifaddrs).
std::vector<IPAddr> nodePortAddresses(const NodePortAddresses& scope);

}  // namespace kpx::nftables
