// The kernel's one-number files (/proc/sys/..., /sys/module/.../parameters/..., /proc/self/
// oom_score_adj): read whole, written with one write(2) as sysctl(8) does. Errors keep errno so
// a caller can tell a read-only setting (EACCES, EROFS) from a missing one (ENOENT).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include <tl/expected.hpp>

namespace kpx::node {

struct FileError {
  int errnum = 0;         // positive errno value; EINVAL when the content is not a number
  std::string operation;  // "open", "read", "write", "parse"
  std::string path;

  // "write /proc/sys/net/netfilter/nf_conntrack_max: Permission denied (errno 13)".
  std::string str() const;
};

tl::expected<int64_t, FileError> readIntFile(const std::filesystem::path& path);
// Never creates the file: a setting the kernel does not have is ENOENT, not a new file.
tl::expected<void, FileError> writeIntFile(const std::filesystem::path& path, int64_t value);

}  // namespace kpx::node
