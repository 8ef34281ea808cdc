// Test doubles for watch/kube: a sink that records every call, a clock that never sleeps, one
// that tells when it sleeps, a transport that plays a script, and a temporary directory.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "proxy/clock.h"
#include "proxy/source.h"
#include "tests/unit/waiting.h"
#include "watch/kube/http_client.h"
#include "watch/object_parser.h"

namespace kpx::watch::testing {

// Every sink call as one line: "upsert Service default/a 5", "remove Service default/a",
// "invalid Service default/bad", "synced".
class RecordingSink final : public EventSink {
 public:
  void upsert(Object object) override {
    add("upsert " + std::string(toString(kindOf(object))) + " " + keyOf(object) + " " +
        metaOf(object).resourceVersion);
  }
  void remove(ObjectKind kind, const std::string& key) override {
    add("remove " + std::string(toString(kind)) + " " + key);
  }
  void invalid(const ObjectError& error) override {
    add("invalid " + error.kind + " " + error.object);
    std::lock_guard lock(mutex_);
    errors_.push_back(error);
  }
  void synced() override { add("synced"); }

  std::vector<std::string> calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  std::vector<ObjectError> errors() const {
    std::lock_guard lock(mutex_);
    return errors_;
  }
  size_t count(const std::string& call) const {
    std::lock_guard lock(mutex_);
    return static_cast<size_t>(std::count(calls_.begin(), calls_.end(), call));
  }
  // Blocks until `call` has been recorded (or the timeout passes).
  bool waitFor(const std::string& call, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] {
      return std::find(calls_.begin(), calls_.end(), call) != calls_.end();
    });
  }

 private:
  void add(std::string call) {
    std::lock_guard lock(mutex_);
    calls_.push_back(std::move(call));
    cv_.notify_all();
  }
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::string> calls_;
  std::vector<ObjectError> errors_;
};

// A clock that stands still and records the sleeps asked for (in ms), returning at once;
// requests `stop` after `maxSleeps`. Thread-safe.
class RecordingClock final : public Clock {
 public:
  explicit RecordingClock(std::stop_source* stop = nullptr, size_t maxSleeps = 1000)
      : stop_(stop), maxSleeps_(maxSleeps) {}
  TimePoint now() const override { return ManualClock::kStart; }
  WallTime wallNow() const override { return ManualClock::kWallStart; }
  bool sleepFor(std::chrono::nanoseconds d, std::stop_token stop) const override {
    std::lock_guard lock(mutex_);
    sleeps_.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
    if (sleeps_.size() >= maxSleeps_ && stop_ != nullptr) stop_->request_stop();
    return !stop.stop_requested();
  }
  std::vector<int64_t> sleeps() const {
    std::lock_guard lock(mutex_);
    return sleeps_;
  }

 private:
  mutable std::mutex mutex_;
  std::stop_source* stop_;
  size_t maxSleeps_;
  mutable std::vector<int64_t> sleeps_;
};

// The system clock, which also tells a test when a sleep has begun, so that a stop can be
// requested in the middle of a real one. Thread-safe.
class SleepWatchingClock final : public Clock {
 public:
  TimePoint now() const override { return system_.now(); }
  WallTime wallNow() const override { return system_.wallNow(); }
  bool sleepFor(std::chrono::nanoseconds d, std::stop_token stop) const override {
    {
      std::lock_guard lock(mutex_);
      ++sleeps_;
      slept_.notify_all();
    }
    return system_.sleepFor(d, stop);
  }
  // False when fewer than `n` sleeps began within the failure timeout.
  bool waitForSleeps(size_t n) const {
    std::unique_lock lock(mutex_);
    return slept_.wait_for(lock, kpx::test::kFailAfter, [&] { return sleeps_ >= n; });
  }

 private:
  SystemClock system_;
  mutable std::mutex mutex_;
  mutable std::condition_variable slept_;
  mutable size_t sleeps_ = 0;
};

// One scripted answer: for a GET, `result` (its body is the response); for a stream, `chunks`
// go to the handler first (until it refuses one: then the result is Aborted).
struct Step {
  HttpResult result;
  std::vector<std::string> chunks;
  bool blockUntilStopped = false;  // a watch that stays open and silent until stop
};

