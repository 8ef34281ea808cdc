#include "dataplane/netlink/element_decode.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>

#include <cstring>

#include "dataplane/netlink/key.h"
#include "dataplane/netlink/types.h"

namespace kpx::nft {

namespace {

// Walks the attributes of a nest, calling fn(attr) for each.
template <typename Fn>
void forEachNested(const nlattr* nest, Fn fn) {
  const auto* start = static_cast<const char*>(mnl_attr_get_payload(nest));
  int remaining = static_cast<int>(mnl_attr_get_payload_len(nest));
  for (auto* a = reinterpret_cast<const nlattr*>(start); mnl_attr_ok(a, remaining);
       remaining -= MNL_ALIGN(a->nla_len), a = mnl_attr_next(a)) {
    fn(a);
  }
}

std::span<const uint8_t> payloadOf(const nlattr* a) {
  return {static_cast<const uint8_t*>(mnl_attr_get_payload(a)), mnl_attr_get_payload_len(a)};
}

// The bytes are our own batch's, but this runs on the error path of a failed commit: every
// length is checked against its attribute, so a malformed message yields less text, never a
// read past the buffer.
std::string verdictText(const nlattr* verdictNest) {
  Verdict v;
  forEachNested(verdictNest, [&v](const nlattr* a) {
    const std::span<const uint8_t> payload = payloadOf(a);
    if (mnl_attr_get_type(a) == NFTA_VERDICT_CODE && payload.size() >= sizeof(uint32_t)) {
      uint32_t code = 0;
      std::memcpy(&code, payload.data(), sizeof(code));
      v.code = static_cast<VerdictCode>(static_cast<int32_t>(ntohl(code)));
    } else if (mnl_attr_get_type(a) == NFTA_VERDICT_CHAIN) {
      const auto* text = reinterpret_cast<const char*>(payload.data());
      v.chain.assign(text, strnlen(text, payload.size()));
    }
  });
  return v.str();
}

}  // namespace

const nlmsghdr* findMessage(std::span<const iovec> pages, uint32_t seq) {
  for (const iovec& page : pages) {
    int remaining = static_cast<int>(page.iov_len);
    for (auto* nlh = static_cast<const nlmsghdr*>(page.iov_base); mnl_nlmsg_ok(nlh, remaining);
         nlh = mnl_nlmsg_next(nlh, &remaining)) {
      if (nlh->nlmsg_seq == seq) return nlh;
    }
  }
  return nullptr;
}

std::string describeElementAt(const nlmsghdr* msg, uint32_t offset) {
  if (msg == nullptr || offset < sizeof(nlmsghdr) ||
      static_cast<size_t>(offset) + sizeof(nlattr) > msg->nlmsg_len) {
    return {};
  }
  const auto* elem = reinterpret_cast<const nlattr*>(reinterpret_cast<const char*>(msg) + offset);
  if (!mnl_attr_ok(elem, static_cast<int>(msg->nlmsg_len - offset))) return {};
  std::string key;
  std::string value;
  forEachNested(elem, [&](const nlattr* a) {
    const uint16_t type = mnl_attr_get_type(a);
    if (type != NFTA_SET_ELEM_KEY && type != NFTA_SET_ELEM_DATA) return;
    forEachNested(a, [&](const nlattr* d) {
      if (mnl_attr_get_type(d) == NFTA_DATA_VALUE) {
        (type == NFTA_SET_ELEM_KEY ? key : value) = hexKey(payloadOf(d));
      } else if (mnl_attr_get_type(d) == NFTA_DATA_VERDICT) {
        value = verdictText(d);
      }
    });
  });
  if (key.empty()) return {};
  return value.empty() ? key : key + " : " + value;
}

}  // namespace kpx::nft
