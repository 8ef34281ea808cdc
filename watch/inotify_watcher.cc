#include "watch/inotify_watcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

namespace kpx::watch {

tl::expected<InotifyWatcher, std::string> InotifyWatcher::create() {
  const int inotifyFd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotifyFd < 0) return tl::unexpected(std::string("inotify_init1: ") + std::strerror(errno));
  const int wakeFd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wakeFd < 0) {
    const int saved = errno;
    ::close(inotifyFd);
    return tl::unexpected(std::string("eventfd: ") + std::strerror(saved));
  }
  return InotifyWatcher(inotifyFd, wakeFd);
}

InotifyWatcher::InotifyWatcher(InotifyWatcher&& other) noexcept
    : inotifyFd_(std::exchange(other.inotifyFd_, -1)), wakeFd_(std::exchange(other.wakeFd_, -1)) {}

InotifyWatcher& InotifyWatcher::operator=(InotifyWatcher&& other) noexcept {
  if (this != &other) {
    close();
    inotifyFd_ = std::exchange(other.inotifyFd_, -1);
    wakeFd_ = std::exchange(other.wakeFd_, -1);
  }
  return *this;
}

InotifyWatcher::~InotifyWatcher() {
  close();
}

void InotifyWatcher::close() {
  if (inotifyFd_ >= 0) ::close(inotifyFd_);  // also drops every watch
  if (wakeFd_ >= 0) ::close(wakeFd_);
  inotifyFd_ = wakeFd_ = -1;
}

tl::expected<int, std::string> InotifyWatcher::add(const std::filesystem::path& path,
                                                   uint32_t mask) {
  const int wd = inotify_add_watch(inotifyFd_, path.c_str(), mask);
  if (wd < 0) return tl::unexpected(std::string(std::strerror(errno)));
  return wd;
}

void InotifyWatcher::remove(int wd) {
  inotify_rm_watch(inotifyFd_, wd);
}

void InotifyWatcher::interrupt() {
  const uint64_t one = 1;
  // A full counter (EAGAIN) already means "interrupted": nothing to do.
  [[maybe_unused]] const ssize_t n = ::write(wakeFd_, &one, sizeof one);
}

std::vector<InotifyWatcher::Event> InotifyWatcher::wait(
    std::optional<std::chrono::milliseconds> timeout) {
  std::array<pollfd, 2> fds{{{inotifyFd_, POLLIN, 0}, {wakeFd_, POLLIN, 0}}};
  const int timeoutMs = timeout ? static_cast<int>(std::max<int64_t>(0, timeout->count())) : -1;
  if (poll(fds.data(), fds.size(), timeoutMs) <= 0) return {};  // timeout, or EINTR
  std::vector<Event> events;
  if (fds[1].revents != 0 || !(fds[0].revents & POLLIN)) return events;
  // Aligned as struct inotify_event requires; big enough for many events per read.
  alignas(inotify_event) std::array<char, 16 * 1024> buffer;
  for (;;) {
    const ssize_t n = ::read(inotifyFd_, buffer.data(), buffer.size());
    if (n <= 0) break;  // EAGAIN: drained
    for (ssize_t offset = 0; offset < n;) {
      const auto* e = reinterpret_cast<const inotify_event*>(buffer.data() + offset);
      events.push_back(Event{.wd = e->wd, .mask = e->mask, .name = e->len ? e->name : ""});
      offset += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
    }
  }
  return events;
}

}  // namespace kpx::watch
