// Time as the informers see it: now() and an interruptible sleep. Injected so backoff and
// reconnect logic is tested without sleeping (DESIGN §8, habit 7).
#pragma once

#include <chrono>
#include <stop_token>

namespace kpx::watch {

class RetryClock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  virtual ~RetryClock() = default;
  virtual TimePoint now() const = 0;
  // Waits `duration`, or less when `stop` is requested. Returns false when stopped.
  virtual bool sleepFor(std::chrono::milliseconds duration, std::stop_token stop) = 0;
};

class SteadyRetryClock final : public RetryClock {
 public:
  TimePoint now() const override { return std::chrono::steady_clock::now(); }
  bool sleepFor(std::chrono::milliseconds duration, std::stop_token stop) override;
};

}  // namespace kpx::watch
