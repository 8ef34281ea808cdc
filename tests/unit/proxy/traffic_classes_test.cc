// buildState(): the endpoints of each traffic class and what an empty class does
// (reject when the service has no usable endpoint anywhere, drop when it has some elsewhere).
#include <gtest/gtest.h>

#include "tests/unit/proxy/test_support.h"

namespace kpx::test {
namespace {

const std::string kThisNode(kNodeName);

ServiceBuilder nodePortService() {
  return makeService("ns", "web")
      .type(ServiceType::NodePort)
      .clusterIP("10.96.0.10")
      .port("", 80)
      .nodePort(30080);
}

SliceBuilder webSlice() {
  return makeSlice("ns", "web-1", "web").port("", 8080);
}

TEST(TrafficClasses, PoliciesAndEmptyActions) {
  const EndpointSlice remoteOnly = webSlice()
                                       .endpoint(makeEndpoint("10.1.0.1").node("node-b"))
                                       .endpoint(makeEndpoint("10.1.0.2").node("node-c"));
  const EndpointSlice mixed = webSlice()
                                  .endpoint(makeEndpoint("10.1.0.1").node("node-b"))
                                  .endpoint(makeEndpoint("10.1.0.2").node(kThisNode));
  expectBuildCases({
      {.name = "no endpoints: reject",
       .services = {makeService("ns", "web").clusterIP("10.96.0.10").port("", 80)},
       .expected = {"ns/web TCP IPv4 10.96.0.10:80 internal=reject"}},
      {.name = "NodePort without endpoints: both classes reject",
       .services = {nodePortService()},
       .slices = {webSlice()},
       .expected = {"ns/web TCP IPv4 10.96.0.10:80 type=NodePort nodePort=30080 internal=reject "
                    "external=reject"}},
      {.name = "eTP Local, no local endpoints: external drops, internal keeps cluster endpoints",
       .services = {nodePortService().externalPolicy(TrafficPolicy::Local)},
       .slices = {remoteOnly},
       .expected = {"ns/web TCP IPv4 10.96.0.10:80 type=NodePort nodePort=30080 eTP=Local "
                    "internal=[10.1.0.1:8080 10.1.0.2:8080] external=drop"}},
      {.name = "eTP Local with a local endpoint: external uses it only",
       .services = {nodePortService().externalPolicy(TrafficPolicy::Local)},
       .slices = {mixed},
       .expected = {"ns/web TCP IPv4 10.96.0.10:80 type=NodePort nodePort=30080 eTP=Local "
                    "localReady=1 internal=[10.1.0.1:8080 10.1.0.2:8080/local] "
                    "external=[10.1.0.2:8080/local]"}},
      {.name = "eTP Local, no endpoints at all: both reject",
       .services = {nodePortService().externalPolicy(TrafficPolicy::Local)},
       .slices = {webSlice()},
       .expected = {"ns/web TCP IPv4 10.96.0.10:80 type=NodePort nodePort=30080 eTP=Local "
                    "internal=reject external=reject"}},
      {.name = "iTP Local, no local endpoints: internal drops",
       .services = {makeService("ns", "web")
                        .clusterIP("10.96.0.10")
                        .port("", 80)
                        .internalPolicy(TrafficPolicy::Local)},
       .slices = {remoteOnly},
       .expected = {"ns/web TCP IPv4 10.96.0.10:80 iTP=Local internal=drop"}},
      {.name = "iTP Local with a local endpoint: internal uses it only",
       .services = {makeService("ns", "web")
                        .clusterIP("10.96.0.10")
                        .port("", 80)
                        .internalPolicy(TrafficPolicy::Local)},
       .slices = {mixed},
       .expected = {"ns/web TCP IPv4 10.96.0.10:80 iTP=Local localReady=1 "
                    "internal=[10.1.0.2:8080/local]"}},
      {.name = "iTP Local, eTP Cluster on a NodePort: internal drops, external uses all",
       .services = {nodePortService().internalPolicy(TrafficPolicy::Local)},
       .slices = {remoteOnly},
       .expected = {"ns/web TCP IPv4 10.96.0.10:80 type=NodePort nodePort=30080 iTP=Local "
                    "internal=drop external=[10.1.0.1:8080 10.1.0.2:8080]"}},
      {.name = "iTP Local and eTP Local, all remote: both drop",
       .services = {nodePortService()
                        .internalPolicy(TrafficPolicy::Local)
                        .externalPolicy(TrafficPolicy::Local)},
       .slices = {remoteOnly},
       .expected = {"ns/web TCP IPv4 10.96.0.10:80 type=NodePort nodePort=30080 iTP=Local "
                    "eTP=Local internal=drop external=drop"}},
      {.name = "nothing ready: serving+terminating endpoints are used",
       .services = {nodePortService()},
       .slices = {webSlice()
                      .endpoint(makeTerminating("10.1.0.1").node("node-b"))
                      .endpoint(makeEndpoint("10.1.0.2").ready(false).serving(false))},
       .expected = {"ns/web TCP IPv4 10.96.0.10:80 type=NodePort nodePort=30080 "
                    "internal=[10.1.0.1:8080/notready/terminating] "
                    "external=[10.1.0.1:8080/notready/terminating]"}},
      {.name = "iTP Local, only a terminating local endpoint: used; not counted as ready",
       .services = {makeService("ns", "web")
                        .clusterIP("10.96.0.10")
                        .port("", 80)
                        .internalPolicy(TrafficPolicy::Local)},
       .slices = {webSlice()
                      .endpoint(makeEndpoint("10.1.0.1").node("node-b"))
                      .endpoint(makeTerminating("10.1.0.2").node(kThisNode))},
       .expected = {"ns/web TCP IPv4 10.96.0.10:80 iTP=Local "
                    "internal=[10.1.0.2:8080/local/notready/terminating]"}},
      {.name = "dual stack eTP Local: each family judged on its own endpoints",
       .services =
           {nodePortService().clusterIP("fd00:96::10").externalPolicy(TrafficPolicy::Local)},
       .slices = {mixed, makeSlice("ns", "web-v6", "web", AddressType::IPv6)
                             .port("", 8080)
                             .endpoint(makeEndpoint("fd00:1::1").node("node-b"))},
       .expected = {"ns/web TCP IPv4 10.96.0.10:80 type=NodePort nodePort=30080 eTP=Local "
                    "localReady=1 internal=[10.1.0.1:8080 10.1.0.2:8080/local] "
                    "external=[10.1.0.2:8080/local]",
                    "ns/web TCP IPv6 [fd00:96::10]:80 type=NodePort nodePort=30080 eTP=Local "
                    "internal=[[fd00:1::1]:8080] external=drop"}},
  });
}

TEST(TrafficClasses, Topology) {
  const EndpointSlice hinted =
      webSlice()
          .endpoint(makeEndpoint("10.1.0.1").node("node-b").zoneHints({"zone-a"}))
          .endpoint(makeEndpoint("10.1.0.2").node("node-c").zoneHints({"zone-b"}))
          .endpoint(makeEndpoint("10.1.0.3").node(kThisNode).zoneHints({"zone-b"}));
  const Node nodeInZoneA = makeNode(kThisNode).zone("zone-a");
  expectBuildCases({
      {.name = "zone hints filter the cluster set by this node's zone label",
       .services = {makeService("ns", "web").clusterIP("10.96.0.10").port("", 80)},
       .slices = {hinted},
       .node = nodeInZoneA,
       .expected = {"ns/web TCP IPv4 10.96.0.10:80 localReady=1 internal=[10.1.0.1:8080]"}},
      {.name = "Node unknown: no zone, no filtering",
       .services = {makeService("ns", "web").clusterIP("10.96.0.10").port("", 80)},
       .slices = {hinted},
       .expected = {"ns/web TCP IPv4 10.96.0.10:80 localReady=1 "
                    "internal=[10.1.0.1:8080 10.1.0.2:8080 10.1.0.3:8080/local]"}},
      {.name = "eTP Local: external set ignores hints, internal follows them",
       .services = {nodePortService().externalPolicy(TrafficPolicy::Local)},
       .slices = {hinted},
       .node = nodeInZoneA,
       .expected = {"ns/web TCP IPv4 10.96.0.10:80 type=NodePort nodePort=30080 eTP=Local "
                    "localReady=1 internal=[10.1.0.1:8080] external=[10.1.0.3:8080/local]"}},
      {.name = "node hints: PreferSameNode",
       .services = {makeService("ns", "web").clusterIP("10.96.0.10").port("", 80)},
       .slices = {webSlice()
                      .endpoint(makeEndpoint("10.1.0.1").node("node-b").nodeHints({"node-b"}))
                      .endpoint(makeEndpoint("10.1.0.2").node(kThisNode).nodeHints({kThisNode}))},
       .node = nodeInZoneA,
       .expected = {"ns/web TCP IPv4 10.96.0.10:80 localReady=1 internal=[10.1.0.2:8080/local]"}},
  });
}

}  // namespace
}  // namespace kpx::test
