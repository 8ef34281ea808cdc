// The one error type of the nftables netlink layer: what failed (errno), what we were doing
// (operation) and which kernel object it concerns (object), so a failed batch of 100,000
// messages still says "add rule ip kpx svc-1234-ns/web/tcp/p80: No such file or directory".
#pragma once

#include <cstdint>
#include <string>

#include "proxy/dataplane_error.h"

namespace kpx::nft {

struct NetlinkError {
  int errnum = 0;             // positive errno value (ENOENT, EEXIST, ENOBUFS, ...)
  std::string operation;      // "commit batch", "dump chains", "open socket", ...
  std::string object;         // "add chain ip kpx svc-1" or "" when no single object applies
  uint32_t attrOffset = 0;    // extended ack: offset of the offending attribute, 0 if none
  std::string kernelMessage;  // extended ack message from the kernel, often empty
  // Set when acks were lost (ENOBUFS) or missing: the kernel may or may not have committed the
  // batch, so the caller must resynchronise (full sync) instead of trusting its own state.
  bool outcomeUnknown = false;

  // "commit batch: add chain ip kpx svc-1: File exists (errno 17)".
  std::string str() const;
};

NetlinkError makeError(int errnum, std::string operation, std::string object = {});

// The backend-neutral form, for Dataplane callers: `operation` is what the backend was doing
// ("full sync"); the netlink step and the kernel's extended ack go into the detail.
DataplaneError toDataplaneError(const NetlinkError& e, std::string operation);

}  // namespace kpx::nft
