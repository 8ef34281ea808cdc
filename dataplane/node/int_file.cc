#include "dataplane/node/int_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <utility>

namespace kpx::node {
namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // close(2) once and report it: on some filesystems a write error only shows up here.
  int close() { return ::close(std::exchange(fd_, -1)); }

 private:
  int fd_;
};

FileError fail(int errnum, const char* operation, const std::filesystem::path& path) {
  return FileError{.errnum = errnum, .operation = operation, .path = path.string()};
}

bool isSpace(char c) {
  return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

}  // namespace

std::string FileError::str() const {
  return operation + " " + path + ": " + strerror(errnum) + " (errno " + std::to_string(errnum) +
         ")";
}

tl::expected<int64_t, FileError> readIntFile(const std::filesystem::path& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return tl::unexpected(fail(errno, "open", path));
  char buf[64];
  size_t len = 0;
  while (len < sizeof(buf)) {
    const ssize_t n = ::read(fd.get(), buf + len, sizeof(buf) - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return tl::unexpected(fail(errno, "read", path));
    if (n == 0) break;
    len += static_cast<size_t>(n);
  }
  const char* begin = buf;
  const char* end = buf + len;
  while (begin < end && isSpace(*begin)) ++begin;
  while (end > begin && isSpace(end[-1])) --end;
  int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(begin, end, value);
  if (begin == end || ec != std::errc() || ptr != end)
    return tl::unexpected(fail(EINVAL, "parse", path));
  return value;
}

tl::expected<void, FileError> writeIntFile(const std::filesystem::path& path, int64_t value) {
  // O_TRUNC matters only for ordinary files (the tests' trees): proc and sysfs ignore it.
  Fd fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
  if (fd.get() < 0) return tl::unexpected(fail(errno, "open", path));
  const std::string text = std::to_string(value) + "\n";
  ssize_t n;
  do {
    n = ::write(fd.get(), text.data(), text.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) return tl::unexpected(fail(errno, "write", path));
  // The kernel takes a sysctl in one write or not at all; a short write is a refusal.
  if (static_cast<size_t>(n) != text.size()) return tl::unexpected(fail(EIO, "write", path));
  if (fd.close() != 0) return tl::unexpected(fail(errno, "close", path));
  return {};
}

}  // namespace kpx::node
