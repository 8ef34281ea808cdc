#include "proxy/serve/event_loop.h"

#include <sys/eventfd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <future>

#include "proxy/log.h"

namespace kpx::serve {

tl::expected<std::unique_ptr<EventLoop>, std::string> EventLoop::create() {
  EventBasePtr base(event_base_new());
  if (!base) return tl::unexpected<std::string>("event_base_new failed");
  UniqueFd fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!fd) return tl::unexpected(std::string("eventfd: ") + std::strerror(errno));
  auto loop = std::make_unique<EventLoop>(Key{}, std::move(base), std::move(fd));
  loop->wakeEvent_.reset(event_new(loop->base(), loop->wakeFd_.get(), EV_READ | EV_PERSIST,
                                   &EventLoop::onWake, loop.get()));
  if (!loop->wakeEvent_ || event_add(loop->wakeEvent_.get(), nullptr) != 0) {
    return tl::unexpected<std::string>("cannot watch the event loop's eventfd");
  }
  return loop;
}

EventLoop::EventLoop(Key, EventBasePtr base, UniqueFd wakeFd)
    : base_(std::move(base)), wakeFd_(std::move(wakeFd)) {}

EventLoop::~EventLoop() {
  stop();
  wakeEvent_.reset();  // before the base it belongs to
}

void EventLoop::start() {
  {
    std::lock_guard lock(mutex_);
    if (state_ != State::Created) return;
    state_ = State::Running;
  }
  thread_ = std::thread([this] {
    // Returns on the event_base_loopbreak that stop() queues; the wake event keeps the loop
    // from running out of events before that.
    if (event_base_dispatch(base_.get()) < 0) log::error("http: event loop failed");
  });
}

bool EventLoop::post(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    if (state_ == State::Stopped) return false;
    tasks_.push_back(std::move(task));
  }
  wake();
  return true;
}

void EventLoop::wake() {
  const uint64_t one = 1;
  // EAGAIN means the counter is saturated: the loop is already due to wake.
  [[maybe_unused]] ssize_t n = ::write(wakeFd_.get(), &one, sizeof one);
}

bool EventLoop::runAndWait(const std::function<void()>& task) {
  {
    std::lock_guard lock(mutex_);
    if (state_ == State::Stopped) return false;
    if (state_ == State::Created) {
      task();
      return true;
    }
  }
  if (inLoopThread()) {
    task();
    return true;
  }
  // The promise lives in the task: if the task is dropped unrun, the future reports it.
  auto done = std::make_shared<std::promise<void>>();
  auto future = done->get_future();
  if (!post([done, &task] {
        task();
        done->set_value();
      })) {
    return false;
  }
  try {
    future.get();
    return true;
  } catch (const std::future_error&) {
    return false;  // dropped: the loop ended first
  }
}

void EventLoop::stop() {
  {
    std::lock_guard lock(mutex_);
    if (state_ != State::Running) {
      state_ = State::Stopped;
      return;
    }
    // The break goes in last, under the same lock that closes the queue: everything accepted
    // before it runs first.
    state_ = State::Stopped;
    tasks_.push_back([this] { event_base_loopbreak(base_.get()); });
  }
  wake();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mutex_);
  tasks_.clear();
}

void EventLoop::onWake(evutil_socket_t fd, short /*what*/, void* self) {
  uint64_t count = 0;
  [[maybe_unused]] ssize_t n = ::read(fd, &count, sizeof count);
  static_cast<EventLoop*>(self)->runPosted();
}

void EventLoop::runPosted() {
  std::deque<std::function<void()>> batch;
  {
    std::lock_guard lock(mutex_);
    batch.swap(tasks_);
  }
  for (auto& task : batch) task();
}

}  // namespace kpx::serve
