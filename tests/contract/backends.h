// The backends the contract suite runs against, each behind the same small harness: how to
// make one (through the backend registry for kernel backends), what it needs (its declared
// needs: the test skips when the machine lacks them), and the few things a test does to the
// kernel from outside kpx (foreign objects, a tamper, a transaction the kernel will refuse).
#pragma once

#include <cerrno>
#include <memory>
#include <optional>
#include <string>

#include "dataplane/fake/fake_dataplane.h"
#include "proxy/cmd/backend_registry.h"
#include "proxy/dataplane.h"
#include "tests/kernel/netns.h"

namespace kpx::contract {

class FakeBackend {
 public:
  static constexpr const char* kName = "fake";

  std::optional<std::string> unmet() const { return std::nullopt; }
  void setUp() {}
  std::unique_ptr<Dataplane> make() { return std::make_unique<fake::FakeDataplane>(kernel_); }

  void addForeignObjects() {
    kernel_.put("firewall/input/ssh", fake::FakeObject{{}, {}, {}, {}, "tcp dport 22 accept"});
    kernel_.put("kpxother/table", fake::FakeObject{{}, {}, {}, {}, "not kpx's despite the name"});
  }
  std::string foreignObjects() const {
    std::string out;
    for (const auto& [name, object] : kernel_.objects())
      if (!name.starts_with("kpx/")) out += name + " " + object.text + "\n";
    return out;
  }
  // A number that moves with every write to the kernel.
  size_t writes() const { return kernel_.transactions(); }
  // Another tool removes kpx's IPv4 objects.
  void tamper() {
    for (const auto& [name, object] : kernel_.objects())
      if (name.starts_with("kpx/IPv4/")) kernel_.erase(name);
  }
  // The next incremental transaction will be refused.
  void refuseNextIncremental() { kernel_.failTransaction(1, EIO); }

 private:
  fake::FakeKernel kernel_;
};

class NftablesBackend {
 public:
  static constexpr const char* kName = "nftables";

  std::optional<std::string> unmet() const {
    if (auto missing = cmd::unmetNeeds(cmd::findBackend(ProxyMode::NFTables)->needs))
      return missing->message;
    return std::nullopt;
  }
  // A fresh network namespace for the test's thread: kpx's tables go there, never elsewhere.
  void setUp();
  std::unique_ptr<Dataplane> make() {
    return cmd::findBackend(ProxyMode::NFTables)->make(BackendOptions{});
  }
  void addForeignObjects();
  std::string foreignObjects() const;
  size_t writes() const;
  void tamper();
  // The stamp element goes: an incremental batch deletes and re-adds it last, so the kernel
  // refuses the whole batch (ENOENT) after processing the rest of it.
  void refuseNextIncremental();

 private:
  testing::CommandResult nft(std::vector<std::string> args) const;
  std::optional<testing::TestNetns> netns_;
};

}  // namespace kpx::contract
