#include "watch/kube/resource.h"

#include <gtest/gtest.h>

namespace kpx::watch {
namespace {

TEST(Resource, ServicesAsKubeProxyWatchesThem) {
  const ResourceSpec services = servicesResource();
  EXPECT_EQ(services.collectionPath(), "/api/v1/services");
  EXPECT_EQ(
      listTarget(services, 500, ""),
      "/api/v1/services?limit=500&labelSelector=%21service.kubernetes.io%2Fservice-proxy-name");
  EXPECT_EQ(watchTarget(services, "1234", 317),
            "/api/v1/services?watch=true&resourceVersion=1234&allowWatchBookmarks=true"
            "&timeoutSeconds=317&labelSelector=%21service.kubernetes.io%2Fservice-proxy-name");
}

TEST(Resource, EndpointSlicesSkipHeadlessAndOtherProxies) {
  const ResourceSpec slices = endpointSlicesResource();
  EXPECT_EQ(slices.collectionPath(), "/apis/discovery.k8s.io/v1/endpointslices");
  EXPECT_EQ(slices.labelSelector,
            "!service.kubernetes.io/headless,!service.kubernetes.io/service-proxy-name");
  EXPECT_EQ(listTarget(slices, 500, "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MTB9"),
            "/apis/discovery.k8s.io/v1/endpointslices?limit=500"
            "&continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MTB9"
            "&labelSelector=%21service.kubernetes.io%2Fheadless%2C%21service.kubernetes.io%2F"
            "service-proxy-name");
  EXPECT_EQ(slices.qualifiedName(), "endpointslices.discovery.k8s.io");
}

TEST(Resource, OnlyThisNode) {
  const ResourceSpec nodes = nodesResource("worker-1");
  EXPECT_EQ(listTarget(nodes, 0, ""), "/api/v1/nodes?fieldSelector=metadata.name%3Dworker-1");
  EXPECT_EQ(watchTarget(nodes, "", 0),
            "/api/v1/nodes?watch=true&allowWatchBookmarks=true"
            "&fieldSelector=metadata.name%3Dworker-1");
}

TEST(Resource, QueryEscapeAsGo) {
  EXPECT_EQ(queryEscape("a b/c~d_e.f-g"), "a+b%2Fc~d_e.f-g");
  EXPECT_EQ(queryEscape("k!=v,x=y"), "k%21%3Dv%2Cx%3Dy");
  EXPECT_EQ(queryEscape("\xc3\xa9+&="), "%C3%A9%2B%26%3D");
}

TEST(Resource, RbacRuleNamesVerbsResourceAndGroup) {
  EXPECT_EQ(rbacRule(servicesResource()), "list,watch on services (apiGroup \"\")");
  EXPECT_EQ(rbacRule(endpointSlicesResource()),
            "list,watch on endpointslices (apiGroup \"discovery.k8s.io\")");
  EXPECT_EQ(rbacRule(nodesResource("n")), "list,watch on nodes (apiGroup \"\")");
}

}  // namespace
}  // namespace kpx::watch
