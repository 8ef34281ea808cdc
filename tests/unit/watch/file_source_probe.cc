// kpx-file-source-probe: how much heap FileSource keeps for a directory of manifests, measured
// with mallinfo2() (bytes in use), no root and no kernel rules. Writes N JSON files as
// bench/agent_latency.py does (a v1 List of one Service and one EndpointSlice of M endpoints
// each), runs a watching FileSource on them, then prints, in bytes:
//   source  heap the source holds once it has published everything (the sink drops objects);
//   reread  the same after three files were replaced, one at a time, and re-read;
// and with --keep, what a ClusterSnapshot fed by the source adds (the sink's one copy).
//
// usage: kpx-file-source-probe [--services N] [--endpoints M] [--keep]
#include <malloc.h>
#include <stdlib.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>

#include "proxy/log.h"
#include "proxy/store.h"
#include "watch/file_source.h"

namespace {

namespace fs = std::filesystem;

size_t heapInUse() {
  malloc_trim(0);
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

long statusKiB(const char* field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::string(field).size()));
  return -1;
}

std::string ipOf(int n, int first) {
  return std::to_string(first + ((n >> 16) % 100)) + "." + std::to_string((n >> 8) & 255) + "." +
         std::to_string(n & 255);
}

// One file as bench/agent_latency.py writes it.
void writeService(const fs::path& dir, int i, int endpoints, int salt) {
  const std::string name = "svc-" + std::to_string(i);
  const std::string ip = "10.96." + std::to_string((i >> 8) & 255) + "." + std::to_string(i & 255);
  std::string eps;
  for (int j = 0; j < endpoints; ++j) {
    if (j > 0) eps += ", ";
    eps += R"({"addresses": ["10.)" + ipOf(i * endpoints + j + salt, 100) +
           R"("], "conditions": {"ready": true}, "nodeName": "bench-node"})";
  }
  const std::string text =
      R"({"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "Service", )"
      R"("metadata": {"name": ")" +
      name + R"(", "namespace": "bench"}, "spec": {"type": "ClusterIP", "clusterIP": ")" + ip +
      R"(", "clusterIPs": [")" + ip +
      R"("], "ports": [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080}]}}, )"
      R"({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": {"name": ")" +
      name + R"(-a", "namespace": "bench", "labels": {"kubernetes.io/service-name": ")" + name +
      R"("}}, "addressType": "IPv4", "ports": [{"name": "http", "protocol": "TCP", "port": 8080}], )"
      R"("endpoints": [)" +
      eps + "]}]}";
  const fs::path file = dir / (name + ".json");
  const fs::path tmp = dir / ("." + name + ".json.tmp");
  std::ofstream(tmp) << text;
  fs::rename(tmp, file);
}

class ProbeSink final : public kpx::EventSink {
 public:
  explicit ProbeSink(bool keep) : keep_(keep) {}

  void upsert(kpx::Object object) override {
    std::lock_guard lock(mutex_);
    ++upserts_;
    if (keep_) kpx::upsert(cluster_, std::move(object));
    changed_.notify_all();
  }
  void remove(kpx::ObjectKind kind, const std::string& key) override {
    std::lock_guard lock(mutex_);
    ++removes_;
    if (keep_) kpx::remove(cluster_, kind, key);
    changed_.notify_all();
  }
  void invalid(const kpx::ObjectError& error) override {
    std::fprintf(stderr, "invalid: %s\n", error.str().c_str());
  }
  void synced() override {
    std::lock_guard lock(mutex_);
    synced_ = true;
    changed_.notify_all();
  }

  // Waits until synced and at least `upserts` upserts were seen; false after 120 s.
  bool waitFor(size_t upserts) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(120),
                             [&] { return synced_ && upserts_ >= upserts; });
  }
  size_t upserts() {
    std::lock_guard lock(mutex_);
    return upserts_;
  }

 private:
  bool keep_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool synced_ = false;
  size_t upserts_ = 0;
  size_t removes_ = 0;
  kpx::ClusterSnapshot cluster_;
};

}  // namespace

int main(int argc, char** argv) {
  int services = 10'000;
  int endpoints = 10;
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--services" && i + 1 < argc) {
      services = std::atoi(argv[++i]);
    } else if (arg == "--endpoints" && i + 1 < argc) {
      endpoints = std::atoi(argv[++i]);
    } else if (arg == "--keep") {
      keep = true;
    } else {
      std::fprintf(stderr, "usage: %s [--services N] [--endpoints M] [--keep]\n", argv[0]);
      return 2;
    }
  }

  std::string pattern = (fs::temp_directory_path() / "kpx-probe-XXXXXX").string();
  if (!mkdtemp(pattern.data())) {
    std::perror("mkdtemp");
    return 1;
  }
  const fs::path dir = pattern;
  for (int i = 0; i < services; ++i) writeService(dir, i, endpoints, 0);

  const size_t before = heapInUse();
  const long rssBefore = statusKiB("VmRSS:");
  size_t loaded = 0;
  size_t reread = 0;
  size_t upserts = 0;
  double loadSeconds = 0;
  double rereadSeconds[3] = {};
  {
    ProbeSink sink(keep);
    kpx::FileSource source(
        dir, kpx::FileSourceOptions{.once = false, .debounce = std::chrono::milliseconds(50)});
    const auto start = std::chrono::steady_clock::now();
    std::jthread thread([&](std::stop_token stop) { source.run(sink, stop); });
    if (!sink.waitFor(static_cast<size_t>(services) * 2)) {
      std::fprintf(stderr, "FileSource did not publish everything\n");
      return 1;
    }
    loadSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    loaded = heapInUse() - before;
    upserts = sink.upserts();

    // Three changes: the first one also re-reads the files written just before the initial
    // load (too recent then to be trusted unchanged), the next ones show the steady state.
    for (int change = 0; change < 3; ++change) {
      const size_t seen = sink.upserts();
      const auto changed = std::chrono::steady_clock::now();
      writeService(dir, services / 2 + change, endpoints, 7);
      if (!sink.waitFor(seen + 1)) {
        std::fprintf(stderr, "the change was not published\n");
        return 1;
      }
      rereadSeconds[change] =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - changed).count();
      // The change is published before the tracker finishes its bookkeeping: let it settle.
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    reread = heapInUse() - before;
    upserts = sink.upserts() - upserts;
  }
  std::printf(
      "%d files (%d services x %d endpoints), sink %s\n"
      "  heap held after the initial load: %.1f MiB (%.0f bytes per object), %.2f s\n"
      "  heap held after 3 changed files (%zu upserts): %.1f MiB; each published after %.2f, %.2f, "
      "%.2f s\n"
      "  RSS %.1f MiB -> peak %.1f MiB\n",
      services, services, endpoints, keep ? "keeps a ClusterSnapshot" : "drops objects",
      static_cast<double>(loaded) / (1 << 20), static_cast<double>(loaded) / (2.0 * services),
      loadSeconds, upserts, static_cast<double>(reread) / (1 << 20), rereadSeconds[0],
      rereadSeconds[1], rereadSeconds[2], static_cast<double>(rssBefore) / 1024,
      static_cast<double>(statusKiB("VmHWM:")) / 1024);
  fs::remove_all(dir);
  return 0;
}
