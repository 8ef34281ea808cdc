#include "proxy/conntrack_plan.h"

#include <utility>

namespace kpx {

namespace {

// Endpoints by address and port: a port change is a different DNAT target, so the old one's
// flows are stale even though the IP stayed (upstream compares endpoints as "ip:port" too).
using EndpointSet = std::set<std::pair<IPAddr, uint16_t>>;

// Calls f(frontend) for each frontend of a UDP service port (none for other protocols).
template <typename F>
void forEachFrontend(const ServicePortState& sp, F&& f) {
  if (sp.key.protocol != Protocol::UDP) return;
  const IPFamily family = sp.key.family;
  if (!sp.clusterIP.isUnspecified()) f(UdpFrontend{family, sp.clusterIP, sp.port});
  for (const IPAddr& ip : sp.externalIPs) f(UdpFrontend{family, ip, sp.port});
  for (const IPAddr& ip : sp.loadBalancerIPs) f(UdpFrontend{family, ip, sp.port});
  if (sp.nodePort != 0) f(UdpFrontend{family, std::nullopt, sp.nodePort});
}

void addEndpoints(EndpointSet& into, const ServicePortState& sp) {
  for (const EndpointState& e : sp.internal.endpoints) into.emplace(e.ip, e.port);
  for (const EndpointState& e : sp.external.endpoints) into.emplace(e.ip, e.port);
}

ConntrackFilter filterFor(const UdpFrontend& f, std::optional<IPAddr> replySrc) {
  return {.family = f.family,
          .protocol = Protocol::UDP,
          .origDst = f.ip,
          .origDstPort = f.port,
          .replySrc = std::move(replySrc)};
}

// The filters for one frontend whose endpoints went from `old` to `now` (each the union over
// the ports answering there).
void addFilters(const UdpFrontend& frontend, const EndpointSet& old, const EndpointSet& now,
                std::set<ConntrackFilter>& filters) {
  for (const auto& endpoint : old) {
    if (!now.contains(endpoint)) filters.insert(filterFor(frontend, endpoint.first));
  }
  // A frontend that had no endpoint before has no DNATed flow to lose, so the broader filter
  // never hides a pair filter from the loop above.
  if (!now.empty() && old.empty()) filters.insert(filterFor(frontend, std::nullopt));
}

}  // namespace

UdpFrontendIndex::UdpFrontendIndex(const ProxyState& state) {
  for (const auto& [key, sp] : state.servicePorts) {
    forEachFrontend(sp, [&](UdpFrontend f) { ports_[std::move(f)].insert(key); });
  }
}

void UdpFrontendIndex::update(const ProxyState& after, const StateChanges& changes) {
  for (const auto& [key, before] : changes.before) {
    if (key.protocol != Protocol::UDP || !before) continue;
    forEachFrontend(*before, [&](const UdpFrontend& f) {
      auto it = ports_.find(f);
      if (it == ports_.end()) return;
      it->second.erase(key);
      if (it->second.empty()) ports_.erase(it);
    });
  }
  for (const auto& [key, before] : changes.before) {
    if (key.protocol != Protocol::UDP) continue;
    auto now = after.servicePorts.find(key);
    if (now == after.servicePorts.end()) continue;
    forEachFrontend(now->second, [&](UdpFrontend f) { ports_[std::move(f)].insert(key); });
  }
}

const std::set<ServicePortKey>& UdpFrontendIndex::portsAt(const UdpFrontend& frontend) const {
  static const std::set<ServicePortKey> kNone;
  auto it = ports_.find(frontend);
  return it == ports_.end() ? kNone : it->second;
}

bool ConntrackFilter::matches(const ConntrackFlow& flow) const {
  if (flow.family != family || flow.protocol != ipProtoNumber(protocol)) return false;
  if (origDst && flow.origDst != *origDst) return false;
  if (origDstPort && flow.origDstPort != *origDstPort) return false;
  if (replySrc && flow.replySrc != *replySrc) return false;
  return true;
}

std::string ConntrackFilter::str() const {
  std::string out = std::string(toString(family)) + " " + std::string(toLowerString(protocol));
  if (origDst) out += " orig-dst=" + origDst->str();
  if (origDstPort) out += " orig-port-dst=" + std::to_string(*origDstPort);
  if (replySrc) out += " reply-src=" + replySrc->str();
  return out;
}

std::vector<ConntrackFilter> conntrackCleanup(const ProxyState& after, const StateChanges& changes,
                                              const UdpFrontendIndex& frontends) {
  // Frontends whose endpoints may differ: those of a changed port, before or after. Every other
  // frontend is answered by the same unchanged ports on both sides, so it yields no filter.
  struct Sides {
    EndpointSet old;
    EndpointSet now;
  };
  std::map<UdpFrontend, Sides> touched;
  for (const auto& [key, before] : changes.before) {
    if (key.protocol != Protocol::UDP) continue;
    if (before)
      forEachFrontend(*before,
                      [&](UdpFrontend f) { addEndpoints(touched[std::move(f)].old, *before); });
    if (auto now = after.servicePorts.find(key); now != after.servicePorts.end()) {
      forEachFrontend(now->second,
                      [&](UdpFrontend f) { addEndpoints(touched[std::move(f)].now, now->second); });
    }
  }
  std::set<ConntrackFilter> filters;
  for (auto& [frontend, sides] : touched) {
    // The unchanged ports sharing the frontend count on both sides.
    for (const ServicePortKey& key : frontends.portsAt(frontend)) {
      if (changes.before.contains(key)) continue;
      auto sp = after.servicePorts.find(key);
      if (sp == after.servicePorts.end()) continue;
      addEndpoints(sides.old, sp->second);
      addEndpoints(sides.now, sp->second);
    }
    addFilters(frontend, sides.old, sides.now, filters);
  }
  return {filters.begin(), filters.end()};
}

std::vector<ConntrackFilter> conntrackCleanup(const ProxyState& before, const ProxyState& after) {
  return conntrackCleanup(after, changesBetween(before, after), UdpFrontendIndex(after));
}

ConntrackReconcile::ConntrackReconcile(const ProxyState& state) {
  // Every port answering on a frontend adds its endpoints, so a shared frontend has the union.
  std::map<UdpFrontend, EndpointSet> frontends;
  for (const auto& [key, sp] : state.servicePorts) {
    forEachFrontend(sp, [&](UdpFrontend f) { addEndpoints(frontends[std::move(f)], sp); });
  }
  std::set<IPFamily> families;
  for (auto& [frontend, endpoints] : frontends) {
    if (frontend.ip) {
      addresses_.emplace(std::pair{*frontend.ip, frontend.port}, std::move(endpoints));
    } else if (!endpoints.empty()) {
      nodePorts_.emplace(std::pair{frontend.family, frontend.port}, std::move(endpoints));
    } else {
      continue;
    }
    families.insert(frontend.family);
  }
  families_.assign(families.begin(), families.end());
}

bool ConntrackReconcile::isStale(const ConntrackFlow& flow) const {
  if (flow.protocol != ipProtoNumber(Protocol::UDP)) return false;
  const std::pair<IPAddr, uint16_t> replier{flow.replySrc, flow.replySrcPort};
  if (auto it = addresses_.find({flow.origDst, flow.origDstPort}); it != addresses_.end()) {
    return !it->second.contains(replier);
  }
  if (auto it = nodePorts_.find({flow.family, flow.origDstPort}); it != nodePorts_.end()) {
    return !it->second.contains(replier);
  }
  return false;
}

std::vector<ConntrackFilter> retryableFilters(const std::vector<ConntrackFilter>& failed,
                                              const ProxyState& after,
                                              const UdpFrontendIndex& frontends) {
  std::set<ConntrackFilter> kept;
  for (const ConntrackFilter& f : failed) {
    if (f.protocol != Protocol::UDP || !f.replySrc || !f.origDstPort) continue;
    const UdpFrontend frontend{.family = f.family, .ip = f.origDst, .port = *f.origDstPort};
    bool endpointBack = false;
    for (const ServicePortKey& key : frontends.portsAt(frontend)) {
      auto sp = after.servicePorts.find(key);
      if (sp == after.servicePorts.end()) continue;
      for (const TrafficTarget* target : {&sp->second.internal, &sp->second.external}) {
        for (const EndpointState& e : target->endpoints) endpointBack |= e.ip == *f.replySrc;
      }
    }
    if (!endpointBack) kept.insert(f);
  }
  return {kept.begin(), kept.end()};
}

}  // namespace kpx
