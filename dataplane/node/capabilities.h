// What this process and kernel can do, probed rather than assumed: the backend registry checks
// a backend's declared needs against these before using it, and tests skip on the same probes
// (never on a backend's error message).
#pragma once

#include <string>

namespace kpx::node {

// Effective uid 0, or CAP_NET_ADMIN: what programming netfilter and IPVS takes.
bool hasNetAdmin();
// nf_tables answers in the calling thread's network namespace (a generation dump).
bool kernelHasNfTables();
// The IPVS generic netlink family is registered (ip_vs loaded or built in).
bool kernelHasIPVS();

}  // namespace kpx::node
