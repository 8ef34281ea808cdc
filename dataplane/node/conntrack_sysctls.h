// kube-proxy's conntrack sysctls (cmd/kube-proxy/app/server_linux.go, pkg/proxy/conntrack/
// sysctls.go): nf_conntrack_max from maxPerCore and min (and the hash table with it), the TCP
// established/close-wait timeouts, tcp_be_liberal and the UDP timeouts, each written only when
// the kernel's value differs. Unlike upstream, which stops at the first error, every setting is
// tried and reported: a node where one sysctl is read-only still gets the others.
//
// Scope: nf_conntrack_max and the hashsize are global (only the host's network namespace may
// write them: elsewhere nf_conntrack_max is read-only and the write fails with EACCES); the
// timeouts and be_liberal belong to the network namespace of the calling thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/node/setting_result.h"
#include "proxy/agent_config.h"

namespace kpx::node {

// Where the files are; tests point both at a temporary tree.
struct ConntrackPaths {
  std::filesystem::path procSys = "/proc/sys";
  std::filesystem::path sys = "/sys";
};

// nf_conntrack_max as kube-proxy computes it: maxPerCore x cpus, but at least min; 0 (leave the
// kernel's) when maxPerCore is 0.
int64_t conntrackMax(const ConntrackConfig& config, int cpus);

// A kernel CPU list ("0-3,8-11\n") -> how many CPUs it names; nullopt when malformed.
std::optional<int> countCpuList(std::string_view list);
// The node's online CPUs from <sys>/devices/system/cpu/online, as upstream reads sysfs rather
// than the CPUs this process may use (a kube-proxy pinned to one cpuset would size the table for
// that cpuset: kubernetes#99225); sysconf(_SC_NPROCESSORS_ONLN) when the file is unusable.
int onlineCpus(const std::filesystem::path& sysRoot);

struct SysctlValue {
  std::string name;  // under /proc/sys: "net/netfilter/nf_conntrack_max"
  int64_t value = 0;
  bool operator==(const SysctlValue&) const = default;
};

// The sysctls `config` asks for, in upstream's order (nf_conntrack_max first). Timeouts in whole
// seconds, truncated as Go's int(d / time.Second); zero timeouts and be_liberal false are left
// out (the kernel's value stays).
std::vector<SysctlValue> conntrackSysctls(const ConntrackConfig& config, int cpus);

// Sets them. After nf_conntrack_max (set or already right) comes the hash table:
// <sys>/module/nf_conntrack/parameters/hashsize is raised to max/4 when smaller, unless sysfs is
// mounted read-only (a Failed result: docker has been known to mount it so). One result per
// setting touched; the caller logs them (logSettings("conntrack", ...)).
std::vector<SettingResult> applyConntrackSysctls(const ConntrackConfig& config,
                                                 const ConntrackPaths& paths = {});

}  // namespace kpx::node
