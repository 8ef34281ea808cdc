// The seam between the core and dataplane/ (DESIGN §1). Implementations converge the kernel
// to a ProxyState and read it back.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "proxy/state.h"

namespace kpx {

enum class SyncKind : uint8_t { Incremental, Full };

struct SyncResult {
  bool ok = true;
  std::string error;      // what failed, naming the object concerned
  size_t messages = 0;    // kernel messages sent (netlink messages, restore lines, ...)
};

// One service port as the kernel holds it, for `kpx dump`.
struct InventoryEntry {
  std::string name;        // "ns/name:port"
  IPFamily family = IPFamily::V4;
  Protocol protocol = Protocol::TCP;
  std::vector<std::string> vips;       // "10.96.0.10:80 (cluster)", ...
  std::vector<std::string> endpoints;  // "10.244.1.2:8080"
  std::string affinity;                // "" or "ClientIP 10800s"
};

struct Inventory {
  std::vector<InventoryEntry> entries;
  std::string raw;    // the backend's own textual form, for --format raw
  std::string error;  // set when the kernel could not be read
};

class Dataplane {
 public:
  virtual ~Dataplane() = default;
  virtual SyncResult sync(const ProxyState& desired, SyncKind kind) = 0;
  virtual Inventory dump() = 0;
  virtual SyncResult cleanup() = 0;  // removes everything kpx owns; idempotent
};

}  // namespace kpx
