#include "proxy/store.h"

#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace kpx {
namespace {

Service service(const std::string& ns, const std::string& name, const std::string& ip) {
  Service s;
  s.meta.namespace_ = ns;
  s.meta.name = name;
  s.clusterIPs = {*IPAddr::parse(ip)};
  return s;
}

TEST(Store, UpsertReplacesAndRemoveForgets) {
  ClusterSnapshot cluster;
  EXPECT_TRUE(upsert(cluster, service("default", "web", "10.96.0.1")));
  EXPECT_TRUE(upsert(cluster, service("other", "web", "10.96.0.2")));
  EXPECT_TRUE(upsert(cluster, service("default", "web", "10.96.0.3")));
  ASSERT_EQ(cluster.services.size(), 2u);
  EXPECT_EQ(cluster.services.at("default/web").clusterIPs[0].str(), "10.96.0.3");

  EndpointSlice slice;
  slice.meta.namespace_ = "default";
  slice.meta.name = "web-abc";
  Node node;
  node.meta.name = "n1";
  EXPECT_EQ(kindOf(Object(slice)), ObjectKind::EndpointSlice);
  EXPECT_EQ(keyOf(Object(node)), "n1");
  upsert(cluster, slice);
  upsert(cluster, node);
  EXPECT_NE(cluster.node("n1"), nullptr);
  EXPECT_EQ(cluster.node("n2"), nullptr);

  EXPECT_TRUE(remove(cluster, ObjectKind::Service, "default/web"));
  EXPECT_FALSE(remove(cluster, ObjectKind::Service, "default/web"));  // already gone: fine
  EXPECT_TRUE(remove(cluster, ObjectKind::EndpointSlice, "default/web-abc"));
  EXPECT_TRUE(remove(cluster, ObjectKind::Node, "n1"));
  EXPECT_EQ(cluster.services.size(), 1u);
  EXPECT_TRUE(cluster.slices.empty());
  EXPECT_TRUE(cluster.nodes.empty());
}

EndpointSlice slice(const std::string& ns, const std::string& name, const std::string& service) {
  EndpointSlice s;
  s.meta.namespace_ = ns;
  s.meta.name = name;
  s.serviceName = service;
  return s;
}

using Index = std::unordered_map<std::string, std::set<std::string>>;

// The service -> slices index follows every upsert and remove, including a slice whose
// service-name label changes; reindex() rebuilds the same from the slices alone.
TEST(Store, SliceIndexFollowsUpsertsAndRemoves) {
  struct Step {
    std::string name;
    std::function<void(ClusterSnapshot&)> apply;
    Index expected;
  };
  const std::vector<Step> steps = {
      {"a slice",
       [](ClusterSnapshot& c) { upsert(c, slice("ns", "web-1", "web")); },
       {{"ns/web", {"ns/web-1"}}}},
      {"a second slice of the same service",
       [](ClusterSnapshot& c) { upsert(c, slice("ns", "web-2", "web")); },
       {{"ns/web", {"ns/web-1", "ns/web-2"}}}},
      {"the same name in another namespace",
       [](ClusterSnapshot& c) { upsert(c, slice("other", "web-1", "web")); },
       {{"ns/web", {"ns/web-1", "ns/web-2"}}, {"other/web", {"other/web-1"}}}},
      {"a slice moving to another service",
       [](ClusterSnapshot& c) { upsert(c, slice("ns", "web-1", "api")); },
       {{"ns/web", {"ns/web-2"}}, {"ns/api", {"ns/web-1"}}, {"other/web", {"other/web-1"}}}},
      {"a slice losing its service name: in no service",
       [](ClusterSnapshot& c) { upsert(c, slice("ns", "web-2", "")); },
       {{"ns/api", {"ns/web-1"}}, {"other/web", {"other/web-1"}}}},
      {"a slice without a service name gaining one",
       [](ClusterSnapshot& c) { upsert(c, slice("ns", "web-2", "web")); },
       {{"ns/web", {"ns/web-2"}}, {"ns/api", {"ns/web-1"}}, {"other/web", {"other/web-1"}}}},
      {"an update keeping the service",
       [](ClusterSnapshot& c) {
         EndpointSlice s = slice("ns", "web-2", "web");
         s.meta.resourceVersion = "2";
         upsert(c, s);
       },
       {{"ns/web", {"ns/web-2"}}, {"ns/api", {"ns/web-1"}}, {"other/web", {"other/web-1"}}}},
      {"a slice removed",
       [](ClusterSnapshot& c) { remove(c, ObjectKind::EndpointSlice, "ns/web-1"); },
       {{"ns/web", {"ns/web-2"}}, {"other/web", {"other/web-1"}}}},
      {"a missing slice removed",
       [](ClusterSnapshot& c) { remove(c, ObjectKind::EndpointSlice, "ns/web-9"); },
       {{"ns/web", {"ns/web-2"}}, {"other/web", {"other/web-1"}}}},
      {"removing a service leaves its slices",
       [](ClusterSnapshot& c) {
         upsert(c, service("ns", "web", "10.96.0.1"));
         remove(c, ObjectKind::Service, "ns/web");
       },
       {{"ns/web", {"ns/web-2"}}, {"other/web", {"other/web-1"}}}},
      {"the last slices removed",
       [](ClusterSnapshot& c) {
         remove(c, ObjectKind::EndpointSlice, "ns/web-2");
         remove(c, ObjectKind::EndpointSlice, "other/web-1");
       },
       {}},
  };
  ClusterSnapshot cluster;
  for (const Step& s : steps) {
    SCOPED_TRACE(s.name);
    s.apply(cluster);
    EXPECT_EQ(cluster.slicesByService, s.expected);
    ClusterSnapshot rebuilt = cluster;
    reindex(rebuilt);
    EXPECT_EQ(rebuilt.slicesByService, s.expected);
    for (const auto& [service, slices] : s.expected)
      EXPECT_EQ(cluster.sliceKeysOf(service), slices);
  }
  EXPECT_TRUE(cluster.sliceKeysOf("ns/web").empty());
}

TEST(Store, KeysSplitAndJoin) {
  EXPECT_EQ(objectKey("ns", "web"), "ns/web");
  EXPECT_EQ(objectKey("", "node-a"), "node-a");
  EXPECT_EQ(splitKey("ns/web"), std::pair(std::string_view("ns"), std::string_view("web")));
  EXPECT_EQ(splitKey("node-a"), std::pair(std::string_view(), std::string_view("node-a")));
  EXPECT_EQ(serviceKeyOf(slice("ns", "web-1", "web")), "ns/web");
  EXPECT_EQ(serviceKeyOf(slice("ns", "web-1", "")), "");
}

}  // namespace
}  // namespace kpx
