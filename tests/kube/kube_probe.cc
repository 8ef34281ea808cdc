// kpx-kube-probe: runs KubeSource into a ClusterSnapshot, for the tests against the fake API
// server (tests/kube/test_kube_source.py). Speaks JSON lines:
//   stdout: {"op":"started"|"synced"|"upsert"|"remove"|"invalid"|"state"|"exit", "t": <ns of
//           CLOCK_MONOTONIC>, ...}; upsert/remove/invalid only with --events.
//   stdin:  "state" (prints the snapshot: key -> resourceVersion per kind, counters, RSS),
//           "quit" or EOF (stops the source; "exit" reports how long run() took to return).
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "proxy/log.h"
#include "proxy/store.h"
#include "watch/kube/kube_source.h"
#include "watch/object_parser.h"

namespace {

using kpx::watch::metaOf;

int64_t monotonicNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t rssKiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  return -1;
}

class Output {
 public:
  void print(nlohmann::json line) {
    line["t"] = monotonicNs();
    const std::string text = line.dump() + "\n";
    std::lock_guard lock(mutex_);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
  }

 private:
  std::mutex mutex_;
};

// The sink the sync loop would be: a ClusterSnapshot. Called from the source's threads (one at a
// time, KubeSource serializes) and read by the command loop, hence its own lock.
class SnapshotSink final : public kpx::EventSink {
 public:
  SnapshotSink(Output& out, bool events) : out_(out), events_(events) {}

  void upsert(kpx::Object object) override {
    std::lock_guard lock(mutex_);
    ++upserts_;
    if (events_)
      out_.print({{"op", "upsert"},
                  {"kind", kpx::toString(kpx::kindOf(object))},
                  {"key", kpx::keyOf(object)},
                  {"rv", metaOf(object).resourceVersion}});
    kpx::upsert(snapshot_, std::move(object));
  }
  void remove(kpx::ObjectKind kind, const std::string& key) override {
    std::lock_guard lock(mutex_);
    ++removes_;
    if (events_) out_.print({{"op", "remove"}, {"kind", kpx::toString(kind)}, {"key", key}});
    kpx::remove(snapshot_, kind, key);
  }
  void invalid(const kpx::ObjectError& error) override {
    std::lock_guard lock(mutex_);
    ++invalid_;
    if (events_) out_.print({{"op", "invalid"}, {"error", error.str()}});
  }
  void synced() override {
    std::lock_guard lock(mutex_);
    ++synced_;
    out_.print({{"op", "synced"}, {"count", synced_}});
  }

  nlohmann::json state() {
    std::lock_guard lock(mutex_);
    auto versions = [](const auto& map) {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& [key, object] : map) out[key] = object.meta.resourceVersion;
      return out;
    };
    return {{"op", "state"},
            {"synced", synced_},
            {"services", versions(snapshot_.services)},
            {"endpointslices", versions(snapshot_.slices)},
            {"nodes", versions(snapshot_.nodes)},
            {"upserts", upserts_},
            {"removes", removes_},
            {"invalid", invalid_},
            {"rss_kib", rssKiB()}};
  }

 private:
  std::mutex mutex_;
  Output& out_;
  bool events_;
  kpx::ClusterSnapshot snapshot_;
  int synced_ = 0;
  uint64_t upserts_ = 0, removes_ = 0, invalid_ = 0;
};

int usage() {
  std::cerr << "usage: kpx-kube-probe [--kubeconfig PATH] [--context NAME] [--master URL]\n"
               "         [--node-name NAME] [--events] [--stall-timeout-ms N]\n"
               "         [--backoff-initial-ms N] [--backoff-max-ms N] [--page-size N]\n"
               "         [--min-watch-timeout-s N] [-v N]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  kpx::ConnectionOptions connection;
  kpx::KubeSourceOptions options;
  bool events = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
      return argv[++i];
    };
    try {
      if (arg == "--kubeconfig")
        connection.kubeconfig = value();
      else if (arg == "--context")
        connection.context = value();
      else if (arg == "--master")
        connection.master = value();
      else if (arg == "--node-name")
        options.nodeName = value();
      else if (arg == "--events")
        events = true;
      else if (arg == "--stall-timeout-ms")
        options.http.stallTimeout = std::chrono::milliseconds(std::stoll(value()));
      else if (arg == "--backoff-initial-ms")
        options.informer.backoff.initial = std::chrono::milliseconds(std::stoll(value()));
      else if (arg == "--backoff-max-ms")
        options.informer.backoff.max = std::chrono::milliseconds(std::stoll(value()));
      else if (arg == "--page-size")
        options.informer.pageSize = std::stoll(value());
      else if (arg == "--min-watch-timeout-s")
        options.informer.minWatchTimeout = std::chrono::seconds(std::stoll(value()));
      else if (arg == "-v")
        kpx::log::setVerbosity(std::stoi(value()));
      else
        return usage();
    } catch (const std::exception& e) {
      std::cerr << "kpx-kube-probe: " << arg << ": " << e.what() << "\n";
      return usage();
    }
  }

  Output out;
  // RSS is meaningless under AddressSanitizer (its quarantine keeps freed memory): say so.
#if defined(__SANITIZE_ADDRESS__)
  constexpr bool kSanitized = true;
#else
  constexpr bool kSanitized = false;
#endif
  out.print({{"op", "started"}, {"sanitized", kSanitized}});
  auto source = kpx::makeKubeSource(connection, options);
  if (!source) {
    std::cerr << "kpx-kube-probe: " << source.error() << "\n";
    return 1;
  }
  SnapshotSink sink(out, events);
  std::stop_source stop;
  std::thread runner([&] { (*source)->run(sink, stop.get_token()); });

  std::string command;
  while (std::getline(std::cin, command)) {
    if (command == "state") out.print(sink.state());
    if (command == "quit") break;
  }
  const auto stopping = std::chrono::steady_clock::now();
  stop.request_stop();
  runner.join();
  const auto took = std::chrono::steady_clock::now() - stopping;
  nlohmann::json exit = sink.state();
  exit["op"] = "exit";
  exit["stop_ms"] = std::chrono::duration<double, std::milli>(took).count();
  out.print(exit);
  return 0;
}
