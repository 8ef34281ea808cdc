#include "bench/kpx_sync.h"

#include <sys/resource.h>

#include <chrono>
#include <set>

#include "bench/netns.h"
#include "dataplane/nftables/names.h"
#include "dataplane/netlink/reader.h"
#include "dataplane/nftables/nftables_dataplane.h"

namespace kpx::bench {
namespace {

using nftables::NftablesDataplane;

struct Stopwatch {
  std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
  rusage r0 = usage();

  static rusage usage() {
    rusage r{};
    getrusage(RUSAGE_SELF, &r);
    return r;
  }
  static double diff(const timeval& a, const timeval& b) {
    return static_cast<double>(b.tv_sec - a.tv_sec) + static_cast<double>(b.tv_usec - a.tv_usec) / 1e6;
  }
  Timed stop(size_t messages) const {
    const auto t1 = std::chrono::steady_clock::now();
    const rusage r1 = usage();
    return {std::chrono::duration<double>(t1 - t0).count(), diff(r0.ru_utime, r1.ru_utime),
            diff(r0.ru_stime, r1.ru_stime), messages};
  }
};

// The kernel's table, read back over netlink (not with dump(): its text rendering is
// O(chains x rules)), holds `want`: one service-ips element per service port, one endpoint-map
// element per endpoint (layout (c)), and for `probe` exactly the endpoints synced.
tl::expected<void, std::string> check(const ProxyState& want, const ServicePortKey& probe) {
  auto socket = nft::Socket::open();
  if (!socket) return tl::unexpected("socket: " + socket.error().str());
  nft::Reader reader(*socket);
  auto elements = reader.elements(nft::Family::Ip, nftables::kTable, nftables::kServiceIPs);
  if (!elements) return tl::unexpected("read service-ips: " + elements.error().str());
  size_t endpointElements = 0;
  std::set<std::string> probeEndpoints;
  for (uint32_t shard = 0; shard < nftables::kEndpointMaps; ++shard) {
    auto els = reader.elements(nft::Family::Ip, nftables::kTable, nftables::endpointMap(shard));
    if (!els) return tl::unexpected("read " + nftables::endpointMap(shard) + ": " + els.error().str());
    endpointElements += els->size();
    for (const auto& e : *els) {
      if (e.comment != probe.chainSuffix() || e.data.size() < 6) continue;
      const IPAddr ip = IPAddr::fromBytes(IPFamily::V4, e.data.data());
      probeEndpoints.insert(ip.str() + ":" + std::to_string(e.data[4] << 8 | e.data[5]));
    }
  }
  size_t wantEndpoints = 0;
  for (const auto& [key, sp] : want.servicePorts) wantEndpoints += sp.internal.endpoints.size();
  if (elements->size() != want.servicePorts.size() || endpointElements != wantEndpoints) {
    return tl::unexpected("kernel holds " + std::to_string(elements->size()) +
                          " service-ips elements and " + std::to_string(endpointElements) +
                          " endpoint-map elements; synced " +
                          std::to_string(want.servicePorts.size()) + " service ports, " +
                          std::to_string(wantEndpoints) + " endpoints");
  }
  std::set<std::string> wantProbe;
  for (const auto& e : want.servicePorts.at(probe).internal.endpoints)
    wantProbe.insert(e.ip.str() + ":" + std::to_string(e.port));
  if (probeEndpoints != wantProbe)
    return tl::unexpected(probe.str() + ": the endpoint maps hold other endpoints than synced");
  return {};
}

}  // namespace

tl::expected<KpxRep, std::string> runKpxRep(const Workload& w, const ProxyState& a,
                                            const ProxyState& b, int changes, bool verify) {
  auto ns = Netns::create();
  if (!ns) return tl::unexpected(ns.error());
  if (auto entered = ns->enter(); !entered) return tl::unexpected(entered.error());
  KpxRep rep;
  const ServicePortKey probe = changedKey(w);

  Stopwatch createWatch;
  auto dp = NftablesDataplane::create();
  if (!dp) return tl::unexpected("create: " + dp.error().str());
  rep.createS = createWatch.stop(0).wallS;

  Stopwatch fullWatch;
  const StateChanges everything{.global = true, .before = {}};
  auto r = (*dp)->sync(a, SyncKind::Full, everything);
  rep.full = fullWatch.stop(r ? r->messages : 0);
  if (!r) return tl::unexpected("full sync: " + r.error().str());
  if (verify) {
    if (auto c = check(a, probe); !c) return tl::unexpected("after full sync: " + c.error());
  }

  // What the agent's state updater hands the dataplane for this change: the one port, with its
  // previous value (the updater's own cost is the agent benchmark's, bench/agent_latency.py).
  const StateChanges toB{.global = false, .before = {{probe, a.servicePorts.at(probe)}}};
  const StateChanges toA{.global = false, .before = {{probe, b.servicePorts.at(probe)}}};
  for (int i = 0; i < changes; ++i) {
    const ProxyState& next = i % 2 == 0 ? b : a;
    Stopwatch watch;
    r = (*dp)->sync(next, SyncKind::Incremental, i % 2 == 0 ? toB : toA);
    rep.incremental.push_back(watch.stop(r ? r->messages : 0));
    if (!r) return tl::unexpected("incremental sync " + std::to_string(i) + ": " + r.error().str());
    if (r->messages == 0) return tl::unexpected(std::string("incremental sync sent nothing"));
    if (verify && i == 0) {
      if (auto c = check(b, probe); !c) return tl::unexpected("after change: " + c.error());
    }
  }
  const ProxyState& last = changes % 2 == 1 ? b : a;
  dp->reset();  // the agent goes away; its rules stay

  Stopwatch restartWatch;
  auto again = NftablesDataplane::create();
  if (!again) return tl::unexpected("create (restart): " + again.error().str());
  r = (*again)->sync(last, SyncKind::Full, everything);
  rep.restart = restartWatch.stop(r ? r->messages : 0);
  if (!r) return tl::unexpected("restart sync: " + r.error().str());
  rep.adopted = (*again)->stats().adoptedTables == 1;
  if (verify) {
    if (auto c = check(last, probe); !c) return tl::unexpected("after restart: " + c.error());
    rep.verified = "read back after full sync, first change and restart";
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  rep.maxRssKiB = ru.ru_maxrss;
  return rep;
}

}  // namespace kpx::bench
