#include "dataplane/fake/fake_kernel.h"

#include <cerrno>
#include <set>

namespace kpx::fake {

tl::expected<void, DataplaneError> FakeKernel::commit(const std::vector<FakeOp>& ops) {
  std::lock_guard lock(mutex_);
  std::optional<Fault> fault;
  for (auto it = faults_.begin(); it != faults_.end();) {
    if (--it->countdown == 0) {
      fault = *it;
      it = faults_.erase(it);
    } else {
      ++it;
    }
  }
  auto failure = [](int errnum, std::string object, bool unknown) {
    return tl::unexpected(DataplaneError{.errnum = errnum,
                                         .operation = "commit",
                                         .object = std::move(object),
                                         .detail = "",
                                         .outcomeUnknown = unknown,
                                         .unsupported = false});
  };
  if (fault && !fault->outcomeUnknown) return failure(fault->errnum, "", false);

  // Validate against the state as the earlier ops of the same transaction leave it.
  std::set<std::string> present, gone;
  auto exists = [&](const std::string& name) {
    if (present.contains(name)) return true;
    if (gone.contains(name)) return false;
    return objects_.contains(name);
  };
  for (const auto& op : ops) {
    if (op.kind == FakeOp::Kind::Add) {
      if (exists(op.name)) return failure(EEXIST, "add " + op.name, false);
      present.insert(op.name);
      gone.erase(op.name);
    } else {
      if (!exists(op.name)) return failure(ENOENT, "delete " + op.name, false);
      gone.insert(op.name);
      present.erase(op.name);
    }
  }
  const bool apply = !fault || fault->applied;
  if (apply) {
    for (const auto& op : ops) {
      if (op.kind == FakeOp::Kind::Add)
        objects_[op.name] = op.object;
      else
        objects_.erase(op.name);
    }
    ++transactions_;
  }
  if (fault) return failure(EIO, "ack lost", true);
  return {};
}

std::map<std::string, FakeObject> FakeKernel::objects() const {
  std::lock_guard lock(mutex_);
  return objects_;
}

size_t FakeKernel::transactions() const {
  std::lock_guard lock(mutex_);
  return transactions_;
}

void FakeKernel::put(const std::string& name, FakeObject object) {
  std::lock_guard lock(mutex_);
  objects_[name] = std::move(object);
}

void FakeKernel::erase(const std::string& name) {
  std::lock_guard lock(mutex_);
  objects_.erase(name);
}

void FakeKernel::failTransaction(size_t nth, int errnum) {
  std::lock_guard lock(mutex_);
  faults_.push_back({nth, errnum, false, false});
}

void FakeKernel::loseAck(size_t nth, bool appliedAnyway) {
  std::lock_guard lock(mutex_);
  faults_.push_back({nth, EIO, true, appliedAnyway});
}

}  // namespace kpx::fake
