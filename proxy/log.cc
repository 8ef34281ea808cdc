#include "proxy/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace kpx::log {
namespace {
std::atomic<int> gVerbosity{0};
std::mutex gMutex;  // one line at a time from several threads
}  // namespace

void setVerbosity(int v) { gVerbosity = v; }
int verbosity() { return gVerbosity; }

void write(Level level, std::string_view message) {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const std::time_t secs = system_clock::to_time_t(now);
  const auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  const char tag = level == Level::Error  ? 'E'
                   : level == Level::Warn ? 'W'
                   : level == Level::Info ? 'I'
                                          : 'D';
  std::lock_guard lock(gMutex);
  std::fprintf(stderr, "%s.%03dZ %c %.*s\n", stamp, static_cast<int>(ms), tag,
               static_cast<int>(message.size()), message.data());
}

}  // namespace kpx::log
