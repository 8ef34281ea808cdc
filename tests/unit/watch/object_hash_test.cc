// contentHash: equal objects, equal digests; any field changed, another digest. FileSource tells
// changed objects from unchanged ones by it alone.
#include "watch/object_hash.h"

#include <gtest/gtest.h>

#include <functional>

namespace kpx::watch {
namespace {

IPAddr ip(std::string_view text) {
  return *IPAddr::parse(text);
}

Service fullService() {
  Service s;
  s.meta = ObjectMeta{
      .namespace_ = "shop", .name = "web", .resourceVersion = "1", .labels = {{"a", "b"}}};
  s.type = ServiceType::LoadBalancer;
  s.clusterIPs = {ip("10.96.0.1")};
  s.ipFamilies = {IPFamily::V4};
  s.ports = {ServicePort{.name = "http",
                         .protocol = Protocol::TCP,
                         .port = 80,
                         .targetPort = {.value = int32_t{8080}},
                         .nodePort = 30080}};
  s.externalIPs = {ip("192.0.2.1")};
  s.loadBalancerSourceRanges = {*CIDR::parse("10.0.0.0/8")};
  s.loadBalancerIngress = {
      LoadBalancerIngress{.ip = ip("192.0.2.9"), .hostname = "", .ipMode = ""}};
  return s;
}

EndpointSlice fullSlice() {
  EndpointSlice e;
  e.meta.namespace_ = "shop";
  e.meta.name = "web-1";
  e.serviceName = "web";
  e.ports = {EndpointPort{.name = "http", .protocol = Protocol::TCP, .port = 8080}};
  Endpoint endpoint{.address = "10.244.0.5",
                    .conditions = {.ready = true, .serving = {}, .terminating = {}},
                    .nodeName = "node-1",
                    .hints = nullptr};
  endpoint.setHints({"zone-a"}, {});
  e.endpoints = {endpoint};
  return e;
}

TEST(ObjectHash, EqualObjectsEqualDigests) {
  EXPECT_EQ(contentHash(fullService()), contentHash(fullService()));
  EXPECT_EQ(contentHash(fullSlice()), contentHash(fullSlice()));
  EXPECT_EQ(contentHash(Node{}), contentHash(Node{}));
  // The kind counts: an empty Service is not an empty Node.
  EXPECT_NE(contentHash(Service{}), contentHash(Node{}));
}

TEST(ObjectHash, AnyServiceFieldChangesTheDigest) {
  const std::vector<std::function<void(Service&)>> edits = {
      [](Service& s) { s.meta.namespace_ = "shop2"; },
      [](Service& s) { s.meta.name = "web2"; },
      [](Service& s) { s.meta.resourceVersion = "2"; },
      [](Service& s) { s.meta.labels["a"] = "c"; },
      [](Service& s) { s.type = ServiceType::NodePort; },
      [](Service& s) { s.headless = true; },
      [](Service& s) { s.clusterIPs[0] = ip("10.96.0.2"); },
      [](Service& s) { s.ipFamilies.push_back(IPFamily::V6); },
      [](Service& s) { s.ports[0].name = "https"; },
      [](Service& s) { s.ports[0].protocol = Protocol::UDP; },
      [](Service& s) { s.ports[0].port = 81; },
      [](Service& s) { s.ports[0].targetPort.value = std::string("8080"); },
      [](Service& s) { s.ports[0].nodePort = 30081; },
      [](Service& s) { s.externalIPs.clear(); },
      [](Service& s) { s.sessionAffinity = SessionAffinity::ClientIP; },
      [](Service& s) { s.affinityTimeoutSeconds = 60; },
      [](Service& s) { s.externalTrafficPolicy = TrafficPolicy::Local; },
      [](Service& s) { s.internalTrafficPolicy = TrafficPolicy::Local; },
      [](Service& s) { s.healthCheckNodePort = 32000; },
      [](Service& s) { s.loadBalancerSourceRanges[0] = *CIDR::parse("10.0.0.0/9"); },
      [](Service& s) { s.loadBalancerIngress[0].ip.reset(); },
      [](Service& s) { s.loadBalancerIngress[0].hostname = "lb"; },
      [](Service& s) { s.loadBalancerIngress[0].ipMode = "VIP"; },
      [](Service& s) { s.trafficDistribution = "PreferClose"; },
      [](Service& s) { s.externalName = "example.com"; },
  };
  const uint64_t original = contentHash(fullService());
  for (size_t i = 0; i < edits.size(); ++i) {
    Service changed = fullService();
    edits[i](changed);
    ASSERT_NE(changed, fullService()) << "edit " << i;
    EXPECT_NE(contentHash(changed), original) << "edit " << i;
  }
}

TEST(ObjectHash, AnyEndpointSliceFieldChangesTheDigest) {
  const std::vector<std::function<void(EndpointSlice&)>> edits = {
      [](EndpointSlice& e) { e.serviceName = "db"; },
      [](EndpointSlice& e) { e.addressType = AddressType::IPv6; },
      [](EndpointSlice& e) { e.ports[0].name.reset(); },
      [](EndpointSlice& e) { e.ports[0].name = ""; },
      [](EndpointSlice& e) { e.ports[0].protocol = Protocol::SCTP; },
      [](EndpointSlice& e) { e.ports[0].port.reset(); },
      [](EndpointSlice& e) { e.endpoints[0].address = "10.244.0.6"; },
      [](EndpointSlice& e) { e.endpoints[0].conditions.ready.reset(); },
      [](EndpointSlice& e) { e.endpoints[0].conditions.ready = false; },
      [](EndpointSlice& e) { e.endpoints[0].conditions.serving = true; },
      [](EndpointSlice& e) { e.endpoints[0].conditions.terminating = false; },
      [](EndpointSlice& e) { e.endpoints[0].nodeName.clear(); },
      [](EndpointSlice& e) { e.endpoints[0].setHints({}, {}); },
      [](EndpointSlice& e) { e.endpoints[0].setHints({"zone-a"}, {"node-1"}); },
      [](EndpointSlice& e) { e.endpoints.push_back(e.endpoints[0]); },
  };
  const uint64_t original = contentHash(fullSlice());
  for (size_t i = 0; i < edits.size(); ++i) {
    EndpointSlice changed = fullSlice();
    edits[i](changed);
    ASSERT_NE(changed, fullSlice()) << "edit " << i;
    EXPECT_NE(contentHash(changed), original) << "edit " << i;
  }
}

TEST(ObjectHash, NodeFieldsAndStringBoundaries) {
  Node a;
  a.meta.name = "node-1";
  Node b = a;
  b.addresses = {NodeAddress{.type = "InternalIP", .address = "10.0.0.1"}};
  Node c = a;
  c.podCIDRs = {*CIDR::parse("10.244.0.0/24")};
  Node f = a;
  f.deleting = true;
  Node g = a;
  g.taintKeys = {"ToBeDeletedByClusterAutoscaler"};
  EXPECT_NE(contentHash(a), contentHash(b));
  EXPECT_NE(contentHash(a), contentHash(c));
  EXPECT_NE(contentHash(a), contentHash(f));
  EXPECT_NE(contentHash(a), contentHash(g));
  // Lengths are part of the digest: ("ab", "c") is not ("a", "bc").
  Node d = a, e = a;
  d.addresses = {NodeAddress{.type = "ab", .address = "c"}};
  e.addresses = {NodeAddress{.type = "a", .address = "bc"}};
  EXPECT_NE(contentHash(d), contentHash(e));
}

// object_hash.cc hashes every field of the model by name. A field added there and not hashed
// would make FileSource miss changes to it: when a size below changes, add the new field to
// object_hash.cc (and to the tests above), then update the size.
TEST(ObjectHash, ModelLayoutIsTheOneHashed) {
#if defined(__GLIBCXX__) && __SIZEOF_POINTER__ == 8
  EXPECT_EQ(sizeof(ObjectMeta), 144u);
  EXPECT_EQ(sizeof(Service), 376u);
  EXPECT_EQ(sizeof(ServicePort), 88u);
  EXPECT_EQ(sizeof(IntOrString), 40u);
  EXPECT_EQ(sizeof(LoadBalancerIngress), 88u);
  EXPECT_EQ(sizeof(EndpointSlice), 232u);
  EXPECT_EQ(sizeof(EndpointPort), 48u);
  EXPECT_EQ(sizeof(Endpoint), 88u);
  EXPECT_EQ(sizeof(EndpointConditions), 6u);
  EXPECT_EQ(sizeof(Node), 224u);
  EXPECT_EQ(sizeof(NodeAddress), 64u);
#else
  GTEST_SKIP() << "sizes are those of 64-bit libstdc++";
#endif
}

}  // namespace
}  // namespace kpx::watch
