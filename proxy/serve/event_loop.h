// One libevent event_base run by one thread, and a way for other threads to hand it work.
// Every libevent object on this base is touched only by the loop thread: other threads post()
// closures, which an eventfd wakes the loop to run. So libevent needs no locking (no
// evthread_use_pthreads, which would be process-wide state).
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <tl/expected.hpp>

#include "proxy/serve/libevent_handles.h"

namespace kpx::serve {

class EventLoop {
 public:
  static tl::expected<std::unique_ptr<EventLoop>, std::string> create();
  // Only create() can make the key: the constructor is public for make_unique alone.
  class Key {
    friend class EventLoop;
    Key() = default;
  };
  EventLoop(Key, EventBasePtr base, UniqueFd wakeFd);
  ~EventLoop();  // stop()
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  event_base* base() const { return base_.get(); }

  // Starts the loop thread. Objects created on base() before start() are safe to set up from
  // the creating thread; after start(), only from posted closures.
  void start();
  // Queues `task` for the loop thread, in posting order. Thread-safe. Returns false (and drops
  // the task) once stop() has begun; tasks still queued when the loop ends are dropped too.
  bool post(std::function<void()> task);
  // Runs `task` on the loop thread and waits for it; inline when called from the loop thread or
  // before start(). Returns false when the task could not run because the loop is stopping.
  bool runAndWait(const std::function<void()>& task);
  // Ends the loop and joins its thread; idempotent. Not from the loop thread.
  void stop();
  bool inLoopThread() const { return std::this_thread::get_id() == thread_.get_id(); }

 private:
  static void onWake(evutil_socket_t fd, short what, void* self);
  void runPosted();
  void wake();

  EventBasePtr base_;
  UniqueFd wakeFd_;
  EventPtr wakeEvent_;
  std::mutex mutex_;
  std::deque<std::function<void()>> tasks_;
  enum class State { Created, Running, Stopped };
  State state_ = State::Created;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace kpx::serve
