// Time, behind one interface (CONTRIBUTING habit 7): everything that waits or measures takes a
// `const Clock&` through its constructor. `kpx run` hands the one SystemClock to all of it (the
// sync loop, the event queue, the agent, the health state, the sources and their HTTP clients);
// tests hand a ManualClock they move by hand, so no test sleeps to let time pass.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <stop_token>

namespace kpx {

class Clock {
 public:
  // Monotonic: periods, deadlines and durations. Never jumps with the wall clock (NTP, the admin).
  using TimePoint = std::chrono::steady_clock::time_point;
  // The wall clock: only for what is shown (the *_timestamp_seconds metrics, healthz bodies),
  // never for a decision.
  using WallTime = std::chrono::system_clock::time_point;

  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
  virtual WallTime wallNow() const = 0;
  // Waits `duration` of this clock's time, or less when `stop` is requested (at once if it
  // already is). Returns false when stopped.
  virtual bool sleepFor(std::chrono::nanoseconds duration, std::stop_token stop) const = 0;
};

// The machine's clocks: steady_clock and system_clock. Stateless; thread-safe.
class SystemClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::steady_clock::now(); }
  WallTime wallNow() const override { return std::chrono::system_clock::now(); }
  bool sleepFor(std::chrono::nanoseconds duration, std::stop_token stop) const override {
    // condition_variable_any wakes up as soon as the stop is requested: a source's run() must
    // return at once even in the middle of a 30 s backoff.
    std::mutex mutex;
    std::condition_variable_any cv;
    std::unique_lock lock(mutex);
    cv.wait_for(lock, stop, duration, [] { return false; });
    return !stop.stop_requested();
  }
};

// The default of constructors that take a clock: the one SystemClock (it has no state).
inline const Clock& systemClock() {
  static const SystemClock clock{};
  return clock;
}

// A clock that only moves when told to; thread-safe, so a test can move it while the code under
// test reads it on its own thread. It starts at fixed instants: an arbitrary monotonic one and
// 2024-05-01T10:00:00Z on the wall.
class ManualClock final : public Clock {
 public:
  static constexpr TimePoint kStart{std::chrono::hours(1000)};
  static constexpr WallTime kWallStart{std::chrono::seconds(1714557600)};

  explicit ManualClock(TimePoint start = kStart, WallTime wallStart = kWallStart)
      : now_(start), wall_(wallStart) {}

  TimePoint now() const override {
    std::lock_guard lock(mutex_);
    ++reads_;
    read_.notify_all();
    return now_;
  }
  WallTime wallNow() const override {
    std::lock_guard lock(mutex_);
    return wall_;
  }
  // A sleep passes at once: the clock moves on by `duration` (as Kubernetes' fake clock does).
  bool sleepFor(std::chrono::nanoseconds duration, std::stop_token stop) const override {
    if (stop.stop_requested()) return false;
    moveBy(duration);
    return !stop.stop_requested();
  }

  // Both clocks move on together.
  void advance(std::chrono::nanoseconds by) { moveBy(by); }
  void set(TimePoint to) {
    std::lock_guard lock(mutex_);
    wall_ += std::chrono::duration_cast<WallTime::duration>(to - now_);
    now_ = to;
  }
  // The wall clock is stepped (NTP, the admin); the monotonic clock does not move.
  void stepWall(std::chrono::nanoseconds by) {
    std::lock_guard lock(mutex_);
    wall_ += std::chrono::duration_cast<WallTime::duration>(by);
  }

  // How many times now() has been called: lets a test wait until code running on another thread
  // has looked at the time, i.e. has reached the point where it does.
  size_t reads() const {
    std::lock_guard lock(mutex_);
    return reads_;
  }
  // Waits until now() has been called at least `n` times in all. False after `failAfter` of real
  // time, which is a failure timeout for a test, never a measurement.
  bool waitForReads(size_t n,
                    std::chrono::milliseconds failAfter = std::chrono::seconds(30)) const {
    std::unique_lock lock(mutex_);
    return read_.wait_for(lock, failAfter, [&] { return reads_ >= n; });
  }

 private:
  void moveBy(std::chrono::nanoseconds by) const {
    std::lock_guard lock(mutex_);
    now_ += by;
    wall_ += std::chrono::duration_cast<WallTime::duration>(by);
  }

  mutable std::mutex mutex_;
  mutable std::condition_variable read_;
  mutable TimePoint now_;
  mutable WallTime wall_;
  mutable size_t reads_ = 0;
};

}  // namespace kpx
