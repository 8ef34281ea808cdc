#include "dataplane/netlink/types.h"

namespace kpx::nft {

std::string_view familyName(Family family) {
  switch (family) {
    case Family::Ip:
      return "ip";
    case Family::Ip6:
      return "ip6";
    case Family::Inet:
      return "inet";
  }
  return "unknown";
}

std::string_view hookName(Hook hook) {
  switch (hook) {
    case Hook::Prerouting:
      return "prerouting";
    case Hook::Input:
      return "input";
    case Hook::Forward:
      return "forward";
    case Hook::Output:
      return "output";
    case Hook::Postrouting:
      return "postrouting";
  }
  return "unknown";
}

std::string_view verdictName(VerdictCode code) {
  switch (code) {
    case VerdictCode::Drop:
      return "drop";
    case VerdictCode::Accept:
      return "accept";
    case VerdictCode::Continue:
      return "continue";
    case VerdictCode::Return:
      return "return";
    case VerdictCode::Jump:
      return "jump";
    case VerdictCode::Goto:
      return "goto";
  }
  return "unknown";
}

std::string Verdict::str() const {
  std::string out(verdictName(code));
  if (code == VerdictCode::Jump || code == VerdictCode::Goto) {
    out += ' ';
    out += chain;
  }
  return out;
}

}  // namespace kpx::nft
