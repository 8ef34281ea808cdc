#include "bench/kpx_sync.h"

#include <sys/resource.h>

#include <chrono>
#include <set>

#include "bench/netns.h"
#include "dataplane/nftables/names.h"
#include "dataplane/nftables/netlink/reader.h"
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
// O(chains x rules)), holds `want`: one service-ips element per service port, one endpoint chain
// per endpoint, and for `probe` exactly the endpoints synced.
tl::expected<void, std::string> check(const ProxyState& want, const ServicePortKey& probe) {
  auto socket = nft::Socket::open();
  if (!socket) return tl::unexpected("socket: " + socket.error().str());
  nft::Reader reader(*socket);
  auto elements = reader.elements(nft::Family::Ip, nftables::kTable, nftables::kServiceIPs);
  if (!elements) return tl::unexpected("read service-ips: " + elements.error().str());
  auto chains = reader.chains(nft::Family::Ip, nftables::kTable);
  if (!chains) return tl::unexpected("read chains: " + chains.error().str());
  std::set<std::string> names;
  size_t endpointChains = 0;
  for (const auto& c : *chains) {
    endpointChains += c.name.starts_with("endpoint-") ? 1 : 0;
    names.insert(c.name);
  }
  size_t wantEndpoints = 0;
  for (const auto& [key, sp] : want.servicePorts) wantEndpoints += sp.internal.endpoints.size();
  if (elements->size() != want.servicePorts.size() || endpointChains != wantEndpoints) {
    return tl::unexpected("kernel holds " + std::to_string(elements->size()) +
                          " service-ips elements and " + std::to_string(endpointChains) +
                          " endpoint chains; synced " + std::to_string(want.servicePorts.size()) +
                          " service ports, " + std::to_string(wantEndpoints) + " endpoints");
  }
  for (const auto& e : want.servicePorts.at(probe).internal.endpoints) {
    if (!names.contains(nftables::endpointChain(probe, e))) {
      return tl::unexpected(probe.str() + ": no chain for endpoint " + e.str());
    }
  }
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
  if (!dp) return tl::unexpected("create: " + dp.error());
  rep.createS = createWatch.stop(0).wallS;

  Stopwatch fullWatch;
  SyncResult r = (*dp)->sync(a, SyncKind::Full);
  rep.full = fullWatch.stop(r.messages);
  if (!r.ok) return tl::unexpected("full sync: " + r.error);
  if (verify) {
    if (auto c = check(a, probe); !c) return tl::unexpected("after full sync: " + c.error());
  }

  for (int i = 0; i < changes; ++i) {
    const ProxyState& next = i % 2 == 0 ? b : a;
    Stopwatch watch;
    r = (*dp)->sync(next, SyncKind::Incremental);
    rep.incremental.push_back(watch.stop(r.messages));
    if (!r.ok) return tl::unexpected("incremental sync " + std::to_string(i) + ": " + r.error);
    if (r.messages == 0) return tl::unexpected(std::string("incremental sync sent nothing"));
    if (verify && i == 0) {
      if (auto c = check(b, probe); !c) return tl::unexpected("after change: " + c.error());
    }
  }
  const ProxyState& last = changes % 2 == 1 ? b : a;
  dp->reset();  // the agent goes away; its rules stay

  Stopwatch restartWatch;
  auto again = NftablesDataplane::create();
  if (!again) return tl::unexpected("create (restart): " + again.error());
  r = (*again)->sync(last, SyncKind::Full);
  rep.restart = restartWatch.stop(r.messages);
  if (!r.ok) return tl::unexpected("restart sync: " + r.error);
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
