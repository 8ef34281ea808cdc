#include "proxy/serve/event_loop.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace kpx::serve {
namespace {

TEST(EventLoop, PostedTasksRunInOrderOnTheLoopThread) {
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop) << loop.error();
  (*loop)->start();
  std::vector<int> seen;
  std::thread::id loopThread;
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE((*loop)->post([&, i] {
      seen.push_back(i);
      loopThread = std::this_thread::get_id();
    }));
  }
  ASSERT_TRUE((*loop)->runAndWait([] {}));  // everything posted before has run
  ASSERT_EQ(seen.size(), 100U);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(seen[i], i);
  EXPECT_NE(loopThread, std::this_thread::get_id());
}

TEST(EventLoop, PostsFromManyThreadsAllRun) {
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop);
  (*loop)->start();
  std::atomic<int> ran{0};
  std::vector<std::thread> posters;
  for (int t = 0; t < 4; ++t) {
    posters.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) (*loop)->post([&] { ++ran; });
    });
  }
  for (auto& t : posters) t.join();
  (*loop)->runAndWait([] {});
  EXPECT_EQ(ran.load(), 4000);
}

TEST(EventLoop, RunAndWaitBeforeStartRunsInline) {
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop);
  std::thread::id ranOn;
  EXPECT_TRUE((*loop)->runAndWait([&] { ranOn = std::this_thread::get_id(); }));
  EXPECT_EQ(ranOn, std::this_thread::get_id());
}

TEST(EventLoop, StopFromAnotherThreadIsIdempotentAndRejectsLaterWork) {
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop);
  (*loop)->start();
  std::thread stopper([&] { (*loop)->stop(); });
  stopper.join();
  (*loop)->stop();
  bool ran = false;
  EXPECT_FALSE((*loop)->post([&] { ran = true; }));
  EXPECT_FALSE((*loop)->runAndWait([&] { ran = true; }));
  EXPECT_FALSE(ran);
}

TEST(EventLoop, WorkAcceptedBeforeStopRunsBeforeTheLoopEnds) {
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop);
  (*loop)->start();
  std::atomic<int> ran{0};
  for (int i = 0; i < 50; ++i) (*loop)->post([&] { ++ran; });
  (*loop)->stop();
  EXPECT_EQ(ran.load(), 50);
}

}  // namespace
}  // namespace kpx::serve
