// Service validation: the rules of ValidateService that decide what a proxy programs.
#include <set>
#include <utility>

#include "watch/enum_values.h"
#include "watch/formats.h"
#include "watch/object_readers.h"
#include "watch/validation.h"
#include "watch/validation_rules.h"

namespace kpx::watch {
namespace {

constexpr int64_t kMaxAffinityTimeoutSeconds = 86400;  // core.MaxClientIPServiceAffinitySeconds
constexpr size_t kMaxIPFamilies = 2;

bool isExternallyReachable(ServiceType type) {
  return type == ServiceType::NodePort || type == ServiceType::LoadBalancer;
}

// clusterIP / clusterIPs / ipFamilies. Returns whether the service is headless.
bool checkClusterIPs(const FieldReader& spec, ServiceType type) {
  ErrorList& errors = spec.errors();
  const std::vector<std::string> list = spec.strings("clusterIPs");
  const std::string single = spec.string("clusterIP").value_or("");
  const std::vector<std::string> ips = clusterIPTexts(spec);
  // Name each entry by the field it came from: clusterIPs[i], or clusterIP when that is all.
  auto fieldOf = [&](size_t i) {
    return list.empty() ? spec.pathOf("clusterIP") : indexPath(spec.pathOf("clusterIPs"), i);
  };
  if (!list.empty() && !single.empty() && list.front() != single)
    errors.add(fieldOf(0), list.front(), "must be equal to spec.clusterIP (" + single + ")");
  checkMaxItems(spec, "clusterIPs", kMaxIPFamilies);

  bool headless = false;
  std::vector<std::optional<IPFamily>> ipFamilyOf(ips.size());
  for (size_t i = 0; i < ips.size(); ++i) {
    if (ips[i] == "None") {
      if (i != 0 || ips.size() > 1) {
        errors.add(fieldOf(i), ips[i], "'None' must be the only entry");
      } else if (isExternallyReachable(type)) {
        errors.add(fieldOf(i), ips[i],
                   "may not be 'None' for " + std::string(toString(type)) + " services");
      }
      headless = true;
      continue;
    }
    const auto ip = IPAddr::parse(ips[i]);
    if (!ip) {
      errors.add(fieldOf(i), ips[i], "must be a valid IP address or 'None'");
      continue;
    }
    ipFamilyOf[i] = ip->family();
    if (i == 1 && ipFamilyOf[0] == ip->family())
      errors.add(fieldOf(i), ips[i], "must be of a different IP family than clusterIPs[0]");
  }

  const std::vector<std::string> families = spec.strings("ipFamilies");
  checkMaxItems(spec, "ipFamilies", kMaxIPFamilies);
  std::set<IPFamily> seen;
  for (size_t i = 0; i < families.size(); ++i) {
    const std::string field = indexPath(spec.pathOf("ipFamilies"), i);
    const auto family = parseIPFamily(families[i]);
    if (!family) {
      errors.add(field, families[i], "unsupported value: " + std::string(kIPFamilyValues));
      continue;
    }
    if (!seen.insert(*family).second) {
      errors.add(field, families[i], "duplicate value");
      continue;
    }
    if (i < ips.size() && ipFamilyOf[i] && *ipFamilyOf[i] != *family)
      errors.add(fieldOf(i), ips[i],
                 "expected an " + families[i] + " address, as spec.ipFamilies[" +
                     std::to_string(i) + "] says");
  }
  return headless;
}

void checkTargetPort(const FieldReader& item) {
  const auto raw = item.intOrString("targetPort");
  if (!raw) return;
  // 0 and "" are defaulted to the port by the API server (readTargetPort does the same).
  if (const auto* name = std::get_if<std::string>(&*raw)) {
    if (!name->empty() && !isIanaSvcName(*name))
      item.invalid("targetPort", *name, std::string(kIanaSvcNameReason));
  } else if (const int64_t n = std::get<int64_t>(*raw); n != 0 && !isValidPort(n)) {
    item.invalid("targetPort", std::to_string(n), std::string(kIanaSvcNameReason));
  }
}

void checkPorts(const FieldReader& spec, ServiceType type, bool headless) {
  const std::vector<FieldReader> ports = spec.objects("ports");
  if (spec.listSize("ports") == 0 && !headless && type != ServiceType::ExternalName)
    spec.invalid("ports", "", "required value: a service needs at least one port");
  checkPortNames(ports, ports.size() > 1);

  std::set<std::pair<int64_t, std::string>> seenPorts, seenNodePorts;  // (number, protocol)
  for (const FieldReader& item : ports) {
    checkProtocol(item);
    checkPort(item, "port", /*required=*/true);
    checkTargetPort(item);
    const std::string protocol = item.string("protocol").value_or("TCP");
    if (auto port = item.integer("port"); port && !seenPorts.emplace(*port, protocol).second) {
      spec.errors().add(item.path(), std::to_string(*port) + "/" + protocol,
                        "duplicate value: another port has the same port number and protocol");
    }
    const int64_t nodePort = item.integer("nodePort").value_or(0);
    if (nodePort == 0) continue;
    if (type == ServiceType::ClusterIP) {
      item.invalid("nodePort", std::to_string(nodePort),
                   "forbidden: may not be used when `type` is 'ClusterIP'");
    } else if (!isValidPort(nodePort)) {
      item.invalid("nodePort", std::to_string(nodePort), std::string(kPortRangeReason));
    } else if (!seenNodePorts.emplace(nodePort, protocol).second) {
      item.invalid("nodePort", std::to_string(nodePort) + "/" + protocol,
                   "duplicate value: another port has the same node port and protocol");
    }
  }
}

void checkExternalIPs(const FieldReader& spec) {
  const std::vector<std::string> ips = spec.strings("externalIPs");
  for (size_t i = 0; i < ips.size(); ++i)
    checkProxyIP(spec.errors(), indexPath(spec.pathOf("externalIPs"), i), ips[i], std::nullopt);
}

void checkAffinity(const FieldReader& spec) {
  const auto text = spec.string("sessionAffinity");
  if (!text || text->empty()) return;
  const auto affinity = parseSessionAffinity(*text);
  if (!affinity) {
    spec.invalid("sessionAffinity", *text,
                 "unsupported value: " + std::string(kSessionAffinityValues));
    return;
  }
  if (*affinity != SessionAffinity::ClientIP) return;
  const FieldReader clientIP = spec.object("sessionAffinityConfig").object("clientIP");
  if (auto timeout = clientIP.integer("timeoutSeconds");
      timeout && (*timeout <= 0 || *timeout > kMaxAffinityTimeoutSeconds)) {
    clientIP.invalid("timeoutSeconds", std::to_string(*timeout),
                     "must be greater than 0 and less than or equal to 86400");
  }
}

void checkTrafficPolicies(const FieldReader& spec, ServiceType type) {
  std::optional<TrafficPolicy> external;
  for (const char* key : {"externalTrafficPolicy", "internalTrafficPolicy"}) {
    const auto text = spec.string(key);
    if (!text || text->empty()) continue;
    const auto policy = parseTrafficPolicy(*text);
    if (!policy)
      spec.invalid(key, *text, "unsupported value: " + std::string(kTrafficPolicyValues));
    if (std::string_view(key) == "externalTrafficPolicy") external = policy;
  }
  const int64_t healthCheckNodePort = spec.integer("healthCheckNodePort").value_or(0);
  if (healthCheckNodePort == 0) return;
  if (!isValidPort(healthCheckNodePort)) {
    spec.invalid("healthCheckNodePort", std::to_string(healthCheckNodePort),
                 std::string(kPortRangeReason));
  } else if (type != ServiceType::LoadBalancer || external != TrafficPolicy::Local) {
    spec.invalid("healthCheckNodePort", std::to_string(healthCheckNodePort),
                 "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is "
                 "'Local'");
  }
}

void checkSourceRanges(const FieldReader& root, const FieldReader& spec, ServiceType type) {
  const auto annotations = root.object("metadata").stringMap("annotations");
  const std::vector<SourceRangeText> ranges = sourceRangeTexts(spec, annotations);
  if (!ranges.empty() && type != ServiceType::LoadBalancer)
    spec.errors().add(ranges.front().field, ranges.front().text,
                      "forbidden: may only be used when `type` is 'LoadBalancer'");
  for (const SourceRangeText& range : ranges) checkCIDR(spec.errors(), range.field, range.text);
}

void checkIngress(const FieldReader& root) {
  const FieldReader loadBalancer = root.object("status").object("loadBalancer");
  for (const FieldReader& item : loadBalancer.objects("ingress")) {
    const std::string ip = item.string("ip").value_or("");
    if (!ip.empty() && !IPAddr::parse(ip)) item.invalid("ip", ip, "must be a valid IP address");
    const std::string hostname = item.string("hostname").value_or("");
    if (!hostname.empty()) {
      if (IPAddr::parse(hostname))
        item.invalid("hostname", hostname, "must be a DNS name, not an IP address");
      else
        checkName(item.errors(), item.pathOf("hostname"), hostname, NameRule::Dns1123Subdomain);
    }
    if (auto mode = item.string("ipMode")) {
      if (*mode != "VIP" && *mode != "Proxy")
        item.invalid("ipMode", *mode, "unsupported value: must be one of \"VIP\", \"Proxy\"");
      else if (ip.empty())
        item.invalid("ipMode", *mode, "forbidden: may not be set when `ip` is not");
    }
  }
}

void checkExternalName(const FieldReader& spec, ServiceType type) {
  if (type != ServiceType::ExternalName) return;
  std::string name = spec.string("externalName").value_or("");
  if (name.empty()) {
    spec.invalid("externalName", "", "required value: ExternalName services need one");
    return;
  }
  // A fully qualified name may end with '.'; the API server strips it before checking.
  const std::string value = name;
  if (name.back() == '.') name.pop_back();
  if (!isDns1123Subdomain(name))
    spec.invalid("externalName", value, std::string(kDns1123SubdomainReason));
}

}  // namespace

void validateService(const FieldReader& root) {
  // Service names become DNS labels that must start with a letter (NameIsDNS1035Label).
  checkMetadata(root, NameRule::Dns1035Label, /*namespaced=*/true);
  const FieldReader spec = root.object("spec");
  ServiceType type = ServiceType::ClusterIP;
  // "" is what an unset enum decodes to; the API server defaults it.
  if (auto text = spec.string("type"); text && !text->empty()) {
    if (auto parsed = parseServiceType(*text))
      type = *parsed;
    else
      spec.invalid("type", *text, "unsupported value: " + std::string(kServiceTypeValues));
  }
  const bool headless = checkClusterIPs(spec, type);
  checkPorts(spec, type, headless);
  checkExternalIPs(spec);
  checkAffinity(spec);
  checkTrafficPolicies(spec, type);
  checkSourceRanges(root, spec, type);
  checkIngress(root);
  checkExternalName(spec, type);
}

}  // namespace kpx::watch
