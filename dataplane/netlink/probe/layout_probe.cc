// kpx_nft_layout_probe: times a full load of N services x M endpoints for each candidate
// endpoint-selection layout, then a few one-endpoint swaps and a full read-back, each layout
// in a forked child inside its own fresh network namespace (unshare(CLONE_NEWNET)), so the
// host's rules are never touched and every layout starts from an empty kernel table.
//
//   kpx_nft_layout_probe [--services N] [--endpoints M] [--layouts a,a2,b,c,d] [--swaps K]
//   [--shards S]
#include <sched.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "dataplane/netlink/batch.h"
#include "dataplane/netlink/probe/layouts.h"
#include "dataplane/netlink/reader.h"

namespace {

using kpx::nft::Batch;
using kpx::nft::Family;
using kpx::nft::Reader;
using kpx::nft::Socket;
using kpx::nft::probe::Layout;
using kpx::nft::probe::LayoutParams;
using Clock = std::chrono::steady_clock;

double seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

ino_t netnsInode() {
  struct stat st {};
  if (stat("/proc/self/ns/net", &st) != 0) return 0;
  return st.st_ino;
}

// Runs in the child: never returns.
[[noreturn]] void runLayout(const LayoutParams& params, int swaps) {
  const ino_t before = netnsInode();
  if (unshare(CLONE_NEWNET) != 0 || netnsInode() == before || netnsInode() == 0) {
    std::fprintf(stderr, "cannot enter a private network namespace: %s\n", std::strerror(errno));
    _exit(2);
  }
  auto socket = Socket::open();
  if (!socket) {
    std::fprintf(stderr, "%s\n", socket.error().str().c_str());
    _exit(2);
  }

  const auto t0 = Clock::now();
  Batch batch;
  kpx::nft::probe::buildFullLoad(batch, params);
  const auto t1 = Clock::now();
  auto stats = batch.commit(*socket);
  const auto t2 = Clock::now();
  if (!stats) {
    std::fprintf(stderr, "full load failed: %s\n", stats.error().str().c_str());
    _exit(1);
  }

  std::vector<double> swapTimes;
  for (int i = 1; i <= swaps; ++i) {
    const auto s0 = Clock::now();
    Batch swap;
    kpx::nft::probe::buildEndpointSwap(swap, params, params.services / 2, static_cast<uint32_t>(i));
    auto done = swap.commit(*socket);
    if (!done) {
      std::fprintf(stderr, "swap %d failed: %s\n", i, done.error().str().c_str());
      _exit(1);
    }
    swapTimes.push_back(seconds(Clock::now() - s0));
  }
  double swapMedian = 0;
  if (!swapTimes.empty()) {
    std::sort(swapTimes.begin(), swapTimes.end());
    swapMedian = swapTimes[swapTimes.size() / 2];
  }

  const auto d0 = Clock::now();
  Reader reader(*socket);
  auto contents = reader.table(Family::Ip, params.table);
  const auto d1 = Clock::now();
  if (!contents) {
    std::fprintf(stderr, "read back failed: %s\n", contents.error().str().c_str());
    _exit(1);
  }
  size_t elements = 0;
  for (const auto& s : contents->sets) elements += s.elements.size();

  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf(
      "| %s%s | %u x %u | %zu | %.1f | %.3f | %.3f | %.3f | %.3f | %.4f | %.3f | %zu/%zu/%zu | %ld "
      "|\n",
      kpx::nft::probe::layoutName(params.layout),
      params.layout == Layout::DnatMap && params.mapShards > 1
          ? (" x" + std::to_string(params.mapShards) + " maps").c_str()
          : "",
      params.services, params.endpoints, stats->messages,
      static_cast<double>(stats->bytes) / (1024.0 * 1024.0), seconds(t1 - t0), seconds(t2 - t1),
      static_cast<double>(stats->sendTime.count()) / 1e6,
      static_cast<double>(stats->ackTime.count()) / 1e6, swapMedian, seconds(d1 - d0),
      contents->chains.size(), contents->rules.size(), elements, usage.ru_maxrss / 1024);
  std::fflush(stdout);
  _exit(0);
}

bool parseLayouts(const std::string& spec, std::vector<Layout>& out) {
  size_t pos = 0;
  while (pos <= spec.size()) {
    const size_t comma = spec.find(',', pos);
    const std::string item =
        spec.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (item == "a") {
      out.push_back(Layout::ConcatVmap);
    } else if (item == "a2") {
      out.push_back(Layout::SlotKeyVmap);
    } else if (item == "b") {
      out.push_back(Layout::NumgenGoto);
    } else if (item == "c") {
      out.push_back(Layout::DnatMap);
    } else if (item == "d") {
      out.push_back(Layout::NumgenDnat);
    } else {
      return false;
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  LayoutParams params;
  params.services = 10000;
  params.endpoints = 10;
  int swaps = 5;
  std::vector<Layout> layouts;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool hasValue = i + 1 < argc;
    if (arg == "--services" && hasValue) {
      params.services = static_cast<uint32_t>(std::stoul(argv[++i]));
    } else if (arg == "--endpoints" && hasValue) {
      params.endpoints = static_cast<uint32_t>(std::stoul(argv[++i]));
    } else if (arg == "--shards" && hasValue) {
      params.mapShards = static_cast<uint32_t>(std::stoul(argv[++i]));
    } else if (arg == "--swaps" && hasValue) {
      swaps = std::stoi(argv[++i]);
    } else if (arg == "--layouts" && hasValue) {
      if (!parseLayouts(argv[++i], layouts)) {
        std::fprintf(stderr, "--layouts takes a comma list of a, a2, b, c, d\n");
        return 2;
      }
    } else {
      std::fprintf(stderr,
                   "usage: %s [--services N] [--endpoints M] [--layouts a,a2,b,c,d] [--swaps K] "
                   "[--shards S]\n",
                   argv[0]);
      return 2;
    }
  }
  if (layouts.empty()) {
    layouts = {Layout::ConcatVmap, Layout::SlotKeyVmap, Layout::NumgenGoto, Layout::DnatMap,
               Layout::NumgenDnat};
  }
  if (geteuid() != 0) {
    std::fprintf(stderr, "needs root (CAP_SYS_ADMIN for unshare, CAP_NET_ADMIN for nf_tables)\n");
    return 2;
  }

  std::printf(
      "| layout | services x endpoints | messages | MiB | build s | commit s | sendmsg s "
      "| acks s | swap s (median) | read-back s | chains/rules/elements | max RSS MiB |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  std::fflush(stdout);
  int failures = 0;
  for (Layout layout : layouts) {
    params.layout = layout;
    const pid_t pid = fork();
    if (pid < 0) {
      std::perror("fork");
      return 1;
    }
    if (pid == 0) runLayout(params, swaps);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failures;
  }
  return failures == 0 ? 0 : 1;
}
