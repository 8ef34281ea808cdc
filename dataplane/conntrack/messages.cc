#include "dataplane/conntrack/messages.h"

#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <sys/socket.h>

#include <arpa/inet.h>

#include <array>

namespace kpx::conntrack {

namespace {

// CTA_FILTER_ORIG_FLAGS bits: compare the destination address, the L4 protocol, the destination
// port. The kernel defines them in a private header (net/netfilter/nf_internals.h), but they
// are ABI: user space sends them as is.
constexpr uint32_t kFilterIpDst = 1u << 1;
constexpr uint32_t kFilterProtoNum = 1u << 3;
constexpr uint32_t kFilterProtoDstPort = 1u << 5;

constexpr uint16_t ctMessage(uint8_t type) {
  return static_cast<uint16_t>((NFNL_SUBSYS_CTNETLINK << 8) | type);
}

nlmsghdr* putHeader(void* buf, uint8_t type, uint16_t flags, uint8_t family, uint32_t seq) {
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = ctMessage(type);
  nlh->nlmsg_flags = flags;
  nlh->nlmsg_seq = seq;
  auto* nfh = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
  nfh->nfgen_family = family;
  nfh->version = NFNETLINK_V0;
  nfh->res_id = 0;
  return nlh;
}

uint8_t afOf(IPFamily family) {
  return family == IPFamily::V4 ? AF_INET : AF_INET6;
}

int markOrigTuple(const nlattr* attr, void* found) {
  if (mnl_attr_get_type(attr) == CTA_TUPLE_ORIG) *static_cast<bool*>(found) = true;
  return MNL_CB_OK;
}

std::optional<IPAddr> addressOf(const nf_conntrack* entry, nf_conntrack_attr attr,
                                IPFamily family) {
  if (nfct_attr_is_set(entry, attr) <= 0) return std::nullopt;
  const auto* bytes = static_cast<const uint8_t*>(nfct_get_attr(entry, attr));
  if (bytes == nullptr) return std::nullopt;
  return IPAddr::fromBytes(family, bytes);
}

}  // namespace

nlmsghdr* putDumpRequest(void* buf, IPFamily family, uint8_t protocol, std::optional<uint16_t> port,
                         const std::optional<IPAddr>& address, uint32_t seq) {
  if (address && (family != IPFamily::V4 || address->family() != IPFamily::V4)) return nullptr;
  nlmsghdr* nlh = putHeader(buf, IPCTNL_MSG_CT_GET, NLM_F_REQUEST | NLM_F_DUMP, afOf(family), seq);
  nlattr* tuple = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
  if (address) {
    nlattr* ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
    mnl_attr_put(nlh, CTA_IP_V4_DST, 4, address->bytes().data());
    mnl_attr_nest_end(nlh, ip);
  }
  nlattr* proto = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
  mnl_attr_put_u8(nlh, CTA_PROTO_NUM, protocol);
  if (port) mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(*port));
  mnl_attr_nest_end(nlh, proto);
  mnl_attr_nest_end(nlh, tuple);
  const uint32_t flags =
      kFilterProtoNum | (port ? kFilterProtoDstPort : 0u) | (address ? kFilterIpDst : 0u);
  nlattr* filter = mnl_attr_nest_start(nlh, CTA_FILTER);
  mnl_attr_put_u32(nlh, CTA_FILTER_ORIG_FLAGS, flags);
  mnl_attr_nest_end(nlh, filter);
  return nlh;
}

