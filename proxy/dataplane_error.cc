#include "proxy/dataplane_error.h"

#include <cstring>

namespace kpx {

std::string DataplaneError::str() const {
  std::string out = operation.empty() ? std::string("dataplane") : operation;
  if (!object.empty()) out += ": " + object;
  if (errnum != 0) {
    const char* name = strerrorname_np(errnum);
    const char* text = strerrordesc_np(errnum);
    out += ": " + std::string(text ? text : "unknown error") + " (" + (name ? name : std::to_string(errnum)) +
           ")";
  }
  if (!detail.empty()) out += ": " + detail;
  if (outcomeUnknown) out += " (outcome unknown: the next sync rewrites everything)";
  return out;
}

}  // namespace kpx
