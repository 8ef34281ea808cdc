#include "watch/kube/backoff.h"

#include <set>

#include <gtest/gtest.h>

namespace kpx::watch {
namespace {

using std::chrono::milliseconds;

std::vector<int64_t> take(Backoff& backoff, int n) {
  std::vector<int64_t> out;
  for (int i = 0; i < n; ++i) out.push_back(backoff.next().count());
  return out;
}

TEST(Backoff, DoublesFrom800msUpTo30s) {
  Backoff backoff(BackoffPolicy{}, [] { return 0.0; });
  EXPECT_EQ(take(backoff, 8),
            (std::vector<int64_t>{800, 1600, 3200, 6400, 12800, 25600, 30000, 30000}));
}

TEST(Backoff, ResetStartsOver) {
  Backoff backoff(BackoffPolicy{}, [] { return 0.0; });
  take(backoff, 5);
  backoff.reset();
  EXPECT_EQ(backoff.next(), milliseconds(800));
  EXPECT_EQ(backoff.next(), milliseconds(1600));
}

TEST(Backoff, JitterShortensByUpToItsFraction) {
  Backoff low(BackoffPolicy{}, [] { return 0.999999; });
  EXPECT_EQ(take(low, 3), (std::vector<int64_t>{640, 1280, 2560}));
  Backoff half(BackoffPolicy{}, [] { return 0.5; });
  EXPECT_EQ(half.next(), milliseconds(720));
}

TEST(Backoff, DefaultRandomSpreadsDelaysWithinBounds) {
  Backoff backoff(BackoffPolicy{}, defaultRandom());
  std::set<int64_t> seen;
  for (int i = 0; i < 50; ++i) {
    backoff.reset();
    const int64_t d = backoff.next().count();
    EXPECT_GE(d, 640);
    EXPECT_LE(d, 800);
    seen.insert(d);
  }
  EXPECT_GT(seen.size(), 5u);  // not one fixed value: nodes do not reconnect in lockstep
}

TEST(Backoff, CustomPolicy) {
  Backoff backoff(
      BackoffPolicy{
          .initial = milliseconds(10), .max = milliseconds(25), .factor = 3.0, .jitter = 0.0},
      [] { return 0.7; });
  EXPECT_EQ(take(backoff, 4), (std::vector<int64_t>{10, 25, 25, 25}));
  EXPECT_EQ(backoff.base(), milliseconds(25));
}

}  // namespace
}  // namespace kpx::watch
