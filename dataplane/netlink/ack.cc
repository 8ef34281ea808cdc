#include "dataplane/netlink/ack.h"

#include <libmnl/libmnl.h>
#include <linux/netlink.h>

#include <cstring>

namespace kpx::nft {

Ack parseAck(const nlmsghdr* nlh) {
  Ack ack;
  ack.seq = nlh->nlmsg_seq;
  if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(nlmsgerr))) {
    ack.errnum = EPROTO;  // too short to be an nlmsgerr: treat as a failure we cannot place
    return ack;
  }
  const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
  ack.seq = err->msg.nlmsg_seq;
  ack.requestType = err->msg.nlmsg_type;
  ack.errnum = err->error < 0 ? -err->error : err->error;
  if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) == 0) return ack;

  // The TLVs follow the nlmsgerr, after the echoed request payload unless it was capped.
  size_t offset = sizeof(nlmsgerr);
  if ((nlh->nlmsg_flags & NLM_F_CAPPED) == 0) {
    offset += err->msg.nlmsg_len > sizeof(nlmsghdr) ? err->msg.nlmsg_len - sizeof(nlmsghdr) : 0;
  }
  // The echoed length comes from the message itself: check it before trusting it.
  const size_t payloadLen = mnl_nlmsg_get_payload_len(nlh);
  if (MNL_ALIGN(offset) >= payloadLen) return ack;
  const auto* payload = static_cast<const char*>(mnl_nlmsg_get_payload(nlh));
  auto* attr = reinterpret_cast<const nlattr*>(payload + MNL_ALIGN(offset));
  int remaining = static_cast<int>(payloadLen - MNL_ALIGN(offset));
  for (; mnl_attr_ok(attr, remaining);
       remaining -= MNL_ALIGN(attr->nla_len), attr = mnl_attr_next(attr)) {
    const uint16_t type = mnl_attr_get_type(attr);
    if (type == NLMSGERR_ATTR_OFFS && mnl_attr_get_payload_len(attr) >= sizeof(uint32_t)) {
      ack.attrOffset = mnl_attr_get_u32(attr);
    } else if (type == NLMSGERR_ATTR_MSG && mnl_attr_get_payload_len(attr) > 0) {
      const auto* text = static_cast<const char*>(mnl_attr_get_payload(attr));
      ack.message.assign(text, strnlen(text, mnl_attr_get_payload_len(attr)));
    }
  }
  return ack;
}

void collectAcks(std::span<const char> datagram, std::vector<Ack>& out) {
  int remaining = static_cast<int>(datagram.size());
  for (auto* nlh = reinterpret_cast<const nlmsghdr*>(datagram.data()); mnl_nlmsg_ok(nlh, remaining);
       nlh = mnl_nlmsg_next(nlh, &remaining)) {
    if (nlh->nlmsg_type == NLMSG_ERROR) out.push_back(parseAck(nlh));
  }
}

}  // namespace kpx::nft
