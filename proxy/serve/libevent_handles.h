// Owning handles for libevent objects and file descriptors: every one is freed exactly once, in
// reverse order of creation when they are members declared in creation order.
#pragma once

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <unistd.h>

#include <memory>
#include <utility>

namespace kpx::serve {

struct EventBaseFree {
  void operator()(event_base* b) const { event_base_free(b); }
};
struct EventFree {
  void operator()(event* e) const { event_free(e); }
};
struct EvhttpFree {
  void operator()(evhttp* h) const { evhttp_free(h); }  // also closes its bound sockets
};

struct EvbufferFree {
  void operator()(evbuffer* b) const { evbuffer_free(b); }
};

using EventBasePtr = std::unique_ptr<event_base, EventBaseFree>;
using EventPtr = std::unique_ptr<event, EventFree>;
using EvhttpPtr = std::unique_ptr<evhttp, EvhttpFree>;
using EvbufferPtr = std::unique_ptr<evbuffer, EvbufferFree>;

// A file descriptor closed on destruction; release() hands it to a new owner.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

}  // namespace kpx::serve
