// The process logger (one of the two allowed globals): one line per event,
// "2026-11-23T05:50:08.123Z I message key=value", levels error/warn/info and -v N for debug.
#pragma once

#include <string>
#include <string_view>

namespace kpx::log {

enum class Level { Error, Warn, Info, Debug };

void setVerbosity(int v);  // 0: info and above; N>0: debug lines of verbosity <= N
int verbosity();
void write(Level level, std::string_view message);

inline void error(std::string_view m) { write(Level::Error, m); }
inline void warn(std::string_view m) { write(Level::Warn, m); }
inline void info(std::string_view m) { write(Level::Info, m); }
inline bool enabled(int v) { return verbosity() >= v; }
inline void debug(int v, std::string_view m) {
  if (enabled(v)) write(Level::Debug, m);
}

}  // namespace kpx::log
