// buildState(): how EndpointSlices become the endpoints of a service port (upstream's
// EndpointSliceCache): matching, conditions, deduplication, order.
#include <gtest/gtest.h>

#include "proxy/build_state.h"
#include "tests/unit/proxy/test_support.h"

namespace kpx::test {
namespace {

const std::string kThisNode(kNodeName);

Service web() {
  return makeService("ns", "web").clusterIP("10.96.0.10").port("http", 80);
}

TEST(BuildStateEndpoints, SliceSelection) {
  expectBuildCases({
      {.name = "targetPort by name: each slice carries its pods' port number",
       .services =
           {makeService("ns", "web").clusterIP("10.96.0.10").port("http", 80).targetPort("web")},
       .slices =
           {makeSlice("ns", "web-1", "web").port("http", 8080).endpoint(makeEndpoint("10.1.0.1")),
            makeSlice("ns", "web-2", "web").port("http", 9090).endpoint(makeEndpoint("10.1.0.2"))},
       .expected = {"ns/web:http TCP IPv4 10.96.0.10:80 internal=[10.1.0.1:8080 10.1.0.2:9090]"}},
      {.name = "unnamed port: a nil and an empty slice port name both match",
       .services = {makeService("ns", "web").clusterIP("10.96.0.10").port("", 80)},
       .slices =
           {makeSlice("ns", "web-1", "web")
                .port(std::nullopt, 8080)
                .endpoint(makeEndpoint("10.1.0.1")),
            makeSlice("ns", "web-2", "web").port("", 8080).endpoint(makeEndpoint("10.1.0.2"))},
       .expected = {"ns/web TCP IPv4 10.96.0.10:80 internal=[10.1.0.1:8080 10.1.0.2:8080]"}},
      {.name = "slice port without a number: not usable",
       .services = {web()},
       .slices = {makeSlice("ns", "web-1", "web")
                      .port("http", std::nullopt)
                      .endpoint(makeEndpoint("10.1.0.1"))},
       .expected = {"ns/web:http TCP IPv4 10.96.0.10:80 internal=reject"}},
      {.name = "slice of another service or namespace: ignored",
       .services = {web()},
       .slices =
           {makeSlice("ns", "api-1", "api").port("http", 8080).endpoint(makeEndpoint("10.1.0.1")),
            makeSlice("other", "web-1", "web")
                .port("http", 8080)
                .endpoint(makeEndpoint("10.1.0.2")),
            makeSlice("ns", "web-1", "web").port("http", 8080).endpoint(makeEndpoint("10.1.0.3"))},
       .expected = {"ns/web:http TCP IPv4 10.96.0.10:80 internal=[10.1.0.3:8080]"}},
      {.name = "FQDN slice: ignored",
       .services = {web()},
       .slices = {makeSlice("ns", "web-1", "web", AddressType::FQDN)
                      .port("http", 8080)
                      .endpoint(makeEndpoint("web.example.com"))},
       .expected = {"ns/web:http TCP IPv4 10.96.0.10:80 internal=reject"}},
      {.name = "slice labelled service-proxy-name: ignored, as kube-proxy's informer does",
       .services = {web()},
       .slices = {makeSlice("ns", "web-1", "web")
                      .port("http", 8080)
                      .label(std::string(kServiceProxyNameLabel), "other")
                      .endpoint(makeEndpoint("10.1.0.1"))},
       .expected = {"ns/web:http TCP IPv4 10.96.0.10:80 internal=reject"}},
      {.name = "unparsable, other-family or missing addresses skipped",
       .services = {web()},
       .slices = {makeSlice("ns", "web-1", "web")
                      .port("http", 8080)
                      .endpoint(makeEndpoint("10.1.0.1"))
                      .endpoint(makeEndpoint("not-an-ip"))
                      .endpoint(makeEndpoint("fd00:1::1"))
                      .endpoint(EndpointBuilder(""))},
       .expected = {"ns/web:http TCP IPv4 10.96.0.10:80 internal=[10.1.0.1:8080]"}},
      {.name = "sorted by address then port, numerically",
       .services = {web()},
       .slices =
           {makeSlice("ns", "web-1", "web")
                .port("http", 9090)
                .endpoint(makeEndpoint("10.1.0.10"))
                .endpoint(makeEndpoint("10.1.0.9")),
            makeSlice("ns", "web-2", "web").port("http", 8080).endpoint(makeEndpoint("10.1.0.10"))},
       .expected = {"ns/web:http TCP IPv4 10.96.0.10:80 internal=[10.1.0.9:9090 10.1.0.10:8080 "
                    "10.1.0.10:9090]"}},
  });
}

TEST(BuildStateEndpoints, DeduplicationAndLocality) {
  expectBuildCases({
      {.name = "same ip:port in two slices: one endpoint",
       .services = {web()},
       .slices =
           {makeSlice("ns", "web-a", "web").port("http", 8080).endpoint(makeEndpoint("10.1.0.1")),
            makeSlice("ns", "web-b", "web").port("http", 8080).endpoint(makeEndpoint("10.1.0.1"))},
       .expected = {"ns/web:http TCP IPv4 10.96.0.10:80 internal=[10.1.0.1:8080]"}},
      {.name = "duplicates that differ: the local copy wins, whichever slice holds it",
       .services = {web()},
       .slices = {makeSlice("ns", "web-a", "web")
                      .port("http", 8080)
                      .endpoint(makeEndpoint("10.1.0.1").node("node-b"))
                      .endpoint(makeEndpoint("10.1.0.2").node(kThisNode)),
                  makeSlice("ns", "web-b", "web")
                      .port("http", 8080)
                      .endpoint(makeEndpoint("10.1.0.1").node(kThisNode))
                      .endpoint(makeEndpoint("10.1.0.2").node("node-b"))},
       .expected = {"ns/web:http TCP IPv4 10.96.0.10:80 localReady=2 "
                    "internal=[10.1.0.1:8080/local 10.1.0.2:8080/local]"}},
      {.name = "duplicates, neither local: the first slice by name wins",
       .services = {web()},
       .slices =
           {makeSlice("ns", "web-b", "web")
                .port("http", 8080)
                .endpoint(makeEndpoint("10.1.0.1").ready(false)),
            makeSlice("ns", "web-a", "web").port("http", 8080).endpoint(makeEndpoint("10.1.0.1"))},
       .expected = {"ns/web:http TCP IPv4 10.96.0.10:80 internal=[10.1.0.1:8080]"}},
      {.name = "endpoint without nodeName: remote",
       .services = {web()},
       .slices =
           {makeSlice("ns", "web-1", "web").port("http", 8080).endpoint(makeEndpoint("10.1.0.1"))},
       .expected = {"ns/web:http TCP IPv4 10.96.0.10:80 internal=[10.1.0.1:8080]"}},
  });
}

TEST(BuildStateEndpoints, ConditionDefaults) {
  expectBuildCases({
      {.name = "ready unset means ready",
       .services = {web()},
       .slices =
           {makeSlice("ns", "web-1", "web").port("http", 8080).endpoint(makeEndpoint("10.1.0.1"))},
       .expected = {"ns/web:http TCP IPv4 10.96.0.10:80 internal=[10.1.0.1:8080]"}},
      {.name = "not ready, serving unset (means true, as kube-proxy), terminating: fallback",
       .services = {web()},
       .slices = {makeSlice("ns", "web-1", "web")
                      .port("http", 8080)
                      .endpoint(makeEndpoint("10.1.0.1").ready(false).terminating(true))},
       .expected =
           {"ns/web:http TCP IPv4 10.96.0.10:80 internal=[10.1.0.1:8080/notready/terminating]"}},
      {.name = "not ready, not serving, terminating: not usable",
       .services = {web()},
       .slices = {makeSlice("ns", "web-1", "web")
                      .port("http", 8080)
                      .endpoint(
                          makeEndpoint("10.1.0.1").ready(false).serving(false).terminating(true))},
       .expected = {"ns/web:http TCP IPv4 10.96.0.10:80 internal=reject"}},
      {.name = "not ready, serving, terminating unset (false): not usable",
       .services = {web()},
       .slices = {makeSlice("ns", "web-1", "web")
                      .port("http", 8080)
                      .endpoint(makeEndpoint("10.1.0.1").ready(false).serving(true))},
       .expected = {"ns/web:http TCP IPv4 10.96.0.10:80 internal=reject"}},
  });
}

// The golden lines leave node and zone out; check every EndpointState field once.
TEST(BuildStateEndpoints, EndpointFields) {
  struct Case {
    std::string name = {};
    Endpoint endpoint = {};
    std::string configNodeName = kThisNode;
    EndpointState expected = {};
  };
  const std::vector<Case> cases = {
      {.name = "local, zone, all conditions unset",
       .endpoint = makeEndpoint("10.1.0.1").node(kThisNode),
       .expected = {.ip = ip("10.1.0.1"),
                    .port = 8080,
                    .ready = true,
                    .serving = true,
                    .terminating = false,
                    .local = true}},
      {.name = "remote, terminating, no zone",
       .endpoint = makeTerminating("10.1.0.2").node("node-b"),
       .expected = {.ip = ip("10.1.0.2"),
                    .port = 8080,
                    .ready = false,
                    .serving = true,
                    .terminating = true,
                    .local = false}},
      {.name = "no nodeName: not local",
       .endpoint = makeEndpoint("10.1.0.3"),
       .expected = {.ip = ip("10.1.0.3"),
                    .port = 8080,
                    .ready = true,
                    .serving = true,
                    .terminating = false,
                    .local = false}},
      {.name = "proxy without a node name: nothing is local, even an empty nodeName",
       .endpoint = makeEndpoint("10.1.0.4").node(""),
       .configNodeName = "",
       .expected = {.ip = ip("10.1.0.4"),
                    .port = 8080,
                    .ready = true,
                    .serving = true,
                    .terminating = false,
                    .local = false}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ProxyConfig config = defaultConfig();
    config.nodeName = c.configNodeName;
    const ClusterSnapshot cluster = makeSnapshot(
        {web()}, {makeSlice("ns", "web-1", "web").port("http", 8080).endpoint(c.endpoint)}, {});
    const ProxyState state = buildState(cluster, nullptr, config);
    ASSERT_EQ(state.servicePorts.size(), 1u);
    const auto& endpoints = state.servicePorts.begin()->second.internal.endpoints;
    ASSERT_EQ(endpoints.size(), 1u);
    EXPECT_EQ(endpoints[0], c.expected);
  }
}

}  // namespace
}  // namespace kpx::test
