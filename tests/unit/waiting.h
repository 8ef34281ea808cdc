// Waiting for another thread in a test: on a condition, with a generous deadline that only turns
// a hang into a failure. Never a measurement: a loaded machine may be slow, and no test asserts
// how long something took; time that must pass passes on a ManualClock (CONTRIBUTING habit 7).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <string>
#include <thread>

namespace kpx::test {

// Long enough for any loaded machine; reached only when something is broken.
inline constexpr std::chrono::seconds kFailAfter{30};

// Waits for `future` (fulfilled when the code under test returns on its thread). Not ready after
// kFailAfter: that code is stuck, and joining its thread would hang the test run while
// abandoning it would leave it using the test's objects, so the test fails and aborts.
template <class T>
void awaitOrAbort(std::future<T>& future, const std::string& what) {
  if (future.wait_for(kFailAfter) == std::future_status::ready) return;
  ADD_FAILURE() << what << " did not return within " << kFailAfter.count() << " s";
  std::fflush(stdout);
  std::abort();
}

// Polls `done` until it holds; false after kFailAfter. Only for state another thread changes
// with no way to be told (a libevent timer's work); anything that can notify is waited on.
template <class Pred>
bool eventually(Pred done) {
  const auto giveUp = std::chrono::steady_clock::now() + kFailAfter;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= giveUp) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace kpx::test
