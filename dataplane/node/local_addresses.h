// The addresses of the calling thread's network namespace (getifaddrs): the default node-address
// provider of BackendOptions, so NodePorts limited by nodePortAddresses follow the node's
// addresses as they change.
#pragma once

#include <vector>

#include <tl/expected.hpp>

#include "proxy/dataplane_error.h"
#include "proxy/ip.h"

namespace kpx::node {

tl::expected<std::vector<IPAddr>, DataplaneError> localAddresses();

}  // namespace kpx::node
