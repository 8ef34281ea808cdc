// The time the health decisions use, injected so tests never sleep. An Instant carries both
// clocks: decisions compare monotonic times (a wall-clock step must not flip /healthz), bodies
// print wall times (what kube-proxy's JSON shows).
#pragma once

#include <chrono>

namespace kpx::health {

struct Instant {
  std::chrono::steady_clock::time_point mono;
  std::chrono::system_clock::time_point wall;
};

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Instant now() const = 0;
};

class SystemClock final : public Clock {
 public:
  Instant now() const override {
    return {std::chrono::steady_clock::now(), std::chrono::system_clock::now()};
  }
};

}  // namespace kpx::health
