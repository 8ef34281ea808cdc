// Exponential backoff with jitter for reconnecting to the API server, as client-go's reflector
// does (800 ms doubling to 30 s). Jitter spreads the reconnects of thousands of nodes after an
// API server restart; reset() after a healthy stream starts over from the initial delay.
#pragma once

#include <chrono>
#include <functional>

namespace kpx::watch {

// Uniform in [0, 1). Injected so tests get deterministic delays.
using UniformRandom = std::function<double()>;
// A Mersenne twister seeded from std::random_device.
UniformRandom defaultRandom();

struct BackoffPolicy {
  std::chrono::milliseconds initial{800};
  std::chrono::milliseconds max{30'000};
  double factor = 2.0;
  // Each delay is the base delay shortened by up to this fraction: in (base*(1-jitter), base].
  double jitter = 0.2;
};

class Backoff {
 public:
  Backoff(BackoffPolicy policy, UniformRandom random);

  // The delay to wait now; the next one is `factor` times longer, up to `max`.
  std::chrono::milliseconds next();
  void reset();
  // The base of the next delay (before jitter), for messages and tests.
  std::chrono::milliseconds base() const { return base_; }

 private:
  BackoffPolicy policy_;
  UniformRandom random_;
  std::chrono::milliseconds base_;
};

}  // namespace kpx::watch
