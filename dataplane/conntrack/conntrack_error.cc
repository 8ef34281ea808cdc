#include "dataplane/conntrack/conntrack_error.h"

#include <cstring>

namespace kpx::conntrack {

std::string ConntrackError::str() const {
  std::string out = operation;
  if (!object.empty()) out += " " + object;
  out += ": ";
  out += strerror(errnum);
  out += " (errno " + std::to_string(errnum) + ")";
  if (deleted > 0) out += ", after deleting " + std::to_string(deleted) + " entries";
  return out;
}

ConntrackError makeError(int errnum, std::string operation, std::string object) {
  return {.errnum = errnum,
          .operation = std::move(operation),
          .object = std::move(object),
          .deleted = 0};
}

}  // namespace kpx::conntrack
