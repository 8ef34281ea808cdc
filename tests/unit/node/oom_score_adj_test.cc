// oom_score_adj: against a temporary file, and once for real in a forked child (raising it
// needs no privilege and the child's value dies with it).
#include "dataplane/node/oom_score_adj.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dataplane/node/int_file.h"
#include "temp_tree.h"

namespace kpx::node {
namespace {

TEST(OomScoreAdj, WritesOnlyWhenItDiffers) {
  testing::TempTree tree;
  tree.put("oom_score_adj", "0\n");
  const auto file = tree.root() / "oom_score_adj";
  const SettingResult first = applyOomScoreAdj(-999, file);
  EXPECT_EQ(first.outcome, Outcome::Applied) << first.str();
  EXPECT_EQ(first.previous, 0);
  EXPECT_EQ(tree.get("oom_score_adj"), "-999\n");
  const SettingResult again = applyOomScoreAdj(-999, file);
  EXPECT_EQ(again.outcome, Outcome::Unchanged);
  EXPECT_EQ(again.str(), file.string() + " is already -999");
}

TEST(OomScoreAdj, MissingFileFails) {
  testing::TempTree tree;
  const SettingResult r = applyOomScoreAdj(-999, tree.root() / "oom_score_adj");
  EXPECT_EQ(r.outcome, Outcome::Failed);
  EXPECT_EQ(r.errnum, ENOENT);
}

TEST(OomScoreAdj, RealProcSelfOfAForkedChild) {
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // Exit codes: 0 ok, 1 could not read, 2 not applied, 3 wrong value afterwards.
    const auto before = readIntFile("/proc/self/oom_score_adj");
    if (!before) _exit(1);
    const int32_t wanted = *before >= 1000 ? 1000 : static_cast<int32_t>(*before + 1);
    const SettingResult r = applyOomScoreAdj(wanted);
    if (r.outcome != (wanted == *before ? Outcome::Unchanged : Outcome::Applied)) _exit(2);
    const auto after = readIntFile("/proc/self/oom_score_adj");
    _exit(after && *after == wanted ? 0 : 3);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace kpx::node
