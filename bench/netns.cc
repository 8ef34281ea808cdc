#include "bench/netns.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "bench/child.h"

namespace kpx::bench {
namespace {

constexpr const char* kPrefix = "kpxb";
constexpr int kSlots = 8;
constexpr size_t kPathMax = 96;

// What the signal handler may touch: fixed buffers and atomics, no allocation.
char gPaths[kSlots][kPathMax];
std::atomic<bool> gUsed[kSlots];
std::atomic<int> gChild{0};
int gCounter = 0;

void registerPath(const std::string& path) {
  for (int i = 0; i < kSlots; ++i) {
    if (gUsed[i].load()) continue;
    std::snprintf(gPaths[i], kPathMax, "%s", path.c_str());
    gUsed[i].store(true);
    return;
  }
}

void unregisterPath(const std::string& path) {
  for (int i = 0; i < kSlots; ++i) {
    if (gUsed[i].load() && path == gPaths[i]) gUsed[i].store(false);
  }
}

// What `ip netns delete` does: detach the bind mount, remove the file. The namespace itself
// goes away when nothing holds it any more.
void removeNetnsFile(const char* path) {
  umount2(path, MNT_DETACH);
  unlink(path);
}

void onSignal(int sig) {
  const int child = gChild.load();
  if (child > 0) kill(-child, SIGKILL);  // its process group
  for (int i = 0; i < kSlots; ++i) {
    if (gUsed[i].load()) removeNetnsFile(gPaths[i]);
  }
  static const char msg[] = "kpx-bench: interrupted; namespaces deleted\n";
  ssize_t ignored = write(STDERR_FILENO, msg, sizeof(msg) - 1);
  (void)ignored;
  _exit(128 + sig);
}

bool sameFile(const char* a, const char* b) {
  struct stat sa {};
  struct stat sb {};
  if (stat(a, &sa) != 0 || stat(b, &sb) != 0) return false;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

}  // namespace

tl::expected<Netns, std::string> Netns::create() {
  const std::string name =
      std::string(kPrefix) + std::to_string(getpid()) + "-" + std::to_string(gCounter++);
  const CommandResult added = runCommand({"ip", "netns", "add", name});
  if (added.status != 0) return tl::unexpected("ip netns add " + name + ": " + added.output);
  Netns ns(name);  // from here on, the destructor deletes it
  registerPath(ns.path());
  const CommandResult lo = runCommand({"ip", "-n", name, "link", "set", "lo", "up"});
  if (lo.status != 0) return tl::unexpected("ip -n " + name + " link set lo up: " + lo.output);
  return ns;
}

Netns::Netns(Netns&& other) noexcept
    : name_(std::move(other.name_)), originalFd_(other.originalFd_) {
  other.name_.clear();
  other.originalFd_ = -1;
}

Netns::~Netns() {
  leave();
  if (name_.empty()) return;
  const std::string p = path();
  removeNetnsFile(p.c_str());  // only ever our own namespace, by its exact name
  unregisterPath(p);
}

tl::expected<void, std::string> Netns::enter() {
  if (originalFd_ >= 0) return {};
  const int original = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (original < 0) return tl::unexpected(std::string("open own netns: ") + strerror(errno));
  const std::string p = path();
  const int target = open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    close(original);
    return tl::unexpected("open " + p + ": " + strerror(errno));
  }
  const int rc = setns(target, CLONE_NEWNET);
  const int savedErrno = errno;
  close(target);
  if (rc != 0) {
    close(original);
    return tl::unexpected("setns " + p + ": " + strerror(savedErrno));
  }
  originalFd_ = original;
  // Never measure unless we are verifiably inside the new namespace.
  if (!sameFile("/proc/thread-self/ns/net", p.c_str()) ||
      sameFile("/proc/thread-self/ns/net", "/proc/1/ns/net")) {
    leave();
    return tl::unexpected("thread is not in " + name_ + " after setns");
  }
  return {};
}

void Netns::leave() {
  if (originalFd_ < 0) return;
  if (setns(originalFd_, CLONE_NEWNET) != 0) {
    std::fprintf(stderr, "kpx-bench: cannot go back to the original namespace: %s\n",
                 strerror(errno));
    std::abort();  // carrying on would run later steps in the wrong namespace
  }
  close(originalFd_);
  originalFd_ = -1;
}

void installCleanupHandler() {
  struct sigaction sa {};
  sa.sa_handler = onSignal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
}

void setRunningChild(int pid) { gChild.store(pid); }

int deleteStaleNamespaces() {
  int deleted = 0;
  DIR* dir = opendir("/run/netns");
  if (dir == nullptr) return 0;
  while (const dirent* e = readdir(dir)) {
    const std::string name = e->d_name;
    if (name.rfind(kPrefix, 0) != 0) continue;
    const size_t dash = name.find('-');
    if (dash == std::string::npos) continue;
    const std::string pid = name.substr(std::strlen(kPrefix), dash - std::strlen(kPrefix));
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (access(("/proc/" + pid).c_str(), F_OK) == 0) continue;  // its process still runs
    removeNetnsFile(("/run/netns/" + name).c_str());
    ++deleted;
  }
  closedir(dir);
  return deleted;
}

}  // namespace kpx::bench
