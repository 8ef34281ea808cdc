#include "proxy/diff.h"

namespace kpx {

// One ordered walk over both maps: keys come out sorted because std::map iterates in order.
StateDiff diff(const ProxyState& prev, const ProxyState& next) {
  StateDiff out;
  out.globalChanged = prev.global != next.global;
  auto p = prev.servicePorts.begin();
  auto n = next.servicePorts.begin();
  while (p != prev.servicePorts.end() || n != next.servicePorts.end()) {
    if (n == next.servicePorts.end() || (p != prev.servicePorts.end() && p->first < n->first)) {
      out.removed.push_back(p->first);
      ++p;
    } else if (p == prev.servicePorts.end() || n->first < p->first) {
      out.added.push_back(n->first);
      ++n;
    } else {
      if (p->second != n->second) out.changed.push_back(n->first);
      ++p;
      ++n;
    }
  }
  return out;
}

}  // namespace kpx