inline HttpResult ok(std::string body = {}) {
  return HttpResult{
      .end = HttpResult::End::Complete, .status = 200, .body = std::move(body), .error = {}};
}
inline HttpResult httpStatus(int64_t status, std::string body = {}) {
  return HttpResult{
      .end = HttpResult::End::Complete, .status = status, .body = std::move(body), .error = {}};
}
inline HttpResult failed(HttpResult::End end, std::string error = "connection reset") {
  return HttpResult{.end = end, .status = 0, .body = {}, .error = std::move(error)};
}

// The script and the targets requested, shared between the test and the client it hands over.
struct Script {
  std::mutex mutex;
  std::deque<Step> steps;
  std::vector<std::string> targets;
  std::stop_source* stopWhenDone = nullptr;  // requested when a call finds the script empty
};

class ScriptedHttpClient final : public HttpClient {
 public:
  explicit ScriptedHttpClient(std::shared_ptr<Script> script) : script_(std::move(script)) {}

  HttpResult get(const std::string& target, std::stop_token stop) override {
    Step step;
    if (!next(target, step, stop)) return failed(HttpResult::End::Stopped);
    return step.result;
  }

  HttpResult stream(const std::string& target, const ChunkHandler& onChunk,
                    std::stop_token stop) override {
    Step step;
    if (!next(target, step, stop)) return failed(HttpResult::End::Stopped);
    for (const std::string& chunk : step.chunks)
      if (!onChunk(chunk)) return failed(HttpResult::End::Aborted, "aborted by the handler");
    if (step.blockUntilStopped) {
      std::mutex m;
      std::condition_variable_any cv;
      std::unique_lock lock(m);
      cv.wait(lock, stop, [] { return false; });
      return failed(HttpResult::End::Stopped);
    }
    return step.result;
  }

  const std::string& server() const override { return server_; }

 private:
  bool next(const std::string& target, Step& step, std::stop_token stop) {
    std::lock_guard lock(script_->mutex);
    script_->targets.push_back(target);
    if (stop.stop_requested()) return false;
    if (script_->steps.empty()) {
      if (script_->stopWhenDone != nullptr) script_->stopWhenDone->request_stop();
      return false;
    }
    step = std::move(script_->steps.front());
    script_->steps.pop_front();
    return true;
  }

  std::shared_ptr<Script> script_;
  std::string server_ = "https://fake.test:6443";
};

inline nlohmann::json service(const std::string& name, const std::string& rv, int port = 80) {
  return {{"metadata", {{"name", name}, {"namespace", "default"}, {"resourceVersion", rv}}},
          {"spec",
           {{"type", "ClusterIP"},
            {"clusterIP", "10.96.0.10"},
            {"clusterIPs", {"10.96.0.10"}},
            {"ports", {{{"port", port}, {"protocol", "TCP"}, {"targetPort", 8080}}}}}}};
}

inline std::string list(const std::vector<nlohmann::json>& items, const std::string& rv,
                        const std::string& continueToken = "") {
  nlohmann::json meta = {{"resourceVersion", rv}};
  if (!continueToken.empty()) meta["continue"] = continueToken;
  return nlohmann::json{
      {"kind", "ServiceList"}, {"apiVersion", "v1"}, {"metadata", meta}, {"items", items}}
      .dump();
}

inline std::string event(const std::string& type, const nlohmann::json& object) {
  return nlohmann::json{{"type", type}, {"object", object}}.dump() + "\n";
}

inline std::string bookmark(const std::string& rv) {
  return event("BOOKMARK", {{"kind", "Service"}, {"metadata", {{"resourceVersion", rv}}}});
}

inline std::string statusBody(int code, const std::string& reason, const std::string& message) {
  return nlohmann::json{{"kind", "Status"}, {"apiVersion", "v1"}, {"status", "Failure"},
                        {"code", code},     {"reason", reason},   {"message", message}}
      .dump();
}

class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "kpx-kube-test-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path write(const std::string& name, const std::string& content) const {
    const auto file = path_ / name;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << content;
    return file;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace kpx::watch::testing
