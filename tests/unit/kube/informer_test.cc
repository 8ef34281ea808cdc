// The informer's protocol against a scripted transport: what it requests, what the sink sees,
// when it sleeps. No network, no sleeping.
#include "watch/kube/informer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kube_test_util.h"

namespace kpx::watch {
namespace {

using namespace testing;  // NOLINT: the doubles of kube_test_util.h
using ::testing::HasSubstr;

class InformerTest : public ::testing::Test {
 protected:
  InformerTest() { script_->stopWhenDone = &stop_; }

  void add(HttpResult result, std::vector<std::string> chunks = {}) {
    script_->steps.push_back(
        Step{.result = std::move(result), .chunks = std::move(chunks), .blockUntilStopped = false});
  }

  // Runs until the script is used up (the client then requests stop).
  void run(ResourceSpec resource = servicesResource(), InformerOptions options = {}) {
    Informer informer(
        std::move(resource), std::make_unique<ScriptedHttpClient>(script_), clock_,
        [this] { return random_; }, options);
    informer.run(sink_, stop_.get_token());
    stats_ = informer.stats();
  }

  const std::vector<std::string>& targets() const { return script_->targets; }

  std::stop_source stop_;
  std::shared_ptr<Script> script_ = std::make_shared<Script>();
  RecordingClock clock_{&stop_};
  double random_ = 0.0;
  RecordingSink sink_;
  InformerStats stats_;
};

TEST_F(InformerTest, ListsEveryPageThenWatchesFromTheListVersion) {
  add(ok(list({service("a", "10"), service("b", "11")}, "20", "page2")));
  add(ok(list({service("c", "12")}, "20")));
  add(ok(), {event("ADDED", service("d", "21"))});
  random_ = 0.5;
  run();
  ASSERT_EQ(targets().size(), 4u);  // two pages, the watch, then the next watch (script empty)
  EXPECT_THAT(targets()[0], HasSubstr("/api/v1/services?limit=500&labelSelector="));
  EXPECT_THAT(targets()[1], HasSubstr("limit=500&continue=page2&labelSelector="));
  EXPECT_EQ(targets()[2],
            "/api/v1/services?watch=true&resourceVersion=20&allowWatchBookmarks=true"
            "&timeoutSeconds=450&labelSelector=%21service.kubernetes.io%2Fservice-proxy-name");
  EXPECT_THAT(targets()[3], HasSubstr("resourceVersion=21&"));
  EXPECT_EQ(sink_.calls(),
            (std::vector<std::string>{"upsert Service default/a 10", "upsert Service default/b 11",
                                      "upsert Service default/c 12", "synced",
                                      "upsert Service default/d 21"}));
  EXPECT_EQ(stats_.lists, 1u);
}

TEST_F(InformerTest, WatchTimeoutIsBetweenFiveAndTenMinutes) {
  for (double r : {0.0, 0.999}) {
    script_->steps.clear();
    script_->targets.clear();
    stop_ = std::stop_source();
    script_->stopWhenDone = &stop_;
    add(ok(list({}, "1")));
    random_ = r;
    run();
    ASSERT_GE(targets().size(), 2u);
    EXPECT_THAT(targets()[1], HasSubstr(r == 0.0 ? "timeoutSeconds=300&" : "timeoutSeconds=599&"));
  }
}

TEST_F(InformerTest, AppliesAddModifyDeleteAndBookmarks) {
  add(ok(list({service("a", "10")}, "10")));
  add(ok(), {event("MODIFIED", service("a", "11")) + event("ADDED", service("b", "12")),
             event("DELETED", service("a", "13")) + bookmark("40")});
  run();
  EXPECT_EQ(sink_.calls(),
            (std::vector<std::string>{"upsert Service default/a 10", "synced",
                                      "upsert Service default/a 11", "upsert Service default/b 12",
                                      "remove Service default/a"}));
  ASSERT_EQ(targets().size(), 3u);
  EXPECT_THAT(targets()[2], HasSubstr("resourceVersion=40&"));  // resumes after the bookmark
  EXPECT_TRUE(clock_.sleeps().empty());  // a healthy stream that ends: straight back
}

TEST_F(InformerTest, DeleteOfAnUnknownObjectIsNotForwarded) {
  add(ok(list({}, "10")));
  add(ok(), {event("DELETED", service("ghost", "11"))});
  run();
  EXPECT_EQ(sink_.calls(), (std::vector<std::string>{"synced"}));
}

TEST_F(InformerTest, ExpiredContinueTokenFallsBackToOneFullList) {
  add(ok(list({service("a", "10")}, "20", "page2")));
  add(httpStatus(410, statusBody(410, "Expired", "The provided continue parameter is too old")));
  add(ok(list({service("a", "10"), service("b", "30")}, "31")));
  run();
  ASSERT_GE(targets().size(), 4u);
  EXPECT_THAT(targets()[1], HasSubstr("continue=page2"));
  EXPECT_THAT(targets()[2], ::testing::Not(HasSubstr("limit=")));
  EXPECT_THAT(targets()[2], ::testing::Not(HasSubstr("continue=")));
  EXPECT_THAT(targets()[3], HasSubstr("watch=true&resourceVersion=31&"));
  // a is unchanged since page 1: not sent again.
  EXPECT_EQ(sink_.calls(), (std::vector<std::string>{"upsert Service default/a 10",
                                                     "upsert Service default/b 30", "synced"}));
}

TEST_F(InformerTest, GoneStatusRelistsAndRemovesWhatVanished) {
  add(ok(list({service("a", "10"), service("b", "11"), service("c", "12")}, "12")));
  add(ok(), {bookmark("13")});
  add(httpStatus(410, statusBody(410, "Expired", "too old resource version: 12 (100)")));
  add(ok(list({service("b", "11"), service("c", "50"), service("d", "60")}, "100")));
  run();
  EXPECT_EQ(sink_.calls(),
            (std::vector<std::string>{"upsert Service default/a 10", "upsert Service default/b 11",
                                      "upsert Service default/c 12", "synced",
                                      // the relist: only what changed, once synced
                                      "upsert Service default/c 50", "upsert Service default/d 60",
                                      "remove Service default/a"}));
  EXPECT_TRUE(clock_.sleeps().empty());  // 410 after a stream: relist at once
  EXPECT_EQ(stats_.lists, 2u);
}

TEST_F(InformerTest, ErrorEvent410Relists) {
  add(ok(list({service("a", "10")}, "10")));
  add(ok(),
      {event("MODIFIED", service("a", "11")),
       event("ERROR",
             {{"kind", "Status"}, {"code", 410}, {"reason", "Expired"}, {"message", "too old"}}) +
           event("ADDED", service("never", "12"))});
  add(ok(list({}, "200")));
  run();
  EXPECT_EQ(sink_.calls(),
            (std::vector<std::string>{"upsert Service default/a 10", "synced",
                                      "upsert Service default/a 11", "remove Service default/a"}));
  ASSERT_GE(targets().size(), 4u);
  EXPECT_THAT(targets()[2], HasSubstr("limit=500"));
  EXPECT_THAT(targets()[3], HasSubstr("resourceVersion=200&"));
}

TEST_F(InformerTest, RepeatedExpiryRightAfterAListBacksOff) {
  add(ok(list({}, "10")));
  add(httpStatus(410, statusBody(410, "Expired", "gone")));
  add(ok(list({}, "11")));
  add(httpStatus(410, statusBody(410, "Expired", "gone")));
  run();
  EXPECT_EQ(clock_.sleeps().size(), 2u);  // never a tight list/410 loop
}

TEST_F(InformerTest, OtherErrorEventRelistsAfterBackoff) {
  add(ok(list({}, "10")));
  add(ok(), {event("ERROR", {{"kind", "Status"}, {"code", 500}, {"message", "etcd down"}})});
  add(ok(list({}, "11")));
  run();
  EXPECT_EQ(clock_.sleeps(), (std::vector<int64_t>{800}));
  EXPECT_THAT(targets()[2], HasSubstr("limit=500"));
}

TEST_F(InformerTest, InvalidObjectIsReportedAndTheStreamGoesOn) {
  add(ok(list({service("a", "10"), service("bad", "11", 70000)}, "11")));
  add(ok(), {event("ADDED", service("worse", "12", 0)) + event("ADDED", service("b", "13"))});
  run();
  EXPECT_EQ(sink_.calls(),
            (std::vector<std::string>{"upsert Service default/a 10", "invalid Service default/bad",
                                      "synced", "invalid Service default/worse",
                                      "upsert Service default/b 13"}));
  ASSERT_FALSE(sink_.errors().empty());
  EXPECT_EQ(sink_.errors()[0].origin, "watch services");
  EXPECT_THAT(targets().back(), HasSubstr("resourceVersion=13&"));
}

TEST_F(InformerTest, ObjectThatTurnsInvalidIsDropped) {
  add(ok(list({service("a", "10")}, "10")));
  add(ok(), {event("MODIFIED", service("a", "11", 70000))});
  run();
  EXPECT_EQ(sink_.calls(),
            (std::vector<std::string>{"upsert Service default/a 10", "synced",
                                      "invalid Service default/a", "remove Service default/a"}));
}

TEST_F(InformerTest, MalformedLineReconnectsFromTheLastAppliedVersion) {
  add(ok(list({}, "10")));
  add(ok(),
      {event("ADDED", service("a", "11")) + "{garbage\n" + event("ADDED", service("b", "12"))});
  add(ok(), {event("ADDED", service("b", "12"))});
  run();
  EXPECT_EQ(sink_.calls(), (std::vector<std::string>{"synced", "upsert Service default/a 11",
                                                     "upsert Service default/b 12"}));
  ASSERT_EQ(targets().size(), 4u);
  EXPECT_THAT(targets()[2], HasSubstr("resourceVersion=11&"));
  // The broken stream had delivered an event: backoff starts over at its initial delay.
  EXPECT_EQ(clock_.sleeps(), (std::vector<int64_t>{800}));
}

TEST_F(InformerTest, StreamCutMidEventReconnects) {
  const std::string whole = event("ADDED", service("b", "12"));
  add(ok(list({}, "10")));
  add(failed(HttpResult::End::Failed, "transfer closed with outstanding read data"),
      {event("ADDED", service("a", "11")) + whole.substr(0, whole.size() / 2)});
  add(ok(), {whole.substr(0, 20), whole.substr(20)});  // cut at the HTTP level but whole
  add(ok(), {whole.substr(0, 20)});                    // a clean close in the middle of a line
  run();
  EXPECT_EQ(sink_.calls(), (std::vector<std::string>{"synced", "upsert Service default/a 11",
                                                     "upsert Service default/b 12"}));
  EXPECT_THAT(targets()[2], HasSubstr("resourceVersion=11&"));
  EXPECT_THAT(targets()[3], HasSubstr("resourceVersion=12&"));
  EXPECT_THAT(targets()[4], HasSubstr("resourceVersion=12&"));
  EXPECT_EQ(clock_.sleeps().size(), 2u);  // after the cut stream and after the half line
}

TEST_F(InformerTest, BackoffGrowsOnFailuresAndResetsAfterAHealthyStream) {
  add(httpStatus(500, statusBody(500, "InternalError", "boom")));
  add(failed(HttpResult::End::Failed, "Couldn't connect to server"));
  add(httpStatus(503, "unavailable"));
  add(ok(list({}, "10")));
  add(failed(HttpResult::End::Stalled, "no data for 180000 ms"));
  add(httpStatus(500, statusBody(500, "InternalError", "boom")));
  add(failed(HttpResult::End::Failed, "reset"), {bookmark("11")});
  add(failed(HttpResult::End::Failed, "reset"));
  run();
  EXPECT_EQ(sink_.count("synced"), 1u);
  // list x3, then watch: stalled, 500, a healthy stream (reset), a failure.
  EXPECT_EQ(clock_.sleeps(), (std::vector<int64_t>{800, 1600, 3200, 6400, 12800, 800, 1600}));
  EXPECT_THAT(targets().back(), HasSubstr("resourceVersion=11&"));
}

TEST_F(InformerTest, ForbiddenNamesTheMissingRbacRuleAndRetries) {
  add(httpStatus(403, statusBody(403, "Forbidden",
                                 "endpointslices.discovery.k8s.io is forbidden: User \"kpx\" "
                                 "cannot list resource \"endpointslices\"")));
  add(httpStatus(401, statusBody(401, "Unauthorized", "Unauthorized")));
  add(ok(list({}, "5")));
  ::testing::internal::CaptureStderr();
  run(endpointSlicesResource());
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(log, HasSubstr("kpx needs RBAC: list,watch on endpointslices (apiGroup "
                             "\"discovery.k8s.io\")"));
  EXPECT_THAT(log, HasSubstr("cannot list resource \"endpointslices\""));
  EXPECT_THAT(log, HasSubstr("rejected kpx's credentials (401 Unauthorized)"));
  EXPECT_EQ(clock_.sleeps(), (std::vector<int64_t>{800, 1600}));
  EXPECT_EQ(sink_.count("synced"), 1u);
}

TEST_F(InformerTest, EmptyStreamThatEndsBacksOff) {
  add(ok(list({}, "5")));
  add(ok());
  add(ok());
  run();
  EXPECT_EQ(clock_.sleeps(), (std::vector<int64_t>{800, 1600}));
}

TEST_F(InformerTest, ListThatIsNotAListFails) {
  add(ok("<html>proxy login</html>"));
  add(ok(R"({"kind":"ServiceList","items":{"a":1}})"));
  add(ok(list({}, "5")));
  run();
  EXPECT_EQ(clock_.sleeps(), (std::vector<int64_t>{800, 1600}));
  EXPECT_EQ(sink_.count("synced"), 1u);
}

TEST_F(InformerTest, NullItemsIsAnEmptyList) {
  add(ok(R"({"kind":"NodeList","metadata":{"resourceVersion":"3"},"items":null})"));
  run(nodesResource("n1"));
  EXPECT_EQ(sink_.calls(), (std::vector<std::string>{"synced"}));
  EXPECT_EQ(targets()[0], "/api/v1/nodes?limit=500&fieldSelector=metadata.name%3Dn1");
  EXPECT_THAT(targets()[1], HasSubstr("resourceVersion=3&"));
}

TEST_F(InformerTest, NodesAreKeyedByName) {
  const nlohmann::json node = {
      {"metadata", {{"name", "n1"}, {"resourceVersion", "7"}}},
      {"status", {{"addresses", {{{"type", "InternalIP"}, {"address", "10.0.0.5"}}}}}}};
  add(ok(list({node}, "7")));
  add(ok(), {event("DELETED", node)});
  run(nodesResource("n1"));
  EXPECT_EQ(sink_.calls(),
            (std::vector<std::string>{"upsert Node n1 7", "synced", "remove Node n1"}));
}

TEST_F(InformerTest, StopDuringBackoffReturns) {
  RecordingClock stopping(&stop_, 1);  // the first sleep requests stop
  add(httpStatus(500));
  Informer informer(servicesResource(), std::make_unique<ScriptedHttpClient>(script_), stopping,
                    [] { return 0.0; });
  informer.run(sink_, stop_.get_token());
  EXPECT_EQ(stopping.sleeps().size(), 1u);
  EXPECT_EQ(targets().size(), 1u);
  EXPECT_TRUE(sink_.calls().empty());
}

}  // namespace
}  // namespace kpx::watch
