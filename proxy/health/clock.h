// The time the health decisions use, read from the one injected Clock (proxy/clock.h) so tests
// never sleep. An Instant carries both of its times: decisions compare monotonic times (a
// wall-clock step must not flip /healthz), bodies print wall times (what kube-proxy's JSON shows).
#pragma once

#include "proxy/clock.h"

namespace kpx::health {

struct Instant {
  Clock::TimePoint mono;
  Clock::WallTime wall;
};

// Both times of `clock`, now.
inline Instant instantOf(const Clock& clock) {
  return {clock.now(), clock.wallNow()};
}

}  // namespace kpx::health
