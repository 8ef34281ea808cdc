// An in-memory stand-in for a kernel's rule store, for tests that need no root: named objects
// changed only by atomic transactions that fail as a kernel does (adding an object that exists:
// EEXIST; deleting one that does not: ENOENT; then nothing of the transaction applies), with
// fault injection. Objects whose name starts with "kpx/" are kpx's; anything else stands for
// another component's rules, which kpx must never touch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "proxy/dataplane_error.h"
#include "proxy/inventory.h"

namespace kpx::fake {

// What one object says. kpx's backend writes one per virtual address, endpoint and affinity
// setting of a service port (and one stamp); foreign objects carry only `text`.
struct FakeObject {
  ServicePortKey port;
  std::optional<InventoryVip> vip;
  std::optional<InventoryEndpoint> endpoint;
  std::optional<uint32_t> affinitySeconds;
  std::string text;

  bool operator==(const FakeObject&) const = default;
};

struct FakeOp {
  enum class Kind : uint8_t { Add, Delete };
  Kind kind = Kind::Add;
  std::string name;
  FakeObject object;  // Add only
};

class FakeKernel {
 public:
  // Applies every op or none. Fails with ENOENT/EEXIST naming the first op that cannot apply,
  // or as injected below. Thread-safe.
  tl::expected<void, DataplaneError> commit(const std::vector<FakeOp>& ops);

  // The objects as they are now (a copy).
  std::map<std::string, FakeObject> objects() const;
  // Committed transactions (refused ones do not count): "no writes" is this not moving.
  size_t transactions() const;

  // Changes made from outside kpx (another tool, an admin), applied directly.
  void put(const std::string& name, FakeObject object);
  void erase(const std::string& name);

  // Fault injection: the `nth` transaction from now (1: the next) is refused with `errnum`, or,
  // with `appliedAnyway`, applied but reported as an error whose outcome is unknown (a lost ack).
  void failTransaction(size_t nth, int errnum);
  void loseAck(size_t nth, bool appliedAnyway);

 private:
  struct Fault {
    size_t countdown;
    int errnum;
    bool outcomeUnknown;
    bool applied;
  };

  mutable std::mutex mutex_;
  std::map<std::string, FakeObject> objects_;
  std::vector<Fault> faults_;
  size_t transactions_ = 0;
};

}  // namespace kpx::fake
