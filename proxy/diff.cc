#include "proxy/diff.h"

namespace kpx {

StateDiff diff(const ProxyState&, const ProxyState&) { return {}; }

}  // namespace kpx
