#include "dataplane/netlink/error.h"

#include <string.h>
#include <cerrno>

namespace kpx::nft {

std::string NetlinkError::str() const {
  std::string out = operation;
  if (!object.empty()) {
    out += ": ";
    out += object;
  }
  out += ": ";
  // strerrordesc_np is the thread-safe, locale-free glibc form of strerror.
  const char* text = strerrordesc_np(errnum);
  out += text != nullptr ? text : "unknown error";
  out += " (errno " + std::to_string(errnum) + ")";
  if (!kernelMessage.empty()) out += " [kernel: " + kernelMessage + "]";
  if (attrOffset != 0) out += " [attribute at offset " + std::to_string(attrOffset) + "]";
  if (outcomeUnknown) out += " [outcome unknown: resynchronise]";
  return out;
}

NetlinkError makeError(int errnum, std::string operation, std::string object) {
  return NetlinkError{.errnum = errnum,
                      .operation = std::move(operation),
                      .object = std::move(object),
                      .attrOffset = 0,
                      .kernelMessage = {},
                      .outcomeUnknown = false};
}

DataplaneError toDataplaneError(const NetlinkError& e, std::string operation) {
  std::string detail = e.operation;
  if (!e.kernelMessage.empty()) detail += " [kernel: " + e.kernelMessage + "]";
  if (e.attrOffset != 0) detail += " [attribute at offset " + std::to_string(e.attrOffset) + "]";
  return DataplaneError{.errnum = e.errnum,
                        .operation = std::move(operation),
                        .object = e.object,
                        .detail = std::move(detail),
                        .outcomeUnknown = e.outcomeUnknown,
                        .unsupported = e.errnum == EPROTONOSUPPORT || e.errnum == EAFNOSUPPORT};
}

}  // namespace kpx::nft
