// Validation: each rule with a failing case whose message names the object, field and value,
// and valid manifests the API server accepts that must load.
#include "watch/validation.h"

#include <gtest/gtest.h>

#include "watch_test_util.h"

namespace kpx::watch {
namespace {

using testing::describeErrors;
using testing::parseYaml;

std::string service(const std::string& spec,
                    const std::string& metadata = "{name: web, namespace: shop}") {
  return "apiVersion: v1\nkind: Service\nmetadata: " + metadata + "\nspec: " + spec + "\n";
}

std::string slice(const std::string& body,
                  const std::string& metadata = "{name: web-1, namespace: shop}") {
  return "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: " + metadata + "\n" +
         body + "\n";
}

std::string node(const std::string& body, const std::string& name = "node-1") {
  return "apiVersion: v1\nkind: Node\nmetadata: {name: " + name + "}\n" + body + "\n";
}

std::string endpoints(const std::string& subsets) {
  return "apiVersion: v1\nkind: Endpoints\nmetadata: {name: web, namespace: shop}\nsubsets: " +
         subsets + "\n";
}

struct RuleCase {
  std::string id;
  std::string yaml;
  std::string object;  // "shop/web"
  std::string field;
  std::string value;
  std::string reason;  // a part of it
};

class ValidationRules : public ::testing::TestWithParam<RuleCase> {};

TEST_P(ValidationRules, RejectAndNameObjectFieldValue) {
  const RuleCase& c = GetParam();
  const ParsedObjects parsed = parseYaml(c.yaml, "manifests/shop.yaml");
  EXPECT_TRUE(parsed.objects.empty()) << "an invalid object must be skipped as a whole";
  ASSERT_FALSE(parsed.errors.empty()) << c.yaml;
  const ObjectError* match = nullptr;
  for (const ObjectError& e : parsed.errors)
    if (e.field == c.field) match = &e;
  ASSERT_NE(match, nullptr) << "no error for " << c.field << "; got:\n"
                            << describeErrors(parsed.errors);
  EXPECT_EQ(match->object, c.object);
  EXPECT_EQ(match->value, c.value);
  EXPECT_NE(match->reason.find(c.reason), std::string::npos) << match->reason;
  // The printed message carries everything an operator needs to find the problem.
  const std::string message = match->str();
  for (const std::string& part : {c.object, c.field, std::string("manifests/shop.yaml"), c.reason})
    EXPECT_NE(message.find(part), std::string::npos) << message << "\nlacks: " << part;
  if (!c.value.empty()) {
    EXPECT_NE(message.find("\"" + c.value + "\""), std::string::npos) << message;
  }
}

const std::string kPorts = "ports: [{port: 80}]";

INSTANTIATE_TEST_SUITE_P(
    Service, ValidationRules,
    ::testing::Values(
        // metadata
        RuleCase{"NameUppercase",
                 service("{clusterIP: 10.96.0.1, " + kPorts + "}", "{name: Web, namespace: shop}"),
                 "shop/Web", "metadata.name", "Web", "DNS-1035"},
        RuleCase{"NameStartsWithDigit",
                 service("{clusterIP: 10.96.0.1, " + kPorts + "}", "{name: 1web, namespace: shop}"),
                 "shop/1web", "metadata.name", "1web", "starting with a letter"},
        RuleCase{"NameMissing",
                 service("{clusterIP: 10.96.0.1, " + kPorts + "}", "{namespace: shop}"), "",
                 "metadata.name", "", "required value"},
        RuleCase{
            "NamespaceInvalid",
            service("{clusterIP: 10.96.0.1, " + kPorts + "}", "{name: web, namespace: Shop_1}"),
            "Shop_1/web", "metadata.namespace", "Shop_1", "RFC 1123 label"},
        // type and cluster IPs
        RuleCase{"TypeUnknown", service("{type: Internal, clusterIP: 10.96.0.1, " + kPorts + "}"),
                 "shop/web", "spec.type", "Internal", "must be one of"},
        RuleCase{"ClusterIPInvalid", service("{clusterIP: 10.96.0.300, " + kPorts + "}"),
                 "shop/web", "spec.clusterIP", "10.96.0.300", "valid IP address or 'None'"},
        RuleCase{"ClusterIPsSameFamily",
                 service("{clusterIPs: [10.96.0.1, 10.96.0.2], " + kPorts + "}"), "shop/web",
                 "spec.clusterIPs[1]", "10.96.0.2", "different IP family"},
        RuleCase{"ClusterIPsTooMany",
                 service("{clusterIPs: [10.96.0.1, 'fd00::1', 10.96.0.3], " + kPorts + "}"),
                 "shop/web", "spec.clusterIPs", "3 items", "at most 2"},
        RuleCase{"ClusterIPsDisagreeWithClusterIP",
                 service("{clusterIP: 10.96.0.1, clusterIPs: [10.96.0.2], " + kPorts + "}"),
                 "shop/web", "spec.clusterIPs[0]", "10.96.0.2", "equal to spec.clusterIP"},
        RuleCase{"NoneNotAlone", service("{clusterIPs: [None, 10.96.0.1], " + kPorts + "}"),
                 "shop/web", "spec.clusterIPs[0]", "None", "only entry"},
        RuleCase{"HeadlessLoadBalancer",
                 service("{type: LoadBalancer, clusterIP: None, " + kPorts + "}"), "shop/web",
                 "spec.clusterIP", "None", "may not be 'None' for LoadBalancer"},
        RuleCase{"IPFamilyMismatch",
                 service("{clusterIPs: [10.96.0.1], ipFamilies: [IPv6], " + kPorts + "}"),
                 "shop/web", "spec.clusterIPs[0]", "10.96.0.1", "expected an IPv6 address"},
        RuleCase{"IPFamilyDuplicate",
                 service("{clusterIP: 10.96.0.1, ipFamilies: [IPv4, IPv4], " + kPorts + "}"),
                 "shop/web", "spec.ipFamilies[1]", "IPv4", "duplicate"},
        RuleCase{"IPFamilyUnknown",
                 service("{clusterIP: 10.96.0.1, ipFamilies: [IPv5], " + kPorts + "}"), "shop/web",
                 "spec.ipFamilies[0]", "IPv5", "must be one of"},
        // ports
        RuleCase{"PortsMissing", service("{clusterIP: 10.96.0.1}"), "shop/web", "spec.ports", "",
                 "at least one port"},
        RuleCase{"PortZero", service("{clusterIP: 10.96.0.1, ports: [{port: 0}]}"), "shop/web",
                 "spec.ports[0].port", "0", "between 1 and 65535"},
        RuleCase{
            "PortTooLarge",
            service("{clusterIP: 10.96.0.1, ports: [{name: a, port: 80}, {name: b, port: 70000}]}"),
            "shop/web", "spec.ports[1].port", "70000", "between 1 and 65535"},
        RuleCase{"PortUnset", service("{clusterIP: 10.96.0.1, ports: [{name: a}]}"), "shop/web",
                 "spec.ports[0].port", "", "required value"},
        RuleCase{"ProtocolUnknown",
                 service("{clusterIP: 10.96.0.1, ports: [{port: 80, protocol: ICMP}]}"), "shop/web",
                 "spec.ports[0].protocol", "ICMP", "must be one of \"TCP\", \"UDP\", \"SCTP\""},
        RuleCase{"ProtocolLowercase",
                 service("{clusterIP: 10.96.0.1, ports: [{port: 80, protocol: tcp}]}"), "shop/web",
                 "spec.ports[0].protocol", "tcp", "unsupported value"},
        RuleCase{"TargetPortTooLarge",
                 service("{clusterIP: 10.96.0.1, ports: [{port: 80, targetPort: 65536}]}"),
                 "shop/web", "spec.ports[0].targetPort", "65536", "between 1 and 65535"},
        RuleCase{"TargetPortNameUppercase",
                 service("{clusterIP: 10.96.0.1, ports: [{port: 80, targetPort: HTTP}]}"),
                 "shop/web", "spec.ports[0].targetPort", "HTTP", "IANA service name"},
        RuleCase{"TargetPortNameNoLetter",
                 service("{clusterIP: 10.96.0.1, ports: [{port: 80, targetPort: '8080'}]}"),
                 "shop/web", "spec.ports[0].targetPort", "8080", "at least one letter"},
        RuleCase{"TargetPortNameDoubleDash",
                 service("{clusterIP: 10.96.0.1, ports: [{port: 80, targetPort: http--web}]}"),
                 "shop/web", "spec.ports[0].targetPort", "http--web", "double '-'"},
        RuleCase{"TargetPortNameLeadingDash",
                 service("{clusterIP: 10.96.0.1, ports: [{port: 80, targetPort: -http}]}"),
                 "shop/web", "spec.ports[0].targetPort", "-http", "IANA service name"},
        RuleCase{
            "TargetPortNameTooLong",
            service("{clusterIP: 10.96.0.1, ports: [{port: 80, targetPort: web-metrics-port}]}"),
            "shop/web", "spec.ports[0].targetPort", "web-metrics-port", "at most 15"},
        RuleCase{"DuplicatePortAndProtocol",
                 service("{clusterIP: 10.96.0.1, ports: [{name: a, port: 80}, {name: b, port: 80, "
                         "protocol: TCP}]}"),
                 "shop/web", "spec.ports[1]", "80/TCP", "duplicate value"},
        RuleCase{
            "DuplicatePortName",
            service(
                "{clusterIP: 10.96.0.1, ports: [{name: http, port: 80}, {name: http, port: 81}]}"),
            "shop/web", "spec.ports[1].name", "http", "duplicate value"},
        RuleCase{"MultiPortNeedsNames",
                 service("{clusterIP: 10.96.0.1, ports: [{name: http, port: 80}, {port: 81}]}"),
                 "shop/web", "spec.ports[1].name", "", "must be named"},
        RuleCase{"PortNameInvalid",
                 service("{clusterIP: 10.96.0.1, ports: [{name: HTTP, port: 80}]}"), "shop/web",
                 "spec.ports[0].name", "HTTP", "RFC 1123 label"},
        RuleCase{"NodePortOnClusterIP",
                 service("{clusterIP: 10.96.0.1, ports: [{port: 80, nodePort: 30080}]}"),
                 "shop/web", "spec.ports[0].nodePort", "30080",
                 "may not be used when `type` is 'ClusterIP'"},
        RuleCase{
            "NodePortTooLarge",
            service("{type: NodePort, clusterIP: 10.96.0.1, ports: [{port: 80, nodePort: 65536}]}"),
            "shop/web", "spec.ports[0].nodePort", "65536", "between 1 and 65535"},
        RuleCase{"NodePortDuplicate",
                 service("{type: NodePort, clusterIP: 10.96.0.1, ports: [{name: a, port: 80, "
                         "nodePort: 30080}, "
                         "{name: b, port: 81, nodePort: 30080}]}"),
                 "shop/web", "spec.ports[1].nodePort", "30080/TCP", "duplicate value"},
        // external IPs
        RuleCase{"ExternalIPInvalid",
                 service("{clusterIP: 10.96.0.1, externalIPs: [203.0.113.300], " + kPorts + "}"),
                 "shop/web", "spec.externalIPs[0]", "203.0.113.300", "valid IP address"},
        RuleCase{"ExternalIPUnspecified",
                 service("{clusterIP: 10.96.0.1, externalIPs: [0.0.0.0], " + kPorts + "}"),
                 "shop/web", "spec.externalIPs[0]", "0.0.0.0", "unspecified"},
        RuleCase{
            "ExternalIPLoopback",
            service("{clusterIP: 10.96.0.1, externalIPs: [192.0.2.1, 127.0.0.1], " + kPorts + "}"),
            "shop/web", "spec.externalIPs[1]", "127.0.0.1", "loopback"},
        RuleCase{"ExternalIPLinkLocal",
                 service("{clusterIP: 10.96.0.1, externalIPs: ['fe80::1'], " + kPorts + "}"),
                 "shop/web", "spec.externalIPs[0]", "fe80::1", "link-local"},
        RuleCase{"ExternalIPLinkLocalMulticast",
                 service("{clusterIP: 10.96.0.1, externalIPs: [224.0.0.5], " + kPorts + "}"),
                 "shop/web", "spec.externalIPs[0]", "224.0.0.5", "link-local multicast"},
        // affinity and policies
        RuleCase{"AffinityUnknown",
                 service("{clusterIP: 10.96.0.1, sessionAffinity: Sticky, " + kPorts + "}"),
                 "shop/web", "spec.sessionAffinity", "Sticky",
                 "must be one of \"None\", \"ClientIP\""},
        RuleCase{"AffinityTimeoutZero",
                 service("{clusterIP: 10.96.0.1, sessionAffinity: ClientIP, sessionAffinityConfig: "
                         "{clientIP: "
                         "{timeoutSeconds: 0}}, " +
                         kPorts + "}"),
                 "shop/web", "spec.sessionAffinityConfig.clientIP.timeoutSeconds", "0",
                 "greater than 0"},
        RuleCase{"AffinityTimeoutTooLong",
                 service("{clusterIP: 10.96.0.1, sessionAffinity: ClientIP, sessionAffinityConfig: "
                         "{clientIP: "
                         "{timeoutSeconds: 86401}}, " +
                         kPorts + "}"),
                 "shop/web", "spec.sessionAffinityConfig.clientIP.timeoutSeconds", "86401",
                 "less than or equal to 86400"},
        RuleCase{
            "ExternalPolicyUnknown",
            service("{type: NodePort, clusterIP: 10.96.0.1, externalTrafficPolicy: Everywhere, " +
                    kPorts + "}"),
            "shop/web", "spec.externalTrafficPolicy", "Everywhere",
            "must be one of \"Cluster\", \"Local\""},
        RuleCase{"InternalPolicyUnknown",
                 service("{clusterIP: 10.96.0.1, internalTrafficPolicy: Node, " + kPorts + "}"),
                 "shop/web", "spec.internalTrafficPolicy", "Node", "must be one of"},
        RuleCase{"HealthCheckNodePortWithoutLocalPolicy",
                 service("{type: LoadBalancer, clusterIP: 10.96.0.1, healthCheckNodePort: 31000, " +
                         kPorts + "}"),
                 "shop/web", "spec.healthCheckNodePort", "31000",
                 "externalTrafficPolicy` is 'Local'"},
        RuleCase{"HealthCheckNodePortTooLarge",
                 service("{type: LoadBalancer, clusterIP: 10.96.0.1, externalTrafficPolicy: Local, "
                         "healthCheckNodePort: 65536, " +
                         kPorts + "}"),
                 "shop/web", "spec.healthCheckNodePort", "65536", "between 1 and 65535"},
        // load balancers
        RuleCase{
            "SourceRangeInvalid",
            service(
                "{type: LoadBalancer, clusterIP: 10.96.0.1, loadBalancerSourceRanges: [10.0.0.0/8, "
                "10.0.0.0/33], " +
                kPorts + "}"),
            "shop/web", "spec.loadBalancerSourceRanges[1]", "10.0.0.0/33", "valid CIDR"},
        RuleCase{"SourceRangeBareAddress",
                 service("{type: LoadBalancer, clusterIP: 10.96.0.1, loadBalancerSourceRanges: "
                         "[10.0.0.1], " +
                         kPorts + "}"),
                 "shop/web", "spec.loadBalancerSourceRanges[0]", "10.0.0.1", "valid CIDR"},
        RuleCase{"SourceRangesOnClusterIP",
                 service("{clusterIP: 10.96.0.1, loadBalancerSourceRanges: [10.0.0.0/8], " +
                         kPorts + "}"),
                 "shop/web", "spec.loadBalancerSourceRanges[0]", "10.0.0.0/8",
                 "only be used when `type` is 'LoadBalancer'"},
        RuleCase{
            "SourceRangeAnnotationInvalid",
            service(
                "{type: LoadBalancer, clusterIP: 10.96.0.1, " + kPorts + "}",
                "{name: web, namespace: shop, annotations: "
                "{service.beta.kubernetes.io/load-balancer-source-ranges: '10.0.0.0/8,bogus'}}"),
            "shop/web",
            "metadata.annotations[service.beta.kubernetes.io/load-balancer-source-ranges]", "bogus",
            "valid CIDR"},
        RuleCase{"IngressIPInvalid",
                 service("{type: LoadBalancer, clusterIP: 10.96.0.1, " + kPorts +
                         "}\nstatus: {loadBalancer: "
                         "{ingress: [{ip: 198.51.100.300}]}}"),
                 "shop/web", "status.loadBalancer.ingress[0].ip", "198.51.100.300",
                 "valid IP address"},
        RuleCase{"IngressIPModeUnknown",
                 service("{type: LoadBalancer, clusterIP: 10.96.0.1, " + kPorts +
                         "}\nstatus: {loadBalancer: "
                         "{ingress: [{ip: 198.51.100.7, ipMode: Direct}]}}"),
                 "shop/web", "status.loadBalancer.ingress[0].ipMode", "Direct",
                 "must be one of \"VIP\", \"Proxy\""},
        RuleCase{"IngressHostnameIsIP",
                 service("{type: LoadBalancer, clusterIP: 10.96.0.1, " + kPorts +
                         "}\nstatus: {loadBalancer: "
                         "{ingress: [{hostname: 198.51.100.7}]}}"),
                 "shop/web", "status.loadBalancer.ingress[0].hostname", "198.51.100.7",
                 "not an IP address"},
        // ExternalName
        RuleCase{"ExternalNameMissing", service("{type: ExternalName}"), "shop/web",
                 "spec.externalName", "", "required value"},
        RuleCase{"ExternalNameInvalid",
                 service("{type: ExternalName, externalName: db_1.example.com}"), "shop/web",
                 "spec.externalName", "db_1.example.com", "RFC 1123 subdomain"}),
    [](const ::testing::TestParamInfo<RuleCase>& info) { return info.param.id; });

const std::string kEndpoint = "endpoints: [{addresses: [10.244.1.5]}]";

INSTANTIATE_TEST_SUITE_P(
    EndpointSlice, ValidationRules,
    ::testing::Values(
        RuleCase{"NameInvalid",
                 slice("addressType: IPv4\n" + kEndpoint, "{name: Web_1, namespace: shop}"),
                 "shop/Web_1", "metadata.name", "Web_1", "RFC 1123 subdomain"},
        RuleCase{"AddressTypeMissing", slice(kEndpoint), "shop/web-1", "addressType", "",
                 "required value"},
        RuleCase{"AddressTypeUnknown", slice("addressType: IPv5\n" + kEndpoint), "shop/web-1",
                 "addressType", "IPv5", "must be one of \"IPv4\", \"IPv6\", \"FQDN\""},
        RuleCase{"IPv6AddressInIPv4Slice",
                 slice("addressType: IPv4\nendpoints: [{addresses: ['fd00::5']}]"), "shop/web-1",
                 "endpoints[0].addresses[0]", "fd00::5", "valid IPv4 address"},
        RuleCase{"InvalidIPv6Address",
                 slice("addressType: IPv6\nendpoints: [{addresses: ['fd00::1']}, {addresses: "
                       "['fd00::1::2']}]"),
                 "shop/web-1", "endpoints[1].addresses[0]", "fd00::1::2", "valid IPv6 address"},
        RuleCase{"LoopbackAddress",
                 slice("addressType: IPv4\nendpoints: [{addresses: [127.0.0.1]}]"), "shop/web-1",
                 "endpoints[0].addresses[0]", "127.0.0.1", "loopback"},
        RuleCase{"NoAddresses", slice("addressType: IPv4\nendpoints: [{addresses: []}]"),
                 "shop/web-1", "endpoints[0].addresses", "", "at least 1 address"},
        RuleCase{"FQDNInvalid",
                 slice("addressType: FQDN\nendpoints: [{addresses: [Bad_Host.example.com]}]"),
                 "shop/web-1", "endpoints[0].addresses[0]", "Bad_Host.example.com",
                 "RFC 1123 subdomain"},
        RuleCase{
            "NodeNameInvalid",
            slice("addressType: IPv4\nendpoints: [{addresses: [10.244.1.5], nodeName: Node_1}]"),
            "shop/web-1", "endpoints[0].nodeName", "Node_1", "RFC 1123 subdomain"},
        RuleCase{
            "HostnameInvalid",
            slice("addressType: IPv4\nendpoints: [{addresses: [10.244.1.5], hostname: web.1}]"),
            "shop/web-1", "endpoints[0].hostname", "web.1", "RFC 1123 label"},
        RuleCase{"PortZero", slice("addressType: IPv4\nports: [{port: 0}]\n" + kEndpoint),
                 "shop/web-1", "ports[0].port", "0", "between 1 and 65535"},
        RuleCase{"PortTooLarge",
                 slice("addressType: IPv4\nports: [{name: a, port: 80}, {name: b, port: 65536}]\n" +
                       kEndpoint),
                 "shop/web-1", "ports[1].port", "65536", "between 1 and 65535"},
        RuleCase{"PortProtocolUnknown",
                 slice("addressType: IPv4\nports: [{port: 80, protocol: HTTP}]\n" + kEndpoint),
                 "shop/web-1", "ports[0].protocol", "HTTP", "unsupported value"},
        RuleCase{
            "PortNameDuplicate",
            slice("addressType: IPv4\nports: [{name: http, port: 80}, {name: http, port: 81}]\n" +
                  kEndpoint),
            "shop/web-1", "ports[1].name", "http", "duplicate value"}),
    [](const ::testing::TestParamInfo<RuleCase>& info) { return info.param.id; });

INSTANTIATE_TEST_SUITE_P(
    Node, ValidationRules,
    ::testing::Values(RuleCase{"NameInvalid", node("spec: {}", "Node_1"), "Node_1", "metadata.name",
                               "Node_1", "RFC 1123 subdomain"},
                      RuleCase{"PodCIDRInvalid", node("spec: {podCIDRs: [10.244.1.0/33]}"),
                               "node-1", "spec.podCIDRs[0]", "10.244.1.0/33", "valid CIDR"},
                      RuleCase{"PodCIDRBare", node("spec: {podCIDR: 10.244.1.1}"), "node-1",
                               "spec.podCIDR", "10.244.1.1", "valid CIDR"},
                      RuleCase{"PodCIDRsSameFamily",
                               node("spec: {podCIDRs: [10.244.1.0/24, 10.245.1.0/24]}"), "node-1",
                               "spec.podCIDRs[1]", "10.245.1.0/24", "one CIDR of each IP family"},
                      RuleCase{"InternalIPNotAnIP",
                               node("status: {addresses: [{type: Hostname, address: node-1}, "
                                    "{type: InternalIP, address: node-1}]}"),
                               "node-1", "status.addresses[1].address", "node-1",
                               "valid IP address"}),
    [](const ::testing::TestParamInfo<RuleCase>& info) { return info.param.id; });

INSTANTIATE_TEST_SUITE_P(
    Endpoints, ValidationRules,
    ::testing::Values(
        RuleCase{"PortZero", endpoints("[{addresses: [{ip: 10.0.0.1}], ports: [{port: 0}]}]"),
                 "shop/web", "subsets[0].ports[0].port", "0", "between 1 and 65535"},
        RuleCase{"NotReadyLoopback",
                 endpoints("[{notReadyAddresses: [{ip: 127.0.0.1}], ports: [{port: 80}]}]"),
                 "shop/web", "subsets[0].notReadyAddresses[0].ip", "127.0.0.1", "loopback"},
        RuleCase{"UnnamedPorts",
                 endpoints("[{addresses: [{ip: 10.0.0.1}], ports: [{port: 80}, {port: 81}]}]"),
                 "shop/web", "subsets[0].ports[0].name", "", "must be named"}),
    [](const ::testing::TestParamInfo<RuleCase>& info) { return info.param.id; });

// Manifests the API server accepts: they must load, with no error.
class AcceptedManifests : public ::testing::TestWithParam<std::pair<std::string, std::string>> {};

TEST_P(AcceptedManifests, Load) {
  const ParsedObjects parsed = parseYaml(GetParam().second);
  EXPECT_TRUE(parsed.errors.empty()) << describeErrors(parsed.errors);
  EXPECT_FALSE(parsed.objects.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Validation, AcceptedManifests,
    ::testing::Values(
        std::pair{"ExternalNameWithTrailingDot",
                  service("{type: ExternalName, externalName: db.example.com.}")},
        std::pair{"HeadlessWithoutPorts", service("{clusterIP: None}")},
        std::pair{"EmptyTypeMeansClusterIP",
                  service("{type: '', clusterIP: 10.96.0.1, " + kPorts + "}")},
        std::pair{"NamedTargetPort",
                  service("{clusterIP: 10.96.0.1, ports: [{port: 80, targetPort: http-alt}]}")},
        std::pair{"SamePortDifferentProtocols",
                  service("{clusterIP: 10.96.0.1, ports: [{name: dns, port: 53, protocol: UDP}, "
                          "{name: dns-tcp, port: 53}]}")},
        std::pair{
            "MaxAffinityTimeout",
            service("{clusterIP: 10.96.0.1, sessionAffinity: ClientIP, sessionAffinityConfig: "
                    "{clientIP: {timeoutSeconds: 86400}}, " +
                    kPorts + "}")},
        std::pair{
            "LegacyTrafficPolicy",
            service("{type: LoadBalancer, clusterIP: 10.96.0.1, externalTrafficPolicy: OnlyLocal, "
                    "healthCheckNodePort: 32000, ports: [{port: 80, nodePort: 30080}]}")},
        std::pair{"DualStackV6First",
                  service("{clusterIPs: ['fd00::1', 10.96.0.1], ipFamilies: [IPv6, IPv4], " +
                          kPorts + "}")},
        std::pair{"NoClusterIPYet", service("{" + kPorts + "}")},
        std::pair{"FQDNSlice",
                  slice("addressType: FQDN\nendpoints: [{addresses: [db.example.com]}]")},
        std::pair{"SliceWithoutEndpoints", slice("addressType: IPv4\nendpoints: []")},
        std::pair{"SliceAllPorts", slice("addressType: IPv4\nports: [{}]\n" + kEndpoint)},
        std::pair{"NodeWithHostnameAddress",
                  node("status: {addresses: [{type: Hostname, address: node-1.example.com}]}")}),
    [](const auto& info) { return info.param.first; });

TEST(ValidateObject, StandaloneReportsAllProblems) {
  const nlohmann::json svc = nlohmann::json::parse(R"({
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {"clusterIP": "10.96.0.1", "ports": [{"port": 0, "protocol": "ICMP"}]}
  })");
  const std::vector<ObjectError> errors = validateObject(ManifestKind::Service, svc);
  ASSERT_EQ(errors.size(), 2u) << describeErrors(errors);
  EXPECT_EQ(errors[0].kind, "Service");
  EXPECT_EQ(errors[0].object, "shop/web");
  EXPECT_TRUE(
      validateObject(ManifestKind::Node, nlohmann::json{{"metadata", {{"name", "n"}}}}).empty());
}

TEST(ValidateObject, MessageFormat) {
  const ParsedObjects parsed = parseYaml(
      service("{clusterIP: 10.96.0.1, ports: [{name: a, port: 80}, {name: b, port: 70000}]}"),
      "svc.yaml");
  ASSERT_EQ(parsed.errors.size(), 1u);
  EXPECT_EQ(parsed.errors[0].str(),
            "svc.yaml: Service shop/web: spec.ports[1].port: invalid value \"70000\": must be "
            "between 1 and 65535, inclusive");
}

}  // namespace
}  // namespace kpx::watch
