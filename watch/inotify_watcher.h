// Linux inotify behind RAII (CONTRIBUTING.md, habit 5): one inotify instance with its watches, plus an
// eventfd so that another thread can cut a wait short (a Source's stop request).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <tl/expected.hpp>

namespace kpx::watch {

class InotifyWatcher {
 public:
  struct Event {
    int wd = -1;
    uint32_t mask = 0;  // IN_* bits; IN_Q_OVERFLOW (wd -1) when the kernel dropped events
    std::string name;   // the entry's name, for events on a watched directory's contents
  };

  static tl::expected<InotifyWatcher, std::string> create();
  InotifyWatcher(InotifyWatcher&& other) noexcept;
  InotifyWatcher& operator=(InotifyWatcher&& other) noexcept;
  InotifyWatcher(const InotifyWatcher&) = delete;
  InotifyWatcher& operator=(const InotifyWatcher&) = delete;
  ~InotifyWatcher();

  // Watches `path` (symlinks followed) for `mask`; the kernel returns the same descriptor for
  // the same inode, a new one when the path now names another file. Fails with strerror text.
  tl::expected<int, std::string> add(const std::filesystem::path& path, uint32_t mask);
  // Drops a watch; one the kernel already dropped (file deleted) is fine.
  void remove(int wd);

  // Blocks until events arrive, `timeout` passes (nullopt: no limit) or interrupt() is called;
  // returns the events read (none on timeout or interruption).
  std::vector<Event> wait(std::optional<std::chrono::milliseconds> timeout);
  // Thread-safe: makes the current wait() (and every later one) return at once.
  void interrupt();

 private:
  InotifyWatcher(int inotifyFd, int wakeFd) : inotifyFd_(inotifyFd), wakeFd_(wakeFd) {}
  void close();

  int inotifyFd_ = -1;
  int wakeFd_ = -1;  // eventfd
};

}  // namespace kpx::watch
