// kpx-bench's network namespaces: every measurement runs in a fresh one, named
// kpxb<pid>-<n>, created with `ip netns add` and deleted (by exact name) when the Netns object
// goes away — or, on SIGINT/SIGTERM/SIGHUP, by the signal handler installed here. The root
// namespace's rules are never touched: enter() refuses to return unless the thread is verifiably
// inside the new namespace.
#pragma once

#include <string>

#include <tl/expected.hpp>

namespace kpx::bench {

class Netns {
 public:
  // Adds the namespace and brings its loopback up. Does not enter it.
  static tl::expected<Netns, std::string> create();

  Netns(Netns&& other) noexcept;
  Netns& operator=(Netns&&) = delete;
  Netns(const Netns&) = delete;
  ~Netns();  // leaves it (if entered), then deletes it

  const std::string& name() const { return name_; }
  std::string path() const { return "/run/netns/" + name_; }

  // Moves the calling thread into the namespace / back to where it was.
  tl::expected<void, std::string> enter();
  void leave();

 private:
  explicit Netns(std::string name) : name_(std::move(name)) {}

  std::string name_;
  int originalFd_ = -1;  // set while entered
};

// Installs the handler that deletes this process's namespaces and kills its running child on
// SIGINT, SIGTERM and SIGHUP. Call once, early.
void installCleanupHandler();

// The child process (group leader) running a peer command, killed by the handler; 0: none.
void setRunningChild(int pid);

// Deletes namespaces named kpxb<pid>-* whose process no longer exists (left by a kill -9).
// Returns how many it deleted.
int deleteStaleNamespaces();

}  // namespace kpx::bench
