// Decoding of NLMSG_ERROR messages: the kernel's acks (error 0) and errors, with the
// extended-ack attributes (NETLINK_EXT_ACK) when present. Pure functions over bytes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

struct nlmsghdr;

namespace kpx::nft {

struct Ack {
  uint32_t seq = 0;          // sequence number of the message this answers
  uint16_t requestType = 0;  // nlmsg_type of that message (NFT_MSG_NEWCHAIN | subsys << 8, ...)
  int errnum = 0;            // 0 for a plain ack, a positive errno otherwise
  uint32_t attrOffset = 0;   // NLMSGERR_ATTR_OFFS: byte offset of the bad attribute in the request
  std::string message;       // NLMSGERR_ATTR_MSG
};

// `nlh` must be an NLMSG_ERROR message.
Ack parseAck(const nlmsghdr* nlh);

// All NLMSG_ERROR messages in one received datagram; other message types are skipped.
void collectAcks(std::span<const char> datagram, std::vector<Ack>& out);

}  // namespace kpx::nft
