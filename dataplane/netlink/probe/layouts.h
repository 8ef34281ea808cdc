// Synthetic kpx-like rulesets for the endpoint-selection experiment (dataplane/nftables/README.md): N services
// with M endpoints each, in one of the candidate layouts. Used by kpx_nft_layout_probe (timing)
// and by tests/kernel (correctness and `nft list` output at small N). Not production code.
#pragma once

#include <cstdint>
#include <string>

#include "dataplane/netlink/batch.h"

namespace kpx::nft::probe {

enum class Layout {
  ConcatVmap,   // (a)  `<id> . numgen random mod M vmap @service-slots` (mark . mark keys)
  SlotKeyVmap,  // (a') `numgen random mod M offset <id << 12> vmap @service-slots` (one key)
  NumgenGoto,   // (b)  M rules `numgen random mod (M - i) == 0 goto endpoint-i`, no set
  DnatMap,      // (c)  no endpoint chains: `dnat to numgen random mod M offset <id << 12>
                //      map @endpoint-addrs`, hairpin through a `saddr . daddr` set
  NumgenDnat,   // (d)  no endpoint chains, no map: M rules in the service chain
                //      `numgen random mod (M - i) == 0 meta l4proto tcp dnat to <ep>`,
                //      hairpin through a `saddr . daddr` set
};

const char* layoutName(
    Layout layout);  // "a-concat", "a'-slotkey", "b-numgen-goto", "c-dnat-map", "d-numgen-dnat"

struct LayoutParams {
  Layout layout = Layout::SlotKeyVmap;
  uint32_t services = 100;
  uint32_t endpoints = 10;
  std::string table = "kpx";
  uint32_t mapShards = 1;  // (c) only: number of endpoint-address maps services are spread over
};

// Names, as kube-proxy-like readable strings ("service-1a2b3c4d-ns12/svc12/tcp/p80").
std::string serviceChainName(uint32_t service);
std::string endpointChainName(const LayoutParams& params, uint32_t service, uint32_t endpoint,
                              uint32_t generation = 0);

// Everything for a full load, into `batch`: the table, the shared chains and maps, and per
// service its chain, its endpoint chains (hairpin + dnat rule each) and its map elements.
void buildFullLoad(Batch& batch, const LayoutParams& params);

// An incremental sync: endpoint 0 of `service` is replaced by a new one (new chain, new map
// element or rules, old chain deleted). Its size does not depend on params.services.
void buildEndpointSwap(Batch& batch, const LayoutParams& params, uint32_t service,
                       uint32_t generation);

}  // namespace kpx::nft::probe
