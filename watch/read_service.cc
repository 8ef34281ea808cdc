#include <string_view>

#include "watch/enum_values.h"
#include "watch/formats.h"
#include "watch/object_readers.h"

namespace kpx::watch {
namespace {

// Defaulting as the API server does it: an unset, 0 or "" targetPort means the port itself.
IntOrString readTargetPort(const FieldReader& port, uint16_t portNumber) {
  IntOrString out{.value = int32_t{portNumber}};
  const auto raw = port.intOrString("targetPort");
  if (!raw) return out;
  if (const auto* name = std::get_if<std::string>(&*raw)) {
    if (!name->empty()) out.value = *name;
  } else if (const int64_t n = std::get<int64_t>(*raw); n != 0) {
    out.value = static_cast<int32_t>(toPort(n));
  }
  return out;
}

std::vector<ServicePort> readPorts(const FieldReader& spec) {
  std::vector<ServicePort> ports;
  for (const FieldReader& item : spec.objects("ports")) {
    ServicePort port;
    port.name = item.string("name").value_or("");
    if (auto text = item.string("protocol"))
      port.protocol = parseProtocol(*text).value_or(Protocol::TCP);
    port.port = toPort(item.integer("port").value_or(0));
    port.targetPort = readTargetPort(item, port.port);
    port.nodePort = toPort(item.integer("nodePort").value_or(0));
    ports.push_back(std::move(port));
  }
  return ports;
}

void readClusterIPs(const FieldReader& spec, Service& service) {
  for (const std::string& text : clusterIPTexts(spec)) {
    if (text == "None") {
      service.headless = true;
      continue;
    }
    if (auto ip = IPAddr::parse(text)) service.clusterIPs.push_back(*ip);
  }
  for (const std::string& text : spec.strings("ipFamilies"))
    if (auto family = parseIPFamily(text)) service.ipFamilies.push_back(*family);
  // Hand-written manifests often omit ipFamilies; the API server would derive it the same way.
  if (service.ipFamilies.empty())
    for (const IPAddr& ip : service.clusterIPs) service.ipFamilies.push_back(ip.family());
}

void readAffinity(const FieldReader& spec, Service& service) {
  if (auto text = spec.string("sessionAffinity"))
    service.sessionAffinity = parseSessionAffinity(*text).value_or(SessionAffinity::None);
  const auto timeout =
      spec.object("sessionAffinityConfig").object("clientIP").integer("timeoutSeconds");
  if (timeout && *timeout > 0 && *timeout <= INT32_MAX)
    service.affinityTimeoutSeconds = static_cast<int32_t>(*timeout);
}

std::vector<LoadBalancerIngress> readIngress(const FieldReader& root) {
  std::vector<LoadBalancerIngress> out;
  const FieldReader loadBalancer = root.object("status").object("loadBalancer");
  for (const FieldReader& item : loadBalancer.objects("ingress")) {
    LoadBalancerIngress ingress;
    if (auto text = item.string("ip"); text && !text->empty()) ingress.ip = IPAddr::parse(*text);
    ingress.hostname = item.string("hostname").value_or("");
    ingress.ipMode = item.string("ipMode").value_or("");
    out.push_back(std::move(ingress));
  }
  return out;
}

}  // namespace

std::vector<std::string> clusterIPTexts(const FieldReader& spec) {
  std::vector<std::string> ips = spec.strings("clusterIPs");
  if (ips.empty()) {
    if (auto single = spec.string("clusterIP"); single && !single->empty()) ips.push_back(*single);
  }
  return ips;
}

std::vector<SourceRangeText> sourceRangeTexts(
    const FieldReader& spec, const std::map<std::string, std::string>& annotations) {
  std::vector<SourceRangeText> out;
  const std::vector<std::string> field = spec.strings("loadBalancerSourceRanges");
  const std::string fieldPath = spec.pathOf("loadBalancerSourceRanges");
  for (size_t i = 0; i < field.size(); ++i)
    out.push_back({indexPath(fieldPath, i), std::string(trimSpace(field[i]))});
  if (!field.empty()) return out;

  auto it = annotations.find(std::string(kSourceRangesAnnotation));
  if (it == annotations.end()) return out;
  const std::string annotationPath = keyPath("metadata.annotations", kSourceRangesAnnotation);
  std::string_view rest = it->second;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string_view item = trimSpace(rest.substr(0, comma));
    if (!item.empty()) out.push_back({annotationPath, std::string(item)});
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return out;
}

Service readService(const FieldReader& root) {
  Service service;
  std::map<std::string, std::string> annotations;
  service.meta = readMeta(root, /*namespaced=*/true, &annotations);
  const FieldReader spec = root.object("spec");
  if (auto text = spec.string("type"))
    service.type = parseServiceType(*text).value_or(ServiceType::ClusterIP);
  readClusterIPs(spec, service);
  service.ports = readPorts(spec);
  for (const std::string& text : spec.strings("externalIPs"))
    if (auto ip = IPAddr::parse(text)) service.externalIPs.push_back(*ip);
  readAffinity(spec, service);
  if (auto text = spec.string("externalTrafficPolicy"))
    service.externalTrafficPolicy = parseTrafficPolicy(*text).value_or(TrafficPolicy::Cluster);
  if (auto text = spec.string("internalTrafficPolicy"))
    service.internalTrafficPolicy = parseTrafficPolicy(*text).value_or(TrafficPolicy::Cluster);
  service.healthCheckNodePort = toPort(spec.integer("healthCheckNodePort").value_or(0));
  for (const SourceRangeText& range : sourceRangeTexts(spec, annotations))
    if (auto cidr = CIDR::parse(range.text)) service.loadBalancerSourceRanges.push_back(*cidr);
  service.loadBalancerIngress = readIngress(root);
  service.trafficDistribution = spec.string("trafficDistribution").value_or("");
  service.externalName = spec.string("externalName").value_or("");
  return service;
}

}  // namespace kpx::watch