std::optional<ConntrackFlow> flowOf(const nf_conntrack* entry) {
  if (nfct_attr_is_set(entry, ATTR_ORIG_L3PROTO) <= 0 ||
      nfct_attr_is_set(entry, ATTR_ORIG_L4PROTO) <= 0 ||
      nfct_attr_is_set(entry, ATTR_ORIG_PORT_DST) <= 0 ||
      nfct_attr_is_set(entry, ATTR_REPL_PORT_SRC) <= 0) {
    return std::nullopt;
  }
  const uint8_t l3 = nfct_get_attr_u8(entry, ATTR_ORIG_L3PROTO);
  if (l3 != AF_INET && l3 != AF_INET6) return std::nullopt;
  const IPFamily family = l3 == AF_INET ? IPFamily::V4 : IPFamily::V6;
  const auto origDst =
      addressOf(entry, family == IPFamily::V4 ? ATTR_ORIG_IPV4_DST : ATTR_ORIG_IPV6_DST, family);
  const auto replySrc =
      addressOf(entry, family == IPFamily::V4 ? ATTR_REPL_IPV4_SRC : ATTR_REPL_IPV6_SRC, family);
  if (!origDst || !replySrc) return std::nullopt;
  return ConntrackFlow{.family = family,
                       .protocol = nfct_get_attr_u8(entry, ATTR_ORIG_L4PROTO),
                       .origDst = *origDst,
                       .origDstPort = ntohs(nfct_get_attr_u16(entry, ATTR_ORIG_PORT_DST)),
                       .replySrc = *replySrc,
                       .replySrcPort = ntohs(nfct_get_attr_u16(entry, ATTR_REPL_PORT_SRC))};
}

EntryPtr deleteKeyOf(const nf_conntrack* entry) {
  if (nfct_attr_is_set(entry, ATTR_ORIG_L3PROTO) <= 0) return nullptr;
  const bool v4 = nfct_get_attr_u8(entry, ATTR_ORIG_L3PROTO) == AF_INET;
  const std::array<nf_conntrack_attr, 6> tuple = {ATTR_ORIG_L3PROTO,
                                                  v4 ? ATTR_ORIG_IPV4_SRC : ATTR_ORIG_IPV6_SRC,
                                                  v4 ? ATTR_ORIG_IPV4_DST : ATTR_ORIG_IPV6_DST,
                                                  ATTR_ORIG_L4PROTO,
                                                  ATTR_ORIG_PORT_SRC,
                                                  ATTR_ORIG_PORT_DST};
  EntryPtr key(nfct_new());
  if (!key) return nullptr;
  for (const nf_conntrack_attr a : tuple) {
    if (nfct_attr_is_set(entry, a) <= 0) return nullptr;
    nfct_copy_attr(key.get(), entry, a);
  }
  for (const nf_conntrack_attr a : {ATTR_ZONE, ATTR_ORIG_ZONE, ATTR_ID}) {
    if (nfct_attr_is_set(entry, a) > 0) nfct_copy_attr(key.get(), entry, a);
  }
  return key;
}

nlmsghdr* putDeleteRequest(void* buf, const nf_conntrack* key, uint32_t seq) {
  if (nfct_attr_is_set(key, ATTR_ORIG_L3PROTO) <= 0 ||
      nfct_attr_is_set(key, ATTR_ORIG_L4PROTO) <= 0) {
    return nullptr;
  }
  const uint8_t family = nfct_get_attr_u8(key, ATTR_ORIG_L3PROTO);
  const nf_conntrack_attr src = family == AF_INET ? ATTR_ORIG_IPV4_SRC : ATTR_ORIG_IPV6_SRC;
  if (nfct_attr_is_set(key, src) <= 0) return nullptr;
  nlmsghdr* nlh = putHeader(buf, IPCTNL_MSG_CT_DELETE, NLM_F_REQUEST | NLM_F_ACK, family, seq);
  if (nfct_nlmsg_build(nlh, key) != 0) return nullptr;
  // Belt and braces: the kernel reads a delete without CTA_TUPLE_ORIG as "flush everything".
  bool hasTuple = false;
  if (mnl_attr_parse(nlh, sizeof(nfgenmsg), markOrigTuple, &hasTuple) < 0 || !hasTuple) {
    return nullptr;
  }
  return nlh;
}

std::string describe(const nf_conntrack* entry) {
  std::array<char, 1024> buf{};
  const int n = nfct_snprintf(buf.data(), buf.size(), entry, NFCT_T_UNKNOWN, NFCT_O_DEFAULT,
                              NFCT_OF_SHOW_LAYER3);
  if (n <= 0) return "<unprintable conntrack entry>";
  return std::string(buf.data());
}

}  // namespace kpx::conntrack
