// KubeSource's threading: three informers, one serialized sink, synced() exactly once after the
// last first list, and a return on stop, even from a long backoff. No test sleeps: the backoff
// is recorded, not slept, or a stop is requested once a real sleep has begun.
#include "watch/kube/kube_source.h"

#include <gtest/gtest.h>

#include <future>

#include "kube_test_util.h"
#include "tests/unit/waiting.h"

namespace kpx::watch {
namespace {

using namespace testing;  // NOLINT: the doubles of kube_test_util.h
using std::chrono::milliseconds;

Step listStep(std::string body) {
  return Step{.result = ok(std::move(body)), .chunks = {}, .blockUntilStopped = false};
}
Step failStep(int64_t status) {
  return Step{.result = httpStatus(status, statusBody(static_cast<int>(status), "x", "down")),
              .chunks = {},
              .blockUntilStopped = false};
}
Step idleWatch(std::vector<std::string> chunks = {}) {
  return Step{.result = ok(), .chunks = std::move(chunks), .blockUntilStopped = true};
}

nlohmann::json slice(const std::string& name, const std::string& rv) {
  return {{"metadata",
           {{"name", name},
            {"namespace", "default"},
            {"resourceVersion", rv},
            {"labels", {{"kubernetes.io/service-name", "a"}}}}},
          {"addressType", "IPv4"},
          {"ports", {{{"port", 8080}, {"protocol", "TCP"}}}},
          {"endpoints", {{{"addresses", {"10.244.1.5"}}}}}};
}

nlohmann::json node(const std::string& name, const std::string& rv) {
  return {{"metadata", {{"name", name}, {"resourceVersion", rv}}}};
}

class KubeSourceTest : public ::testing::Test {
 protected:
  KubeSource::ClientFactory factory() {
    return [this]() -> HttpClientPtr {
      auto script = std::make_shared<Script>();
      scripts_.push_back(script);
      const size_t i = scripts_.size() - 1;
      for (Step& step : steps_.at(i)) script->steps.push_back(std::move(step));
      return std::make_unique<ScriptedHttpClient>(script);
    };
  }

  KubeSourceOptions options(std::string nodeName = "n1") {
    KubeSourceOptions o;
    o.nodeName = std::move(nodeName);
    o.informer.backoff.initial = milliseconds(1);
    return o;
  }

  // Runs the source on a thread until `until` is recorded, then stops it: run() must return
  // (the idle watches block until the stop; a failure timeout turns a hang into a failure).
  void runUntil(KubeSource& source, const std::string& until) {
    std::stop_source stop;
    auto returned = std::async(std::launch::async, [&] { source.run(sink_, stop.get_token()); });
    EXPECT_TRUE(sink_.waitFor(until, kpx::test::kFailAfter)) << until;
    stop.request_stop();
    kpx::test::awaitOrAbort(returned, "KubeSource::run after the stop");
  }

  RecordingClock clock_;  // the backoff sleeps return at once
  std::vector<std::vector<Step>> steps_{3};
  std::vector<std::shared_ptr<Script>> scripts_;
  RecordingSink sink_;
};

TEST_F(KubeSourceTest, SyncedOnceAfterAllThreeListed) {
  steps_[0] = {listStep(list({service("a", "5")}, "9")), idleWatch()};
  steps_[1] = {listStep(list({slice("a-x", "6")}, "9")), idleWatch()};
  steps_[2] = {listStep(list({node("n1", "7")}, "9")), idleWatch()};
  KubeSource source(factory(), clock_, options());
  runUntil(source, "synced");  // three idle watches, interrupted by the stop
  const auto calls = sink_.calls();
  ASSERT_EQ(calls.size(), 4u);
  EXPECT_EQ(calls.back(), "synced");
  EXPECT_EQ(sink_.count("upsert Service default/a 5"), 1u);
  EXPECT_EQ(sink_.count("upsert EndpointSlice default/a-x 6"), 1u);
  EXPECT_EQ(sink_.count("upsert Node n1 7"), 1u);
  ASSERT_EQ(scripts_.size(), 3u);
  EXPECT_EQ(scripts_[1]->targets[0].rfind("/apis/discovery.k8s.io/v1/endpointslices?", 0), 0u);
  EXPECT_NE(scripts_[2]->targets[0].find("fieldSelector=metadata.name%3Dn1"), std::string::npos);
}

TEST_F(KubeSourceTest, SyncedWaitsForTheSlowestInformer) {
  steps_[0] = {listStep(list({}, "1")), idleWatch({event("ADDED", service("late", "20"))})};
  steps_[1] = {listStep(list({}, "1")), idleWatch()};
  steps_[2] = {failStep(403), failStep(500), listStep(list({node("n1", "30")}, "30")), idleWatch()};
  KubeSource source(factory(), clock_, options());
  runUntil(source, "synced");
  const auto calls = sink_.calls();
  EXPECT_EQ(sink_.count("synced"), 1u);
  // The Node came after two failed lists; synced() only after it.
  const auto node = std::find(calls.begin(), calls.end(), "upsert Node n1 30");
  const auto synced = std::find(calls.begin(), calls.end(), "synced");
  ASSERT_NE(node, calls.end());
  EXPECT_LT(node, synced);
  EXPECT_EQ(clock_.sleeps().size(), 2u);  // a backoff after each failed list, none slept
}

TEST_F(KubeSourceTest, WithoutANodeNameOnlyServicesAndSlices) {
  steps_[0] = {listStep(list({}, "1")), idleWatch()};
  steps_[1] = {listStep(list({}, "1")), idleWatch()};
  KubeSource source(factory(), clock_, options(""));
  EXPECT_EQ(source.resources().size(), 2u);
  runUntil(source, "synced");
  EXPECT_EQ(scripts_.size(), 2u);
  EXPECT_EQ(sink_.count("synced"), 1u);
}

TEST_F(KubeSourceTest, StopDuringALongBackoffReturnsPromptly) {
  steps_[0] = {failStep(500)};
  steps_[1] = {listStep(list({}, "1")), idleWatch()};
  steps_[2] = {listStep(list({}, "1")), idleWatch()};
  KubeSourceOptions o = options();
  o.informer.backoff.initial = std::chrono::hours(1);
  o.informer.backoff.max = std::chrono::hours(1);
  SleepWatchingClock clock;  // real sleeps: only a stop can end this one in time
  KubeSource source(factory(), clock, o);
  std::stop_source stop;
  auto returned = std::async(std::launch::async, [&] { source.run(sink_, stop.get_token()); });
  EXPECT_TRUE(clock.waitForSleeps(1));  // the services informer is now asleep
  stop.request_stop();
  kpx::test::awaitOrAbort(returned, "KubeSource::run during a backoff of an hour");
  EXPECT_EQ(sink_.count("synced"), 0u);  // services never listed
}

}  // namespace
}  // namespace kpx::watch
