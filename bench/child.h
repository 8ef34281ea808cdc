// Child processes for kpx-bench: the peer's tools (`nft -f`, `iptables-legacy-restore`) run
// in a network namespace and timed: wall time around spawn + wait, CPU from wait4()'s rusage,
// peak RSS from GNU time's %M. They are posix_spawn()ed (vfork: no copy of this process's page
// tables, whatever its size) by this thread while it is inside the namespace, through
// /usr/bin/time when it is there: a child's ru_maxrss would otherwise start at this process's
// own peak.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bench/netns.h"

namespace kpx::bench {

struct ChildResult {
  double wallS = 0;
  double userS = 0;
  double sysS = 0;
  long maxRssKiB = 0;     // 0: unknown (no /usr/bin/time)
  int status = -1;        // exit code; -1: killed or could not run
  bool timedOut = false;
  std::string errTail;    // last bytes of stderr, when it failed
  bool ok() const { return status == 0 && !timedOut; }
};

// Runs argv inside `ns` (which must not be entered already), stdin from `stdinPath` (or
// /dev/null), stdout discarded. Kills it after `timeoutS` seconds (0: never).
ChildResult runInNetns(Netns& ns, const std::vector<std::string>& argv,
                       const std::string& stdinPath = "", double timeoutS = 0);

struct CommandResult {
  int status = -1;
  std::string output;  // stdout and stderr
};

// Runs argv in the current namespace and captures its output (setup commands: ip, python3).
CommandResult runCommand(const std::vector<std::string>& argv);

bool haveExecutable(const std::string& name);

}  // namespace kpx::bench
