// What reaches a backend besides the desired state: settings that shape how a mode programs the
// kernel but are not Kubernetes semantics (those are in ProxyState and the packet plan), and the
// node-address provider. Filled by the backend registry (proxy/cmd) from the agent's config.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "proxy/dataplane_error.h"
#include "proxy/duration.h"
#include "proxy/ip.h"

namespace kpx {

// Which iptables binaries the iptables mode drives.
enum class IPTablesVariant : uint8_t {
  Auto,    // the one that already holds kube-proxy's or kpx's rules, else the system's default
  Legacy,  // iptables-legacy-restore
  NFT,     // iptables-nft-restore
};

// kube-proxy's ipvs section (ipvs mode only). Zero timeouts keep the kernel's.
struct IPVSConfig {
  std::string scheduler;  // "" means rr
  std::vector<std::string> excludeCIDRs;
  bool strictARP = false;
  Duration tcpTimeout = Duration::zero();
  Duration tcpFinTimeout = Duration::zero();
  Duration udpTimeout = Duration::zero();
};

// The node's addresses, asked for whenever a sync needs them (a full sync that must list the
// addresses NodePorts answer on), so an address added to the node is picked up.
using NodeAddressProvider = std::function<tl::expected<std::vector<IPAddr>, DataplaneError>()>;

struct BackendOptions {
  IPTablesVariant iptablesVariant = IPTablesVariant::Auto;
  // NodePorts on 127.0.0.1 (iptables mode, IPv4 only; needs route_localnet). Off unless the
  // config asks (CVE-2020-8558). The masquerade bit travels in GlobalState.masqueradeMark: a
  // change to it must rewrite the rules, which a desired-state change does.
  bool localhostNodePorts = false;
  IPVSConfig ipvs;
  NodeAddressProvider nodeAddresses;  // unset: the node has no address (NodePorts by CIDR get none)
};

}  // namespace kpx
