#include "proxy/plan_render.h"

#include "proxy/text_table.h"

namespace kpx {
namespace {

std::vector<std::string> endpointStrings(const TrafficTarget& t) {
  std::vector<std::string> out;
  for (const auto& ep : t.endpoints) {
    std::string s = ep.str();
    if (!ep.ready) s += ep.terminating ? "(terminating)" : "(not-ready)";
    out.push_back(s);
  }
  return out;
}

std::string targetCell(const TrafficTarget& t, TrafficPolicy policy) {
  std::string head = std::string(toString(policy)) + ": ";
  if (t.endpoints.empty()) return head + (t.ifEmpty == EmptyAction::Drop ? "DROP" : "REJECT");
  return head + join(endpointStrings(t), ",");
}

std::vector<std::string> vipStrings(const ServicePortState& sp) {
  std::vector<std::string> out;
  out.push_back(hostPort(sp.clusterIP, sp.port) + "(cluster)");
  for (const auto& ip : sp.externalIPs) out.push_back(hostPort(ip, sp.port) + "(external)");
  for (const auto& ip : sp.loadBalancerIPs) out.push_back(hostPort(ip, sp.port) + "(lb)");
  if (sp.nodePort) out.push_back("*:" + std::to_string(sp.nodePort) + "(nodeport)");
  return out;
}

std::string nodePortScope(const NodePortAddresses& npa) {
  if (npa.allLocal) return "all local addresses";
  std::vector<std::string> c;
  for (const auto& cidr : npa.cidrs) c.push_back(cidr.str());
  return join(c, ",");
}

nlohmann::json targetJson(const TrafficTarget& t, TrafficPolicy policy) {
  nlohmann::json eps = nlohmann::json::array();
  for (const auto& ep : t.endpoints) {
    eps.push_back({{"ip", ep.ip.str()},
                   {"port", ep.port},
                   {"ready", ep.ready},
                   {"serving", ep.serving},
                   {"terminating", ep.terminating},
                   {"local", ep.local}});
  }
  return {{"policy", toString(policy)},
          {"endpoints", eps},
          {"ifEmpty", t.endpoints.empty() ? std::string(toString(t.ifEmpty)) : std::string()}};
}

}  // namespace

std::string hostPort(const IPAddr& ip, uint16_t port) {
  return ip.isV4() ? ip.str() + ":" + std::to_string(port)
                   : "[" + ip.str() + "]:" + std::to_string(port);
}

std::string renderPlanTable(const ProxyState& state) {
  TextTable table({"SERVICE", "FAMILY", "PROTO", "VIPS", "INTERNAL", "EXTERNAL", "AFFINITY"});
  for (const auto& [key, sp] : state.servicePorts) {
    table.addRow({key.str(), std::string(toString(key.family)),
                  std::string(toLowerString(key.protocol)), join(vipStrings(sp), " "),
                  targetCell(sp.internal, sp.internalPolicy),
                  sp.externallyAccessible() ? targetCell(sp.external, sp.externalPolicy) : "-",
                  sp.affinityTimeoutSeconds
                      ? "ClientIP " + std::to_string(*sp.affinityTimeoutSeconds) + "s"
                      : "-"});
  }
  std::string out = table.str();
  const auto& g = state.global;
  std::vector<std::string> cidrs;
  for (const auto& c : g.localTrafficCIDRs) cidrs.push_back(c.str());
  out += "\n" + std::to_string(state.servicePorts.size()) + " service ports; node ports on " +
         nodePortScope(g.nodePortAddresses) + "; local traffic (" +
         std::string(toString(g.detectLocalMode)) + "): " +
         (cidrs.empty() ? (g.localInterface.empty() ? "-" : g.localInterface) : join(cidrs, ",")) +
         "; masqueradeAll " + (g.masqueradeAll ? "on" : "off") + "\n";
  return out;
}

nlohmann::json planToJson(const ProxyState& state) {
  nlohmann::json ports = nlohmann::json::array();
  for (const auto& [key, sp] : state.servicePorts) {
    auto ips = [](const std::vector<IPAddr>& v) {
      nlohmann::json a = nlohmann::json::array();
      for (const auto& ip : v) a.push_back(ip.str());
      return a;
    };
    nlohmann::json ranges = nlohmann::json::array();
    for (const auto& c : sp.loadBalancerSourceRanges) ranges.push_back(c.str());
    nlohmann::json j = {{"name", key.str()},
                        {"namespace", key.namespace_},
                        {"service", key.name},
                        {"portName", key.portName},
                        {"family", toString(key.family)},
                        {"protocol", toString(key.protocol)},
                        {"type", toString(sp.type)},
                        {"clusterIP", sp.clusterIP.str()},
                        {"port", sp.port},
                        {"nodePort", sp.nodePort},
                        {"externalIPs", ips(sp.externalIPs)},
                        {"loadBalancerIPs", ips(sp.loadBalancerIPs)},
                        {"loadBalancerSourceRanges", ranges},
                        {"healthCheckNodePort", sp.healthCheckNodePort},
                        {"localReadyEndpoints", sp.localReadyEndpoints},
                        {"internal", targetJson(sp.internal, sp.internalPolicy)}};
    j["external"] = sp.externallyAccessible() ? targetJson(sp.external, sp.externalPolicy)
                                              : nlohmann::json(nullptr);
    j["sessionAffinity"] = sp.affinityTimeoutSeconds
                               ? nlohmann::json{{"type", "ClientIP"},
                                                {"timeoutSeconds", *sp.affinityTimeoutSeconds}}
                               : nlohmann::json{{"type", "None"}};
    ports.push_back(std::move(j));
  }
  const auto& g = state.global;
  nlohmann::json cidrs = nlohmann::json::array();
  for (const auto& c : g.localTrafficCIDRs) cidrs.push_back(c.str());
  nlohmann::json npa = nlohmann::json::array();
  for (const auto& c : g.nodePortAddresses.cidrs) npa.push_back(c.str());
  return {{"servicePorts", ports},
          {"global",
           {{"detectLocalMode", toString(g.detectLocalMode)},
            {"localTrafficCIDRs", cidrs},
            {"localInterface", g.localInterface},
            {"masqueradeAll", g.masqueradeAll},
            {"masqueradeMark", g.masqueradeMark},
            {"nodePortAddresses",
             g.nodePortAddresses.allLocal ? nlohmann::json("all") : npa}}}};
}

}  // namespace kpx
