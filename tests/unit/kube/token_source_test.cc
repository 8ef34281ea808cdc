#include "watch/kube/token_source.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include "kube_test_util.h"

namespace kpx::watch {
namespace {

using testing::TempDir;

TEST(TokenSource, StaticToken) {
  TokenSource tokens("abc", "");
  EXPECT_EQ(tokens.token(), "abc");
  tokens.invalidate();
  EXPECT_EQ(tokens.token(), "abc");
}

TEST(TokenSource, FileWinsAndIsTrimmed) {
  TempDir dir;
  const auto file = dir.write("token", "  from-file \n");
  TokenSource tokens("static", file);
  EXPECT_EQ(tokens.token(), "from-file");
}

TEST(TokenSource, RereadWhenTheFileIsReplaced) {
  TempDir dir;
  const auto file = dir.write("token", "first");
  TokenSource tokens("", file);
  EXPECT_EQ(tokens.token(), "first");
  // As the kubelet does: write a new file, then rename it over the old one (new inode).
  dir.write("token.new", "second");
  std::filesystem::rename(dir.path() / "token.new", file);
  EXPECT_EQ(tokens.token(), "second");
}

TEST(TokenSource, RereadThroughAProjectedVolumeSymlinkSwap) {
  TempDir dir;
  dir.write("..2024_01/token", "old");
  dir.write("..2024_02/token", "new");
  std::filesystem::create_directory_symlink("..2024_01", dir.path() / "..data");
  std::filesystem::create_symlink("..data/token", dir.path() / "token");
  TokenSource tokens("", dir.path() / "token");
  EXPECT_EQ(tokens.token(), "old");
  std::filesystem::create_directory_symlink("..2024_02", dir.path() / "..data_tmp");
  std::filesystem::rename(dir.path() / "..data_tmp", dir.path() / "..data");
  EXPECT_EQ(tokens.token(), "new");
}

TEST(TokenSource, KeepsTheLastTokenWhileTheFileIsGone) {
  TempDir dir;
  const auto file = dir.write("token", "kept");
  TokenSource tokens("", file);
  EXPECT_EQ(tokens.token(), "kept");
  std::filesystem::remove(file);
  EXPECT_EQ(tokens.token(), "kept");
  dir.write("token", "back");
  EXPECT_EQ(tokens.token(), "back");
}

TEST(TokenSource, EmptyFileKeepsTheStaticToken) {
  TempDir dir;
  TokenSource tokens("static", dir.write("token", "\n"));
  EXPECT_EQ(tokens.token(), "static");
}

TEST(TokenSource, InvalidateRereadsAnUnchangedLookingFile) {
  TempDir dir;
  const auto file = dir.write("token", "aaaa");
  TokenSource tokens("", file);
  EXPECT_EQ(tokens.token(), "aaaa");
  // Same size, same inode, and the modification time put back: stat cannot see the change.
  struct stat before {};
  ASSERT_EQ(::stat(file.c_str(), &before), 0);
  {
    std::fstream out(file, std::ios::in | std::ios::out | std::ios::binary);
    out << "bbbb";
  }
  const timespec times[2] = {before.st_atim, before.st_mtim};
  ASSERT_EQ(::utimensat(AT_FDCWD, file.c_str(), times, 0), 0);
  EXPECT_EQ(tokens.token(), "aaaa");
  tokens.invalidate();  // what a 401 does
  EXPECT_EQ(tokens.token(), "bbbb");
}

}  // namespace
}  // namespace kpx::watch
