// Time as the sync loop sees it, behind an interface (DESIGN §8, habit 2): the agent uses the
// monotonic clock, tests a clock they move by hand, so no test of the loop's timing sleeps.
#pragma once

#include <chrono>

namespace kpx {

class Clock {
 public:
  // Monotonic: periods and deadlines must not jump with the wall clock (NTP, the admin).
  using TimePoint = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class SteadyClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::steady_clock::now(); }
};

// A clock that only moves when told to. Starts at an arbitrary, fixed instant.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start = TimePoint(std::chrono::hours(1000))) : now_(start) {}

  TimePoint now() const override { return now_; }
  void advance(std::chrono::nanoseconds by) { now_ += by; }
  void set(TimePoint to) { now_ = to; }

 private:
  TimePoint now_;
};

}  // namespace kpx
