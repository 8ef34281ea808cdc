// The one error type of the conntrack layer: errno, what we were doing, and which entry or
// filter it concerns, so a failed cleanup says what is still in the table.
#pragma once

#include <cstddef>
#include <string>

namespace kpx::conntrack {

struct ConntrackError {
  int errnum = 0;         // positive errno value
  std::string operation;  // "open socket", "dump IPv4 udp", "delete", ...
  std::string object;     // the entry or filter concerned, "" when none applies
  size_t deleted = 0;     // entries already deleted when it failed: cleanups can be partial

  // "delete udp 10.0.0.1:40001 -> 10.96.0.10:53: Operation not permitted (errno 1)".
  std::string str() const;
};

ConntrackError makeError(int errnum, std::string operation, std::string object = {});

}  // namespace kpx::conntrack
