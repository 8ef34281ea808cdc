// Small vocabulary types shared by the in-process nftables layer (libnftnl + libmnl).
// Values are the kernel's own numbers (NFPROTO_*, NF_INET_*, NFT_*), so they go into
// libnftnl unchanged and come back from dumps unchanged.
#pragma once

// glibc's netinet/in.h must come before any linux/ header that pulls in linux/in.h, so that
// linux/libc-compat.h suppresses the kernel's duplicate definitions.
#include <netinet/in.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace kpx::nft {

enum class Family : uint8_t {
  Ip = NFPROTO_IPV4,
  Ip6 = NFPROTO_IPV6,
  Inet = NFPROTO_INET,
};

// "ip", "ip6", "inet": as nft spells families.
std::string_view familyName(Family family);
inline uint16_t familyValue(Family family) {
  return static_cast<uint16_t>(family);
}

enum class Hook : uint8_t {
  Prerouting = NF_INET_PRE_ROUTING,
  Input = NF_INET_LOCAL_IN,
  Forward = NF_INET_FORWARD,
  Output = NF_INET_LOCAL_OUT,
  Postrouting = NF_INET_POST_ROUTING,
};
std::string_view hookName(Hook hook);

// The kind of a verdict, with the kernel's values (NF_ACCEPT, NFT_JUMP, ...).
enum class VerdictCode : int32_t {
  Drop = NF_DROP,
  Accept = NF_ACCEPT,
  Continue = NFT_CONTINUE,
  Return = NFT_RETURN,
  Jump = NFT_JUMP,
  Goto = NFT_GOTO,
};
std::string_view verdictName(VerdictCode code);

struct Verdict {
  VerdictCode code = VerdictCode::Accept;
  std::string chain;  // only for Jump and Goto

  static Verdict accept() { return {VerdictCode::Accept, {}}; }
  static Verdict drop() { return {VerdictCode::Drop, {}}; }
  static Verdict ret() { return {VerdictCode::Return, {}}; }
  static Verdict jump(std::string_view chain) { return {VerdictCode::Jump, std::string(chain)}; }
  static Verdict goTo(std::string_view chain) { return {VerdictCode::Goto, std::string(chain)}; }

  // "accept", "jump svc-1", "goto ep-1": nft's wording.
  std::string str() const;
  bool operator==(const Verdict&) const = default;
};

}  // namespace kpx::nft
