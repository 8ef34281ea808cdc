// What a backend reports when the kernel (or the tool in front of it) refused or could not be
// reached: structured, so callers decide on fields (errno, whether the outcome is known), never
// by reading a message.
#pragma once

#include <string>

namespace kpx {

struct DataplaneError {
  int errnum = 0;         // errno from the kernel or the tool; 0 when there is none
  std::string operation;  // what kpx was doing: "full sync", "dump", "open netlink socket"
  std::string object;     // the object concerned, as the backend names it ("" when not known)
  std::string detail;     // anything else worth a line (a tool's message, a count)
  // The request reached the kernel but its answer was lost (a dropped ack, a dead pipe): the
  // change may or may not be in force. Callers treat the kernel as unknown and sync in full.
  bool outcomeUnknown = false;
  // The kernel or the machine lacks what the backend needs (no IPVS, no nf_tables): retrying
  // cannot help.
  bool unsupported = false;

  // "full sync: map service-ips element 10.96.0.1 . tcp . 80: File exists (EEXIST)"
  std::string str() const;
};

}  // namespace kpx
