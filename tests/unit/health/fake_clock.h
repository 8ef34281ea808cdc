// A clock that moves only when told to: health tests never sleep.
#pragma once

#include <chrono>

#include "proxy/health/clock.h"

namespace kpx::health {

class FakeClock final : public Clock {
 public:
  // 2024-05-01T10:00:00Z on the wall; the monotonic clock starts at an arbitrary point.
  FakeClock()
      : mono_(std::chrono::steady_clock::time_point(std::chrono::hours(1))),
        wall_(std::chrono::system_clock::time_point(std::chrono::seconds(1714557600))) {}
  Instant now() const override { return {mono_, wall_}; }
  void advance(std::chrono::nanoseconds d) {
    mono_ += d;
    wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
  }
  // A wall-clock step (NTP): the monotonic clock does not move.
  void stepWall(std::chrono::nanoseconds d) {
    wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
  }

 private:
  std::chrono::steady_clock::time_point mono_;
  std::chrono::system_clock::time_point wall_;
};

}  // namespace kpx::health
