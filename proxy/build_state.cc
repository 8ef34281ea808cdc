#include "proxy/build_state.h"

namespace kpx {

ProxyState buildState(const ClusterSnapshot&, const Node*, const ProxyConfig&) { return {}; }

}  // namespace kpx
