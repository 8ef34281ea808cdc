// buildState(): which services become service ports, and their addresses, ports and policies.
#include <gtest/gtest.h>

#include "tests/unit/proxy/test_support.h"

namespace kpx::test {
namespace {

// One ready remote endpoint for ns/web's unnamed port, in each family.
EndpointSlice webSliceV4() {
  return makeSlice("ns", "web-v4", "web").port("", 8080).endpoint(makeEndpoint("10.1.0.1"));
}
EndpointSlice webSliceV6() {
  return makeSlice("ns", "web-v6", "web", AddressType::IPv6)
      .port("", 8080)
      .endpoint(makeEndpoint("fd00:1::1"));
}

ProxyConfig onlyFamily(IPFamily family) {
  ProxyConfig config = defaultConfig();
  config.families = {family};
  return config;
}

TEST(BuildStateServices, TypesAndSkippedServices) {
  expectBuildCases({
      {.name = "ClusterIP service: one port, internal traffic only",
       .services = {makeService("ns", "web").clusterIP("10.96.0.10").port("", 80)},
       .slices = {webSliceV4()},
       .expected = {"ns/web TCP IPv4 10.96.0.10:80 internal=[10.1.0.1:8080]"}},
      {.name = "NodePort service: nodePort and external traffic",
       .services = {makeService("ns", "web")
                        .type(ServiceType::NodePort)
                        .clusterIP("10.96.0.10")
                        .port("", 80)
                        .nodePort(30080)},
       .slices = {webSliceV4()},
       .expected = {"ns/web TCP IPv4 10.96.0.10:80 type=NodePort nodePort=30080 "
                    "internal=[10.1.0.1:8080] external=[10.1.0.1:8080]"}},
      {.name = "LoadBalancer: ingress IPs with ipMode unset or VIP; Proxy and hostname-only not",
       .services = {makeService("ns", "web")
                        .type(ServiceType::LoadBalancer)
                        .clusterIP("10.96.0.10")
                        .port("", 80)
                        .nodePort(30080)
                        .ingress("203.0.113.12", "Proxy")
                        .ingress("203.0.113.11", "VIP")
                        .ingress("203.0.113.10")
                        .ingressHostname("lb.example.com")},
       .slices = {webSliceV4()},
       .expected = {"ns/web TCP IPv4 10.96.0.10:80 type=LoadBalancer nodePort=30080 "
                    "lbIPs=203.0.113.10,203.0.113.11 internal=[10.1.0.1:8080] "
                    "external=[10.1.0.1:8080]"}},
      {.name = "LoadBalancer without NodePorts, only a Proxy-mode ingress: not external",
       .services = {makeService("ns", "web")
                        .type(ServiceType::LoadBalancer)
                        .clusterIP("10.96.0.10")
                        .port("", 80)
                        .ingress("203.0.113.12", "Proxy")},
       .slices = {webSliceV4()},
       .expected = {"ns/web TCP IPv4 10.96.0.10:80 type=LoadBalancer internal=[10.1.0.1:8080]"}},
      {.name = "nodePort on a ClusterIP service is not emitted",
       .services = {makeService("ns", "web").clusterIP("10.96.0.10").port("", 80).nodePort(30080)},
       .slices = {webSliceV4()},
       .expected = {"ns/web TCP IPv4 10.96.0.10:80 internal=[10.1.0.1:8080]"}},
      {.name = "headless service: skipped",
       .services = {makeService("ns", "web").headless().port("", 80)},
       .slices = {webSliceV4()},
       .expected = {}},
      {.name = "ExternalName service: skipped even with a clusterIP",
       .services = {makeService("ns", "web")
                        .externalName("db.example.com")
                        .clusterIP("10.96.0.10")
                        .port("", 80)},
       .slices = {webSliceV4()},
       .expected = {}},
      {.name = "service-proxy-name label (any value): another proxy's, skipped",
       .services = {makeService("ns", "web")
                        .clusterIP("10.96.0.10")
                        .port("", 80)
                        .label(std::string(kServiceProxyNameLabel), "")},
       .slices = {webSliceV4()},
       .expected = {}},
      {.name = "headless label: skipped, as kube-proxy's informer selector does",
       .services = {makeService("ns", "web")
                        .clusterIP("10.96.0.10")
                        .port("", 80)
                        .label(std::string(kHeadlessLabel), "")},
       .slices = {webSliceV4()},
       .expected = {}},
      {.name = "no clusterIPs: skipped",
       .services = {makeService("ns", "web").port("", 80)},
       .slices = {webSliceV4()},
       .expected = {}},
      {.name = "skipped services do not hide others",
       .services = {makeService("ns", "a").headless().port("", 80),
                    makeService("ns", "web").clusterIP("10.96.0.10").port("", 80),
                    makeService("ns", "z").externalName("x.example.com")},
       .slices = {webSliceV4()},
       .expected = {"ns/web TCP IPv4 10.96.0.10:80 internal=[10.1.0.1:8080]"}},
  });
}

TEST(BuildStateServices, Families) {
  const Service dualStack = makeService("ns", "web")
                                .type(ServiceType::LoadBalancer)
                                .clusterIP("10.96.0.10")
                                .clusterIP("fd00:96::10")
                                .port("", 80)
                                .nodePort(30080)
                                .externalIP("2001:db8::1")
                                .externalIP("192.0.2.2")
                                .externalIP("192.0.2.1")
                                .ingress("203.0.113.10")
                                .ingress("2001:db8:1::10")
                                .sourceRange("198.51.100.0/24")
                                .sourceRange("2001:db8:2::/64");
  expectBuildCases({
      {.name = "dual stack: one state per family, each with its own addresses and endpoints",
       .services = {dualStack},
       .slices = {webSliceV4(), webSliceV6()},
       .expected =
           {"ns/web TCP IPv4 10.96.0.10:80 type=LoadBalancer nodePort=30080 "
            "externalIPs=192.0.2.1,192.0.2.2 lbIPs=203.0.113.10 sourceRanges=198.51.100.0/24 "
            "internal=[10.1.0.1:8080] external=[10.1.0.1:8080]",
            "ns/web TCP IPv6 [fd00:96::10]:80 type=LoadBalancer nodePort=30080 "
            "externalIPs=2001:db8::1 lbIPs=2001:db8:1::10 sourceRanges=2001:db8:2::/64 "
            "internal=[[fd00:1::1]:8080] external=[[fd00:1::1]:8080]"}},
      {.name = "dual stack on an IPv4-only proxy: IPv6 left out",
       .services =
           {makeService("ns", "web").clusterIP("10.96.0.10").clusterIP("fd00:96::10").port("", 80)},
       .slices = {webSliceV4(), webSliceV6()},
       .config = onlyFamily(IPFamily::V4),
       .expected = {"ns/web TCP IPv4 10.96.0.10:80 internal=[10.1.0.1:8080]"}},
      {.name = "IPv6 first in clusterIPs: same two states",
       .services =
           {makeService("ns", "web").clusterIP("fd00:96::10").clusterIP("10.96.0.10").port("", 80)},
       .slices = {webSliceV4(), webSliceV6()},
       .expected = {"ns/web TCP IPv4 10.96.0.10:80 internal=[10.1.0.1:8080]",
                    "ns/web TCP IPv6 [fd00:96::10]:80 internal=[[fd00:1::1]:8080]"}},
      {.name = "two clusterIPs of one family (invalid): the first one is that family's",
       .services =
           {makeService("ns", "web").clusterIP("10.96.0.10").clusterIP("10.96.0.11").port("", 80)},
       .slices = {webSliceV4()},
       .expected = {"ns/web TCP IPv4 10.96.0.10:80 internal=[10.1.0.1:8080]"}},
      {.name = "IPv6 only: IPv4 slices are not its endpoints",
       .services = {makeService("ns", "web").clusterIP("fd00:96::10").port("", 80)},
       .slices = {webSliceV4(), webSliceV6()},
       .expected = {"ns/web TCP IPv6 [fd00:96::10]:80 internal=[[fd00:1::1]:8080]"}},
      {.name = "IPv6-only service on an IPv4-only proxy: nothing",
       .services = {makeService("ns", "web").clusterIP("fd00:96::10").port("", 80)},
       .slices = {webSliceV6()},
       .config = onlyFamily(IPFamily::V4),
       .expected = {}},
      {.name = "ClusterIP service with externalIPs of the other family only: not external",
       .services = {makeService("ns", "web")
                        .clusterIP("10.96.0.10")
                        .port("", 80)
                        .externalIP("2001:db8::1")},
       .slices = {webSliceV4()},
       .expected = {"ns/web TCP IPv4 10.96.0.10:80 internal=[10.1.0.1:8080]"}},
  });
}

TEST(BuildStateServices, PortsAndProtocols) {
  expectBuildCases({
      {.name = "multi-port service: slice ports matched by name",
       .services = {makeService("ns", "web")
                        .clusterIP("10.96.0.10")
                        .port("http", 80)
                        .port("https", 443)
                        .port("metrics", 9090)},
       .slices = {makeSlice("ns", "web-1", "web")
                      .port("https", 8443)
                      .port("http", 8080)
                      .endpoint(makeEndpoint("10.1.0.1"))},
       .expected = {"ns/web:http TCP IPv4 10.96.0.10:80 internal=[10.1.0.1:8080]",
                    "ns/web:https TCP IPv4 10.96.0.10:443 internal=[10.1.0.1:8443]",
                    "ns/web:metrics TCP IPv4 10.96.0.10:9090 internal=reject"}},
      {.name = "same port number over TCP, UDP and SCTP: matched by name and protocol",
       .services = {makeService("ns", "dns")
                        .clusterIP("10.96.0.53")
                        .port("dns-tcp", 53, TCP)
                        .port("dns", 53, UDP)
                        .port("dns-sctp", 53, SCTP)},
       .slices = {makeSlice("ns", "dns-1", "dns")
                      .port("dns", 5353, UDP)
                      .port("dns-tcp", 5354, TCP)
                      .port("dns-sctp", 5355, SCTP)
                      .port("dns", 5356, TCP)  // right name, wrong protocol: not port "dns"
                      .endpoint(makeEndpoint("10.1.0.1"))},
       .expected = {"ns/dns:dns UDP IPv4 10.96.0.53:53 internal=[10.1.0.1:5353]",
                    "ns/dns:dns-sctp SCTP IPv4 10.96.0.53:53 internal=[10.1.0.1:5355]",
                    "ns/dns:dns-tcp TCP IPv4 10.96.0.53:53 internal=[10.1.0.1:5354]"}},
  });
}

TEST(BuildStateServices, AffinityPoliciesHealthCheck) {
  const EndpointSlice mixed =
      makeSlice("ns", "web-1", "web")
          .port("", 8080)
          .endpoint(makeEndpoint("10.1.0.1").node("node-b"))
          .endpoint(makeEndpoint("10.1.0.2").node(std::string(kNodeName)))
          .endpoint(makeTerminating("10.1.0.3").node(std::string(kNodeName)));
  expectBuildCases({
      {.name = "sessionAffinity ClientIP: default timeout 10800",
       .services = {makeService("ns", "web").clusterIP("10.96.0.10").port("", 80).affinity()},
       .slices = {webSliceV4()},
       .expected = {"ns/web TCP IPv4 10.96.0.10:80 affinity=10800 internal=[10.1.0.1:8080]"}},
      {.name = "sessionAffinity ClientIP: custom timeout",
       .services = {makeService("ns", "web").clusterIP("10.96.0.10").port("", 80).affinity(60)},
       .slices = {webSliceV4()},
       .expected = {"ns/web TCP IPv4 10.96.0.10:80 affinity=60 internal=[10.1.0.1:8080]"}},
      {.name = "LoadBalancer eTP Local: healthCheckNodePort, local ready count, local external",
       .services = {makeService("ns", "web")
                        .type(ServiceType::LoadBalancer)
                        .clusterIP("10.96.0.10")
                        .port("", 80)
                        .nodePort(30080)
                        .externalPolicy(TrafficPolicy::Local)
                        .healthCheckNodePort(32000)},
       .slices = {mixed},
       .expected = {"ns/web TCP IPv4 10.96.0.10:80 type=LoadBalancer nodePort=30080 eTP=Local "
                    "hcPort=32000 localReady=1 internal=[10.1.0.1:8080 10.1.0.2:8080/local] "
                    "external=[10.1.0.2:8080/local]"}},
      {.name = "eTP Cluster: healthCheckNodePort not copied",
       .services = {makeService("ns", "web")
                        .type(ServiceType::LoadBalancer)
                        .clusterIP("10.96.0.10")
                        .port("", 80)
                        .nodePort(30080)
                        .healthCheckNodePort(32000)},
       .slices = {webSliceV4()},
       .expected = {"ns/web TCP IPv4 10.96.0.10:80 type=LoadBalancer nodePort=30080 "
                    "internal=[10.1.0.1:8080] external=[10.1.0.1:8080]"}},
      {.name = "NodePort eTP Local: no health check (LoadBalancer only)",
       .services = {makeService("ns", "web")
                        .type(ServiceType::NodePort)
                        .clusterIP("10.96.0.10")
                        .port("", 80)
                        .nodePort(30080)
                        .externalPolicy(TrafficPolicy::Local)
                        .healthCheckNodePort(32000)},
       .slices = {mixed},
       .expected = {"ns/web TCP IPv4 10.96.0.10:80 type=NodePort nodePort=30080 eTP=Local "
                    "localReady=1 internal=[10.1.0.1:8080 10.1.0.2:8080/local] "
                    "external=[10.1.0.2:8080/local]"}},
      {.name = "eTP Local on a ClusterIP service without externalIPs: ignored",
       .services = {makeService("ns", "web")
                        .clusterIP("10.96.0.10")
                        .port("", 80)
                        .externalPolicy(TrafficPolicy::Local)},
       .slices = {mixed},
       .expected = {"ns/web TCP IPv4 10.96.0.10:80 localReady=1 "
                    "internal=[10.1.0.1:8080 10.1.0.2:8080/local]"}},
      {.name = "eTP Local on a ClusterIP service with externalIPs: applies to them",
       .services = {makeService("ns", "web")
                        .clusterIP("10.96.0.10")
                        .port("", 80)
                        .externalIP("192.0.2.1")
                        .externalPolicy(TrafficPolicy::Local)},
       .slices = {mixed},
       .expected = {"ns/web TCP IPv4 10.96.0.10:80 externalIPs=192.0.2.1 eTP=Local localReady=1 "
                    "internal=[10.1.0.1:8080 10.1.0.2:8080/local] "
                    "external=[10.1.0.2:8080/local]"}},
  });
}

}  // namespace
}  // namespace kpx::test
