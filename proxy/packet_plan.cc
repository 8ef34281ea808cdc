#include "proxy/packet_plan.h"

namespace kpx {

LocalTrafficMatch localTrafficMatch(const GlobalState& g, IPFamily family) {
  LocalTrafficMatch m;
  switch (g.detectLocalMode) {
    case LocalDetectMode::ClusterCIDR:
    case LocalDetectMode::NodeCIDR:
      for (const auto& c : g.localTrafficCIDRs)
        if (c.family() == family) {
          m.kind = LocalTrafficMatch::Kind::SourceCIDR;
          m.cidr = c;
        }
      break;
    case LocalDetectMode::BridgeInterface:
      if (!g.localInterface.empty()) {
        m.kind = LocalTrafficMatch::Kind::InputInterface;
        m.interface = g.localInterface;
      }
      break;
    case LocalDetectMode::InterfaceNamePrefix:
      if (!g.localInterface.empty()) {
        m.kind = LocalTrafficMatch::Kind::InputInterfacePrefix;
        m.interface = g.localInterface;
      }
      break;
  }
  return m;
}

PortPlan planPort(const ServicePortState& sp, const GlobalState& g) {
  PortPlan p;
  p.localTraffic = localTrafficMatch(g, sp.key.family);

  // ClusterIP: pods reach it unmasqueraded, everyone else masqueraded so replies come back
  // through this node. Without a way to recognise pods kube-proxy masquerades nothing (it
  // cannot tell a pod from the world) unless told to masquerade everything.
  p.internal.target = &sp.internal;
  if (g.masqueradeAll)
    p.internal.masquerade = InternalPlan::Masquerade::Always;
  else if (p.localTraffic.present())
    p.internal.masquerade = InternalPlan::Masquerade::UnlessLocal;

  // External addresses. eTP=Cluster: masquerade everything (the endpoint may be on another
  // node). eTP=Local: keep the client's address and use this node's endpoints only; but pods and
  // the node itself are treated as if they had used the ClusterIP (they must reach the service
  // even on a node without local endpoints), the node masqueraded so the reply comes back.
  p.external.target = &sp.external;
  if (sp.externalPolicy == TrafficPolicy::Local) {
    p.external.masquerade = false;
    if (!sp.internal.endpoints.empty()) {
      if (p.localTraffic.present())
        p.external.shortCircuits.push_back({SourceClass::LocalTraffic, false});
      p.external.shortCircuits.push_back({SourceClass::NodeLocal, true});
    }
  }

  // Source ranges guard the load-balancer IPs only. The load-balancer IPs themselves are allowed:
  // clouds that SNAT health checks and hairpin traffic to the LB IP.
  if (!sp.loadBalancerSourceRanges.empty() && !sp.loadBalancerIPs.empty()) {
    p.firewall.allowSources = sp.loadBalancerSourceRanges;
    p.firewall.allowAddresses = sp.loadBalancerIPs;
  }
  return p;
}

namespace {

bool matchesLocalTraffic(const LocalTrafficMatch& m, const Packet& packet) {
  switch (m.kind) {
    case LocalTrafficMatch::Kind::None:
      return false;
    case LocalTrafficMatch::Kind::SourceCIDR:
      return m.cidr.contains(packet.source);
    case LocalTrafficMatch::Kind::InputInterface:
      return packet.inputInterface == m.interface;
    case LocalTrafficMatch::Kind::InputInterfacePrefix:
      return packet.inputInterface.starts_with(m.interface);
  }
  return false;
}

PacketFate toTarget(const TrafficTarget* target, bool masquerade) {
  PacketFate fate;
  if (target == nullptr || target->endpoints.empty()) {
    fate.action = target != nullptr && target->ifEmpty == EmptyAction::Drop ? VipAction::Drop
                                                                             : VipAction::Reject;
    return fate;
  }
  fate.target = target;
  fate.masquerade = masquerade;
  return fate;
}

}  // namespace

PacketFate tracePacket(const PortPlan& plan, const Packet& packet) {
  if (packet.to == VipKind::External && packet.toLoadBalancerIP && plan.firewall.active()) {
    bool allowed = false;
    for (const auto& c : plan.firewall.allowSources) allowed = allowed || c.contains(packet.source);
    for (const auto& ip : plan.firewall.allowAddresses) allowed = allowed || ip == packet.source;
    if (!allowed) return PacketFate{.action = VipAction::Drop, .target = nullptr, .masquerade = false};
  }
  if (packet.to == VipKind::ClusterIP) {
    bool masq = false;
    switch (plan.internal.masquerade) {
      case InternalPlan::Masquerade::Never:
        break;
      case InternalPlan::Masquerade::Always:
        masq = true;
        break;
      case InternalPlan::Masquerade::UnlessLocal:
        masq = !matchesLocalTraffic(plan.localTraffic, packet);
        break;
    }
    return toTarget(plan.internal.target, masq);
  }
  for (const auto& sc : plan.external.shortCircuits) {
    const bool matches = sc.from == SourceClass::LocalTraffic
                             ? matchesLocalTraffic(plan.localTraffic, packet)
                             : packet.sourceIsNodeLocal;
    if (matches) return toTarget(plan.internal.target, sc.masquerade);
  }
  return toTarget(plan.external.target, plan.external.masquerade);
}

std::string PacketFate::str() const {
  switch (action) {
    case VipAction::Reject:
      return "REJECT";
    case VipAction::Drop:
      return "DROP";
    case VipAction::Endpoints:
      break;
  }
  std::string out;
  for (const auto& ep : target->endpoints) out += (out.empty() ? "" : ", ") + ep.str();
  return out + (masquerade ? " masq" : "");
}

}  // namespace kpx
