// A private network namespace for one kernel test: created with `ip netns add` under a unique
// name (kpxt-<pid>-<n>), entered by the calling thread with setns(), left and deleted on
// destruction. Tests touch nothing outside it: the root namespace's rules are never changed.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <tl/expected.hpp>

namespace kpx::testing {

struct CommandResult {
  int status = -1;     // exit code, or -1 if the command could not run
  std::string output;  // stdout and stderr, interleaved
};

// Runs argv (no shell) and captures its output.
CommandResult runCommand(const std::vector<std::string>& argv);

class TestNetns {
 public:
  // Creates the namespace and moves the calling thread into it. Checks afterwards that the
  // thread really is in the new namespace (and not in the one it came from), so that a test can
  // never program the root namespace by accident.
  static tl::expected<TestNetns, std::string> create();

  TestNetns(TestNetns&& other) noexcept;
  TestNetns& operator=(TestNetns&&) = delete;
  TestNetns(const TestNetns&) = delete;
  ~TestNetns();

  const std::string& name() const { return name_; }

  // Runs argv inside the namespace (`ip netns exec <name> ...`).
  CommandResult exec(std::vector<std::string> argv) const;

 private:
  TestNetns(std::string name, int originalFd) : name_(std::move(name)), originalFd_(originalFd) {}

  std::string name_;
  int originalFd_ = -1;  // the thread's namespace before entering, to go back to
};

// Whether an executable is on PATH (for tests that also read back with `nft`).
bool haveExecutable(const std::string& name);

}  // namespace kpx::testing
