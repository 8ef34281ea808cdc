// categorizeEndpoints(): upstream's TestCategorizeEndpoints (pkg/proxy/topology_test.go),
// case for case where it still applies (hints are used whenever present; terminating-endpoint
// fallback always on), plus the same-node hint cases of PreferSameTrafficDistribution.
#include <gtest/gtest.h>

#include "proxy/topology.h"
#include "tests/unit/proxy/test_support.h"

namespace kpx::test {
namespace {

// An endpoint on port 80, ready unless said otherwise.
struct Ep {
  std::string ip = {};
  bool ready = true;
  bool serving = true;
  bool terminating = false;
  bool local = false;
  std::vector<std::string> zones = {};
  std::vector<std::string> nodes = {};
};

// The Ep as the serving-and-terminating state of a pod shutting down gracefully.
Ep terminatingEp(std::string address, bool local = false) {
  return {.ip = std::move(address),
          .ready = false,
          .serving = true,
          .terminating = true,
          .local = local};
}

struct Case {
  std::string name = {};
  std::string zone = {};  // this node's zone label
  EndpointUse use = {.cluster = true, .local = false};
  std::vector<Ep> endpoints = {};
  std::vector<std::string> cluster = {};
  std::vector<std::string> local = {};
  bool hasAny = false;
};

constexpr EndpointUse kCluster{.cluster = true, .local = false};
constexpr EndpointUse kLocal{.cluster = false, .local = true};
constexpr EndpointUse kBoth{.cluster = true, .local = true};

std::vector<std::string> addresses(const std::vector<EndpointState>& endpoints) {
  std::vector<std::string> out;
  for (const EndpointState& e : endpoints) out.push_back(e.ip.str());
  return out;
}

std::vector<EndpointCandidate> candidates(const std::vector<Ep>& endpoints) {
  std::vector<EndpointCandidate> out;
  for (const Ep& e : endpoints) {
    out.push_back({.state = {.ip = ip(e.ip),
                             .port = 80,
                             .ready = e.ready,
                             .serving = e.serving,
                             .terminating = e.terminating,
                             .local = e.local},
                   .zoneHints = e.zones,
                   .nodeHints = e.nodes});
  }
  return out;
}

void runCases(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const NodeTopology node{.nodeName = std::string(kNodeName), .zone = c.zone};
    const CategorizedEndpoints got = categorizeEndpoints(candidates(c.endpoints), c.use, node);
    EXPECT_EQ(addresses(got.cluster), c.cluster);
    EXPECT_EQ(addresses(got.local), c.local);
    EXPECT_EQ(got.hasAnyEndpoints, c.hasAny);
  }
}

TEST(CategorizeEndpoints, UpstreamTable) {
  const std::vector<Case> cases = {
      {.name = "zone hints: keep the endpoints hinted for this zone",
       .zone = "zone-a",
       .endpoints = {{.ip = "10.1.2.3", .zones = {"zone-a"}},
                     {.ip = "10.1.2.4", .zones = {"zone-b"}},
                     {.ip = "10.1.2.5", .zones = {"zone-c"}},
                     {.ip = "10.1.2.6", .zones = {"zone-a"}}},
       .cluster = {"10.1.2.3", "10.1.2.6"},
       .hasAny = true},
      {.name = "eTP Local: topology ignored for local endpoints",
       .zone = "zone-a",
       .use = kBoth,
       .endpoints = {{.ip = "10.1.2.3", .local = true, .zones = {"zone-a"}},
                     {.ip = "10.1.2.4", .local = true, .zones = {"zone-b"}},
                     {.ip = "10.1.2.5", .zones = {"zone-c"}},
                     {.ip = "10.1.2.6", .zones = {"zone-a"}}},
       .cluster = {"10.1.2.3", "10.1.2.6"},
       .local = {"10.1.2.3", "10.1.2.4"},
       .hasAny = true},
      {.name = "node without a zone label: no filtering",
       .zone = "",
       .endpoints = {{.ip = "10.1.2.3", .zones = {"zone-a"}}},
       .cluster = {"10.1.2.3"},
       .hasAny = true},
      {.name = "node in a zone no endpoint is hinted for: no filtering",
       .zone = "zone-b",
       .endpoints = {{.ip = "10.1.2.3", .zones = {"zone-a"}}},
       .cluster = {"10.1.2.3"},
       .hasAny = true},
      {.name = "unready endpoint hinted for this zone: not used",
       .zone = "zone-a",
       .endpoints = {{.ip = "10.1.2.3", .zones = {"zone-a"}},
                     {.ip = "10.1.2.4", .zones = {"zone-b"}},
                     {.ip = "10.1.2.5", .zones = {"zone-c"}},
                     {.ip = "10.1.2.6", .ready = false, .zones = {"zone-a"}}},
       .cluster = {"10.1.2.3"},
       .hasAny = true},
      {.name = "only unready endpoints in this zone: no filtering",
       .zone = "zone-a",
       .endpoints = {{.ip = "10.1.2.3", .ready = false, .zones = {"zone-a"}},
                     {.ip = "10.1.2.4", .zones = {"zone-b"}},
                     {.ip = "10.1.2.5", .zones = {"zone-c"}},
                     {.ip = "10.1.2.6", .ready = false, .zones = {"zone-a"}}},
       .cluster = {"10.1.2.4", "10.1.2.5"},
       .hasAny = true},
      {.name = "a ready endpoint without hints: no filtering",
       .zone = "zone-a",
       .endpoints = {{.ip = "10.1.2.3", .zones = {"zone-a"}},
                     {.ip = "10.1.2.4", .zones = {"zone-b"}},
                     {.ip = "10.1.2.5"},
                     {.ip = "10.1.2.6", .zones = {"zone-a"}}},
       .cluster = {"10.1.2.3", "10.1.2.4", "10.1.2.5", "10.1.2.6"},
       .hasAny = true},
      {.name = "several zones per endpoint: any endpoint naming this zone",
       .zone = "zone-c",
       .endpoints = {{.ip = "10.1.2.3", .zones = {"zone-a", "zone-b", "zone-c"}},
                     {.ip = "10.1.2.4", .zones = {"zone-b", "zone-c"}},
                     {.ip = "10.1.2.5", .zones = {"zone-b", "zone-d"}},
                     {.ip = "10.1.2.6", .zones = {"zone-c"}}},
       .cluster = {"10.1.2.3", "10.1.2.4", "10.1.2.6"},
       .hasAny = true},
      {.name = "topology and localness disagree",
       .zone = "zone-a",
       .use = kBoth,
       .endpoints = {{.ip = "10.0.0.0", .local = true, .zones = {"zone-a"}},
                     {.ip = "10.0.0.1", .local = true, .zones = {"zone-b"}},
                     {.ip = "10.0.0.2", .zones = {"zone-a"}},
                     {.ip = "10.0.0.3", .zones = {"zone-b"}}},
       .cluster = {"10.0.0.0", "10.0.0.2"},
       .local = {"10.0.0.0", "10.0.0.1"},
       .hasAny = true},
      {.name = "iTP Local, no endpoints", .use = kLocal, .hasAny = false},
      {.name = "iTP Local, all endpoints remote",
       .use = kLocal,
       .endpoints = {{.ip = "10.0.0.0"}, {.ip = "10.0.0.1"}},
       .hasAny = true},
      {.name = "iTP Local, all endpoints local",
       .use = kLocal,
       .endpoints = {{.ip = "10.0.0.0", .local = true}, {.ip = "10.0.0.1", .local = true}},
       .local = {"10.0.0.0", "10.0.0.1"},
       .hasAny = true},
      {.name = "iTP Local, some endpoints local",
       .use = kLocal,
       .endpoints = {{.ip = "10.0.0.0", .local = true}, {.ip = "10.0.0.1"}},
       .local = {"10.0.0.0"},
       .hasAny = true},
      {.name = "Cluster, no endpoint ready or serving",
       .endpoints = {{.ip = "10.0.0.0", .ready = false, .serving = false},
                     {.ip = "10.0.0.1", .ready = false, .serving = false}},
       .hasAny = false},
      {.name = "Cluster, some endpoints ready",
       .endpoints = {{.ip = "10.0.0.0", .ready = false, .serving = false}, {.ip = "10.0.0.1"}},
       .cluster = {"10.0.0.1"},
       .hasAny = true},
      {.name = "Cluster, all endpoints terminating: fall back to serving+terminating",
       .endpoints = {terminatingEp("10.0.0.0", true), terminatingEp("10.0.0.1")},
       .cluster = {"10.0.0.0", "10.0.0.1"},
       .hasAny = true},
      {.name = "iTP Local, eTP Cluster, some endpoints local",
       .use = kBoth,
       .endpoints = {{.ip = "10.0.0.0", .local = true}, {.ip = "10.0.0.1"}},
       .cluster = {"10.0.0.0", "10.0.0.1"},
       .local = {"10.0.0.0"},
       .hasAny = true},
      {.name = "iTP Local, eTP Local, all endpoints remote",
       .use = kBoth,
       .endpoints = {{.ip = "10.0.0.0"}, {.ip = "10.0.0.1"}},
       .cluster = {"10.0.0.0", "10.0.0.1"},
       .hasAny = true},
      {.name = "iTP Local, eTP Local, all endpoints remote and terminating",
       .use = kBoth,
       .endpoints = {terminatingEp("10.0.0.0"), terminatingEp("10.0.0.1")},
       .cluster = {"10.0.0.0", "10.0.0.1"},
       .hasAny = true},
      {.name = "iTP Cluster, eTP Local: ready remote for cluster, terminating local for local",
       .use = kBoth,
       .endpoints = {{.ip = "10.0.0.0"},
                     {.ip = "10.0.0.1", .ready = false, .serving = false, .local = true},
                     terminatingEp("10.0.0.2", true),
                     terminatingEp("10.0.0.3")},
       .cluster = {"10.0.0.0"},
       .local = {"10.0.0.2"},
       .hasAny = true},
      {.name = "local ready endpoints win over local terminating ones",
       .use = kLocal,
       .endpoints = {{.ip = "10.0.0.0", .local = true}, terminatingEp("10.0.0.1", true)},
       .local = {"10.0.0.0"},
       .hasAny = true},
      {.name = "eTP ignored when not externally accessible (cluster set only)",
       .use = kCluster,
       .endpoints = {{.ip = "10.0.0.0"}, {.ip = "10.0.0.1", .local = true}},
       .cluster = {"10.0.0.0", "10.0.0.1"},
       .hasAny = true},
      {.name = "terminating fallback ignores topology",
       .zone = "zone-a",
       .endpoints = {{.ip = "10.0.0.0",
                      .ready = false,
                      .serving = true,
                      .terminating = true,
                      .zones = {"zone-b"}},
                     {.ip = "10.0.0.1",
                      .ready = false,
                      .serving = true,
                      .terminating = true,
                      .zones = {"zone-a"}}},
       .cluster = {"10.0.0.0", "10.0.0.1"},
       .hasAny = true},
  };
  runCases(cases);
}

TEST(CategorizeEndpoints, SameNodeHints) {
  const std::vector<Case> cases = {
      {.name = "every ready endpoint has node hints, one for this node: PreferSameNode",
       .zone = "zone-a",
       .endpoints = {{.ip = "10.0.0.0", .zones = {"zone-a"}, .nodes = {"node-a"}},
                     {.ip = "10.0.0.1", .zones = {"zone-a"}, .nodes = {"node-b"}},
                     {.ip = "10.0.0.2", .zones = {"zone-b"}, .nodes = {"node-c"}}},
       .cluster = {"10.0.0.0"},
       .hasAny = true},
      {.name = "node hints, none for this node: zone hints decide",
       .zone = "zone-a",
       .endpoints = {{.ip = "10.0.0.0", .zones = {"zone-a"}, .nodes = {"node-x"}},
                     {.ip = "10.0.0.1", .zones = {"zone-a"}, .nodes = {"node-b"}},
                     {.ip = "10.0.0.2", .zones = {"zone-b"}, .nodes = {"node-c"}}},
       .cluster = {"10.0.0.0", "10.0.0.1"},
       .hasAny = true},
      {.name = "a ready endpoint without node hints: zone hints decide",
       .zone = "zone-b",
       .endpoints = {{.ip = "10.0.0.0", .zones = {"zone-a"}, .nodes = {"node-a"}},
                     {.ip = "10.0.0.1", .zones = {"zone-b"}}},
       .cluster = {"10.0.0.1"},
       .hasAny = true},
      {.name = "an unready endpoint without node hints does not matter",
       .zone = "zone-a",
       .endpoints = {{.ip = "10.0.0.0", .nodes = {"node-a"}},
                     {.ip = "10.0.0.1", .nodes = {"node-b"}},
                     {.ip = "10.0.0.2", .ready = false}},
       .cluster = {"10.0.0.0"},
       .hasAny = true},
      {.name = "node hints for other nodes, no zone hints: no filtering",
       .zone = "zone-a",
       .endpoints = {{.ip = "10.0.0.0", .nodes = {"node-b"}},
                     {.ip = "10.0.0.1", .nodes = {"node-c"}}},
       .cluster = {"10.0.0.0", "10.0.0.1"},
       .hasAny = true},
      {.name = "node hints do not limit the local set",
       .zone = "zone-a",
       .use = kBoth,
       .endpoints = {{.ip = "10.0.0.0", .local = true, .nodes = {"node-a"}},
                     {.ip = "10.0.0.1", .local = true, .nodes = {"node-b"}},
                     {.ip = "10.0.0.2", .nodes = {"node-c"}}},
       .cluster = {"10.0.0.0"},
       .local = {"10.0.0.0", "10.0.0.1"},
       .hasAny = true},
  };
  runCases(cases);
}

}  // namespace
}  // namespace kpx::test
