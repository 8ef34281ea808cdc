// Legacy v1 Endpoints -> EndpointSlices, and real slices taking precedence over converted ones.
#include "watch/legacy_endpoints.h"

#include <gtest/gtest.h>

#include "watch_test_util.h"

namespace kpx::watch {
namespace {

using testing::dataPath;
using testing::describeErrors;
using testing::findObject;
using testing::objectsOf;
using testing::parseYaml;

TEST(LegacyEndpoints, OneSlicePerSubsetAndFamily) {
  auto loaded = loadManifests(dataPath("legacy-endpoints.yaml"));
  ASSERT_TRUE(loaded) << loaded.error();
  ASSERT_TRUE(loaded->errors.empty()) << describeErrors(loaded->errors);
  const std::vector<EndpointSlice> slices = objectsOf<EndpointSlice>(*loaded);
  ASSERT_EQ(slices.size(), 3u);

  const EndpointSlice v4 = findObject<EndpointSlice>(*loaded, "shop/legacy-db-legacy-0");
  EXPECT_EQ(v4.serviceName, "legacy-db");
  EXPECT_EQ(v4.addressType, AddressType::IPv4);
  EXPECT_EQ(v4.meta.labels.at(std::string(kServiceNameLabel)), "legacy-db");
  EXPECT_FALSE(v4.meta.labels.contains("app"));  // copied, but only the labels kpx reads
  EXPECT_TRUE(isLegacySlice(v4));
  ASSERT_EQ(v4.endpoints.size(), 2u);
  EXPECT_EQ(v4.endpoints[0].address, "10.0.5.10");
  EXPECT_EQ(v4.endpoints[0].conditions,
            (EndpointConditions{.ready = true, .serving = {}, .terminating = {}}));
  EXPECT_EQ(v4.endpoints[0].nodeName, "node-1");
  EXPECT_EQ(v4.endpoints[1].address, "10.0.5.11");
  EXPECT_EQ(v4.endpoints[1].conditions,
            (EndpointConditions{.ready = false, .serving = {}, .terminating = {}}));
  EXPECT_EQ(v4.endpoints[1].nodeName, "node-2");
  ASSERT_EQ(v4.ports.size(), 2u);
  EXPECT_EQ(v4.ports[0], (EndpointPort{.name = "pg", .protocol = Protocol::TCP, .port = 5432}));
  EXPECT_EQ(v4.ports[1],
            (EndpointPort{.name = "metrics", .protocol = Protocol::TCP, .port = 9187}));

  const EndpointSlice v6 = findObject<EndpointSlice>(*loaded, "shop/legacy-db-legacy-1");
  EXPECT_EQ(v6.addressType, AddressType::IPv6);
  ASSERT_EQ(v6.endpoints.size(), 1u);
  EXPECT_EQ(v6.endpoints[0].address, "fd00:5::10");
  EXPECT_EQ(v6.ports, v4.ports);

  const EndpointSlice second = findObject<EndpointSlice>(*loaded, "shop/legacy-db-legacy-2");
  ASSERT_EQ(second.ports.size(), 1u);
  EXPECT_EQ(second.ports[0], (EndpointPort{.name = "", .protocol = Protocol::TCP, .port = 6432}));
}

TEST(LegacyEndpoints, NoSubsetsGiveNoSlices) {
  const ParsedObjects parsed =
      parseYaml("apiVersion: v1\nkind: Endpoints\nmetadata: {name: empty, namespace: ns}\n");
  EXPECT_TRUE(parsed.errors.empty()) << describeErrors(parsed.errors);
  EXPECT_TRUE(parsed.objects.empty());
}

TEST(LegacyEndpoints, InvalidAddressRejectsTheObject) {
  const ParsedObjects parsed = parseYaml(R"(
apiVersion: v1
kind: Endpoints
metadata: {name: bad, namespace: ns}
subsets:
- addresses: [{ip: 10.0.0.1}, {ip: 10.0.0.300}]
  ports: [{port: 80}]
)");
  EXPECT_TRUE(parsed.objects.empty());
  ASSERT_EQ(parsed.errors.size(), 1u) << describeErrors(parsed.errors);
  EXPECT_EQ(parsed.errors[0].kind, "Endpoints");
  EXPECT_EQ(parsed.errors[0].object, "ns/bad");
  EXPECT_EQ(parsed.errors[0].field, "subsets[0].addresses[1].ip");
  EXPECT_EQ(parsed.errors[0].value, "10.0.0.300");
}

Object slice(const std::string& name, const std::string& service, bool legacy) {
  EndpointSlice s;
  s.meta.namespace_ = "ns";
  s.meta.name = name;
  s.serviceName = service;
  if (legacy) s.meta.labels[std::string(kManagedByLabel)] = std::string(kLegacyManagedBy);
  return s;
}

TEST(LegacyEndpoints, RealSlicesShadowConvertedOnes) {
  std::vector<Object> objects = {
      slice("web-legacy-0", "web", true),  // web also has a real slice: dropped
      slice("web-abcde", "web", false),
      slice("db-legacy-0", "db", true),  // only Endpoints for db: kept
      slice("other-legacy-0", "web", true),
  };
  std::get<EndpointSlice>(objects[3]).meta.namespace_ = "elsewhere";  // another namespace: kept
  dropShadowedLegacySlices(objects);
  std::vector<std::string> keys;
  for (const Object& o : objects) keys.push_back(std::get<EndpointSlice>(o).meta.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"ns/web-abcde", "ns/db-legacy-0",
                                            "elsewhere/other-legacy-0"}));
}

TEST(LegacyEndpoints, DumpWithEndpointsAndSlicesKeepsOnlySlices) {
  testing::TempDir dir;
  dir.write("endpoints.yaml", R"(
apiVersion: v1
kind: Endpoints
metadata: {name: web, namespace: shop}
subsets: [{addresses: [{ip: 10.244.1.5}], ports: [{name: http, port: 8080}]}]
)");
  dir.write("slices.yaml", R"(
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-x7k2p, namespace: shop, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: http, port: 8080}]
endpoints: [{addresses: [10.244.1.5], conditions: {ready: true, serving: true}}]
)");
  auto loaded = loadManifests(dir.path());
  ASSERT_TRUE(loaded) << loaded.error();
  ASSERT_EQ(loaded->objects.size(), 1u);
  EXPECT_EQ(metaOf(loaded->objects[0]).name, "web-x7k2p");
}

}  // namespace
}  // namespace kpx::watch
