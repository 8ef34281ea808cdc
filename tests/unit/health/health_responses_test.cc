#include "proxy/health/health_responses.h"

#include <gtest/gtest.h>

#include "proxy/health/clock.h"
#include "proxy/health/go_json.h"
#include "proxy/health/node_eligibility.h"

namespace kpx::health {
namespace {

using namespace std::chrono_literals;
using std::chrono::system_clock;

system_clock::time_point at(int64_t unixSeconds, int64_t nanos = 0) {
  return system_clock::time_point(std::chrono::duration_cast<system_clock::duration>(
      std::chrono::seconds(unixSeconds) + std::chrono::nanoseconds(nanos)));
}

TEST(GoTime, RFC3339NanoTrimsTrailingZeros) {
  EXPECT_EQ(formatRFC3339Nano(at(1714557600)), "2024-05-01T10:00:00Z");
  EXPECT_EQ(formatRFC3339Nano(at(1714557600, 500'000'000)), "2024-05-01T10:00:00.5Z");
  EXPECT_EQ(formatRFC3339Nano(at(1714557600, 123'456'789)), "2024-05-01T10:00:00.123456789Z");
  EXPECT_EQ(formatRFC3339Nano(at(1714557600, 1'000)), "2024-05-01T10:00:00.000001Z");
  EXPECT_EQ(formatRFC3339Nano(at(0)), "1970-01-01T00:00:00Z");
  EXPECT_EQ(formatRFC3339Nano(at(-1, 250'000'000)), "1969-12-31T23:59:59.25Z");
  EXPECT_EQ(formatRFC3339Nano(std::nullopt), "0001-01-01T00:00:00Z");
}

TEST(GoJson, QuoteEscapesAsEncodingJson) {
  EXPECT_EQ(jsonQuote("plain"), "\"plain\"");
  EXPECT_EQ(jsonQuote("a\"b\\c\n\t\x01"), "\"a\\\"b\\\\c\\n\\t\\u0001\"");
  EXPECT_EQ(jsonQuote("<&>"), "\"\\u003c\\u0026\\u003e\"");
}

class HealthzTest : public ::testing::Test {
 protected:
  ManualClock clock;
  ProxierHealth health{60s};
};

TEST_F(HealthzTest, HealthyBodyReportsNowAsLastUpdated) {
  health.updated(IPFamily::V4, instantOf(clock));
  const auto syncedAt = formatRFC3339Nano(clock.wallNow());
  clock.advance(1500ms);
  const HttpResponse r = healthzResponse(health, instantOf(clock));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(
      r.body,
      "{\"lastUpdated\":\"2024-05-01T10:00:01.5Z\",\"currentTime\":\"2024-05-01T10:00:01.5Z\","
      "\"nodeEligible\":true,\"healthy\":true,\"status\":{\"IPv4\":{\"lastUpdated\":\"" +
          syncedAt + "\",\"healthy\":true}}}");
  ASSERT_NE(r.header("Content-Type"), nullptr);
  EXPECT_EQ(*r.header("Content-Type"), "application/json");
  EXPECT_EQ(*r.header("X-Content-Type-Options"), "nosniff");
}

TEST_F(HealthzTest, StartingUpHasNoStatusAndZeroLastUpdatedOnlyWhenUnhealthy) {
  const HttpResponse r = livezResponse(health, instantOf(clock));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body,
            "{\"lastUpdated\":\"2024-05-01T10:00:00Z\",\"currentTime\":\"2024-05-01T10:00:00Z\","
            "\"healthy\":true}");
  health.setNodeEligible(false);
  const HttpResponse h = healthzResponse(health, instantOf(clock));
  EXPECT_EQ(h.status, 503);
  EXPECT_EQ(h.body,
            "{\"lastUpdated\":\"0001-01-01T00:00:00Z\",\"currentTime\":\"2024-05-01T10:00:00Z\","
            "\"nodeEligible\":false,\"healthy\":true}");
}

TEST_F(HealthzTest, LateUpdateIs503OnBothAndKeepsTheRealLastUpdated) {
  health.updated(IPFamily::V4, instantOf(clock));
  health.updated(IPFamily::V6, instantOf(clock));
  health.queuedUpdate(IPFamily::V6, instantOf(clock));
  clock.advance(2min);
  const HttpResponse h = healthzResponse(health, instantOf(clock));
  const HttpResponse l = livezResponse(health, instantOf(clock));
  EXPECT_EQ(h.status, 503);
  EXPECT_EQ(l.status, 503);
  EXPECT_EQ(h.body,
            "{\"lastUpdated\":\"2024-05-01T10:00:00Z\",\"currentTime\":\"2024-05-01T10:02:00Z\","
            "\"nodeEligible\":true,\"healthy\":false,\"status\":{"
            "\"IPv4\":{\"lastUpdated\":\"2024-05-01T10:00:00Z\",\"healthy\":true},"
            "\"IPv6\":{\"lastUpdated\":\"2024-05-01T10:00:00Z\",\"healthy\":false}}}");
  EXPECT_EQ(l.body.find("nodeEligible"), std::string::npos);
}

TEST_F(HealthzTest, IneligibleNodeFailsHealthzButNotLivez) {
  health.updated(IPFamily::V4, instantOf(clock));
  health.setNodeEligible(false);
  EXPECT_EQ(healthzResponse(health, instantOf(clock)).status, 503);
  EXPECT_EQ(livezResponse(health, instantOf(clock)).status, 200);
  health.setNodeEligible(true);
  EXPECT_EQ(healthzResponse(health, instantOf(clock)).status, 200);
}

TEST_F(HealthzTest, NodeBeingDeletedFailsHealthzWithItsBodyAndLivezStaysUp) {
  health.updated(IPFamily::V4, instantOf(clock));
  Node node;
  node.meta.name = "node-1";
  node.deleting = true;
  health.setNodeEligible(nodeEligible(node));
  const HttpResponse h = healthzResponse(health, instantOf(clock));
  EXPECT_EQ(h.status, 503);
  // The proxier itself is healthy: "healthy" stays true, only nodeEligible says why, and
  // lastUpdated is the real last sync (upstream rewrites it to now only on 200).
  EXPECT_EQ(h.body,
            "{\"lastUpdated\":\"2024-05-01T10:00:00Z\",\"currentTime\":\"2024-05-01T10:00:00Z\","
            "\"nodeEligible\":false,\"healthy\":true,\"status\":{"
            "\"IPv4\":{\"lastUpdated\":\"2024-05-01T10:00:00Z\",\"healthy\":true}}}");
  const HttpResponse l = livezResponse(health, instantOf(clock));
  EXPECT_EQ(l.status, 200);
  EXPECT_EQ(l.body.find("nodeEligible"), std::string::npos);

  node.deleting = false;
  node.taintKeys = {"ToBeDeletedByClusterAutoscaler"};
  health.setNodeEligible(nodeEligible(node));
  EXPECT_EQ(healthzResponse(health, instantOf(clock)).status, 503);
  node.taintKeys.clear();
  health.setNodeEligible(nodeEligible(node));
  EXPECT_EQ(healthzResponse(health, instantOf(clock)).status, 200);
}

TEST(ServiceHealthResponse, BodyHeadersAndStatusAsUpstream) {
  const ServiceName web{"default", "web"};
  const HttpResponse ok = serviceHealthResponse(web, 2, true);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body,
            "{\n"
            "\t\"service\": {\n"
            "\t\t\"namespace\": \"default\",\n"
            "\t\t\"name\": \"web\"\n"
            "\t},\n"
            "\t\"localEndpoints\": 2,\n"
            "\t\"serviceProxyHealthy\": true\n"
            "}");
  EXPECT_EQ(*ok.header("Content-Type"), "application/json");
  EXPECT_EQ(*ok.header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(*ok.header("X-Load-Balancing-Endpoint-Weight"), "2");

  const HttpResponse none = serviceHealthResponse(web, 0, true);
  EXPECT_EQ(none.status, 503);
  EXPECT_EQ(*none.header("X-Load-Balancing-Endpoint-Weight"), "0");
  EXPECT_NE(none.body.find("\"localEndpoints\": 0,"), std::string::npos);

  const HttpResponse sick = serviceHealthResponse(web, 3, false);
  EXPECT_EQ(sick.status, 503);
  EXPECT_NE(sick.body.find("\"serviceProxyHealthy\": false\n}"), std::string::npos);
}

}  // namespace
}  // namespace kpx::health
