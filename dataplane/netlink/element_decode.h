// Names a set element from the bytes of the message that carried it, so that a batch need not
// keep a description string per element (100,000 elements would cost megabytes of strings
// for the rare error). Used by Batch::describe() when the kernel reports a bad element.
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <span>
#include <string>

struct nlmsghdr;

namespace kpx::nft {

// The message with sequence number `seq` in a batch's pages, or nullptr.
const nlmsghdr* findMessage(std::span<const iovec> pages, uint32_t seq);

// "0a600001 06000000 00500000 : goto svc-1": the key (hex) and the verdict or data of the
// element whose nest starts at byte `offset` of `msg`. "" if nothing parsable is there.
std::string describeElementAt(const nlmsghdr* msg, uint32_t offset);

}  // namespace kpx::nft
