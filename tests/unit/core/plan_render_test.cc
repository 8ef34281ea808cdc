#include "proxy/plan_render.h"

#include <gtest/gtest.h>

namespace kpx {
namespace {

ProxyState sampleState() {
  ProxyState state;
  state.global.localTrafficCIDRs = {*CIDR::parse("10.244.0.0/16")};
  ServicePortState sp;
  sp.key = {"default", "web", "http", Protocol::TCP, IPFamily::V4};
  sp.type = ServiceType::NodePort;
  sp.clusterIP = *IPAddr::parse("10.96.0.10");
  sp.port = 80;
  sp.nodePort = 30080;
  sp.internal.endpoints = {{*IPAddr::parse("10.244.0.11"), 8080, true, true, false, true},
                           {*IPAddr::parse("10.244.0.12"), 8080, false, true, true, false}};
  sp.external.endpoints = sp.internal.endpoints;
  state.servicePorts[sp.key] = sp;

  ServicePortState v6;
  v6.key = {"default", "sticky", "", Protocol::UDP, IPFamily::V6};
  v6.clusterIP = *IPAddr::parse("fd00::20");
  v6.port = 53;
  v6.affinityTimeoutSeconds = 600;
  v6.internal.ifEmpty = EmptyAction::Reject;
  state.servicePorts[v6.key] = v6;
  return state;
}

TEST(PlanRender, TableShowsOneRowPerServicePort) {
  const std::string out = renderPlanTable(sampleState());
  EXPECT_NE(out.find("SERVICE"), std::string::npos);
  EXPECT_NE(out.find("default/web:http"), std::string::npos);
  EXPECT_NE(out.find("10.96.0.10:80(cluster)"), std::string::npos);
  EXPECT_NE(out.find("*:30080(nodeport)"), std::string::npos);
  EXPECT_NE(out.find("Cluster: 10.244.0.11:8080,10.244.0.12:8080(terminating)"),
            std::string::npos);
  EXPECT_NE(out.find("[fd00::20]:53(cluster)"), std::string::npos);
  EXPECT_NE(out.find("Cluster: REJECT"), std::string::npos);
  EXPECT_NE(out.find("ClientIP 600s"), std::string::npos);
  EXPECT_NE(out.find("2 service ports"), std::string::npos);
  EXPECT_NE(out.find("10.244.0.0/16"), std::string::npos);
}

TEST(PlanRender, JsonCarriesEveryDecision) {
  const auto j = planToJson(sampleState());
  ASSERT_EQ(j["servicePorts"].size(), 2u);
  // Keys sort by namespace, name, port: sticky before web.
  const auto& sticky = j["servicePorts"][0];
  const auto& web = j["servicePorts"][1];
  EXPECT_EQ(web["name"], "default/web:http");
  EXPECT_EQ(web["nodePort"], 30080);
  EXPECT_EQ(web["internal"]["endpoints"].size(), 2u);
  EXPECT_EQ(web["internal"]["endpoints"][1]["terminating"], true);
  EXPECT_EQ(web["external"]["policy"], "Cluster");
  EXPECT_EQ(sticky["family"], "IPv6");
  EXPECT_EQ(sticky["protocol"], "UDP");
  EXPECT_EQ(sticky["internal"]["ifEmpty"], "reject");
  EXPECT_TRUE(sticky["external"].is_null());  // not externally accessible
  EXPECT_EQ(sticky["sessionAffinity"]["timeoutSeconds"], 600);
  EXPECT_EQ(j["global"]["nodePortAddresses"], "all");
}

}  // namespace
}  // namespace kpx
