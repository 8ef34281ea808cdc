#include "bench/child.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spawn.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>


namespace kpx::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr const char* kGnuTime = "/usr/bin/time";

double seconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

std::vector<char*> argvOf(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  return args;
}

}  // namespace

ChildResult runInNetns(Netns& ns, const std::vector<std::string>& argv,
                       const std::string& stdinPath, double timeoutS) {
  ChildResult result;
  const bool timed = access(kGnuTime, X_OK) == 0;
  const std::string rssFile = "/tmp/kpx-bench-rss." + std::to_string(getpid());
  std::vector<std::string> full;
  if (timed) full = {kGnuTime, "-f", "%M", "-o", rssFile, "--"};
  full.insert(full.end(), argv.begin(), argv.end());
  std::vector<char*> args = argvOf(full);

  int errPipe[2];
  if (pipe2(errPipe, O_CLOEXEC) != 0) return result;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO,
                                   stdinPath.empty() ? "/dev/null" : stdinPath.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, errPipe[1], STDERR_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);  // its own group: killed as one
  posix_spawnattr_setpgroup(&attr, 0);

  pid_t pid = -1;
  const auto start = Clock::now();
  auto entered = ns.enter();  // the child inherits this thread's namespace
  const int rc = entered ? posix_spawnp(&pid, args[0], &actions, &attr, args.data(), environ) : -1;
  ns.leave();
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(errPipe[1]);
  if (rc != 0) {
    close(errPipe[0]);
    result.errTail = entered ? std::string("spawn ") + args[0] + ": " + strerror(rc) : entered.error();
    return result;
  }
  setRunningChild(pid);

  // Collect stderr (kept short) until EOF; on the deadline, kill the child's group.
  char buf[4096];
  for (;;) {
    int waitMs = -1;
    if (timeoutS > 0) {
      const double left = timeoutS - std::chrono::duration<double>(Clock::now() - start).count();
      if (left <= 0) {
        kill(-pid, SIGKILL);
        result.timedOut = true;
        break;
      }
      waitMs = static_cast<int>(left * 1000) + 1;
    }
    pollfd p{errPipe[0], POLLIN, 0};
    const int n = poll(&p, 1, waitMs);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) continue;  // deadline check at the top
    const ssize_t got = read(errPipe[0], buf, sizeof(buf));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    result.errTail.append(buf, static_cast<size_t>(got));
    if (result.errTail.size() > 4000) result.errTail.erase(0, result.errTail.size() - 2000);
  }
  close(errPipe[0]);

  int status = 0;
  rusage ru{};
  while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {
  }
  result.wallS = std::chrono::duration<double>(Clock::now() - start).count();
  setRunningChild(0);
  result.userS = seconds(ru.ru_utime);  // includes its waited-for child: the tool
  result.sysS = seconds(ru.ru_stime);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (timed) {
    std::ifstream f(rssFile);
    f >> result.maxRssKiB;  // GNU time: the tool's own peak, in KiB
    unlink(rssFile.c_str());
  }
  if (result.ok()) result.errTail.clear();
  return result;
}

CommandResult runCommand(const std::vector<std::string>& argv) {
  CommandResult result;
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return result;
  std::vector<char*> args = argvOf(argv);
  const pid_t pid = fork();
  if (pid < 0) {
    close(out[0]);
    close(out[1]);
    return result;
  }
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    dup2(out[1], STDERR_FILENO);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(out[1]);
  char buf[65536];
  for (;;) {
    const ssize_t n = read(out[0], buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    result.output.append(buf, static_cast<size_t>(n));
  }
  close(out[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

bool haveExecutable(const std::string& name) {
  return runCommand({"sh", "-c", "command -v \"$0\" >/dev/null", name}).status == 0;
}

}  // namespace kpx::bench
