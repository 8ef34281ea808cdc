#include "proxy/store.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace kpx
