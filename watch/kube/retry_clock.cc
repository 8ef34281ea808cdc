#include "watch/kube/retry_clock.h"

#include <condition_variable>
#include <mutex>

namespace kpx::watch {

bool SteadyRetryClock::sleepFor(std::chrono::milliseconds duration, std::stop_token stop) {
  // condition_variable_any wakes up as soon as the stop is requested: run() must return in
  // well under a second even in the middle of a 30 s backoff.
  std::mutex mutex;
  std::condition_variable_any cv;
  std::unique_lock lock(mutex);
  cv.wait_for(lock, stop, duration, [] { return false; });
  return !stop.stop_requested();
}

}  // namespace kpx::watch
