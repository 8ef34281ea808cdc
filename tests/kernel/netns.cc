#include "tests/kernel/netns.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

namespace kpx::testing {

namespace {

std::atomic<int> gCounter{0};

bool sameFile(const char* a, const char* b) {
  struct stat sa {};
  struct stat sb {};
  if (stat(a, &sa) != 0 || stat(b, &sb) != 0) return false;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

ino_t inodeOf(int fd) {
  struct stat st {};
  if (fstat(fd, &st) != 0) return 0;
  return st.st_ino;
}

}  // namespace

CommandResult runCommand(const std::vector<std::string>& argv) {
  CommandResult result;
  int pipeFds[2];
  if (pipe2(pipeFds, O_CLOEXEC) != 0) return result;
  const pid_t pid = fork();
  if (pid < 0) {
    close(pipeFds[0]);
    close(pipeFds[1]);
    return result;
  }
  if (pid == 0) {
    dup2(pipeFds[1], STDOUT_FILENO);
    dup2(pipeFds[1], STDERR_FILENO);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(pipeFds[1]);
  char buf[65536];
  for (;;) {
    const ssize_t n = read(pipeFds[0], buf, sizeof(buf));
    if (n > 0) {
      result.output.append(buf, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  close(pipeFds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

bool haveExecutable(const std::string& name) {
  return runCommand({"sh", "-c", "command -v " + name + " >/dev/null"}).status == 0;
}

tl::expected<TestNetns, std::string> TestNetns::create() {
  const std::string name =
      "kpxt-" + std::to_string(getpid()) + "-" + std::to_string(gCounter.fetch_add(1));
  const int original = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (original < 0) return tl::unexpected(std::string("open own netns: ") + strerror(errno));

  const CommandResult added = runCommand({"ip", "netns", "add", name});
  if (added.status != 0) {
    close(original);
    return tl::unexpected("ip netns add " + name + " failed: " + added.output);
  }
  // From here on, the destructor deletes the namespace whatever happens.
  TestNetns ns(name, original);
  const std::string path = "/run/netns/" + name;
  const int target = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (target < 0) return tl::unexpected("open " + path + ": " + strerror(errno));
  const int rc = setns(target, CLONE_NEWNET);
  const int savedErrno = errno;
  close(target);
  if (rc != 0) return tl::unexpected("setns " + path + ": " + strerror(savedErrno));

  // Never carry on unless we are verifiably inside the new namespace.
  const int now = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  const bool moved = now >= 0 && inodeOf(now) != inodeOf(original);
  if (now >= 0) close(now);
  if (!moved || !sameFile("/proc/thread-self/ns/net", path.c_str())) {
    return tl::unexpected("thread is not in " + name + " after setns");
  }
  return ns;
}

TestNetns::TestNetns(TestNetns&& other) noexcept
    : name_(std::move(other.name_)), originalFd_(other.originalFd_) {
  other.name_.clear();
  other.originalFd_ = -1;
}

TestNetns::~TestNetns() {
  if (originalFd_ >= 0) {
    setns(originalFd_, CLONE_NEWNET);
    close(originalFd_);
  }
  // Only ever our own namespace, by its exact name.
  if (!name_.empty()) runCommand({"ip", "netns", "delete", name_});
}

CommandResult TestNetns::exec(std::vector<std::string> argv) const {
  std::vector<std::string> full = {"ip", "netns", "exec", name_};
  full.insert(full.end(), argv.begin(), argv.end());
  return runCommand(full);
}

}  // namespace kpx::testing
