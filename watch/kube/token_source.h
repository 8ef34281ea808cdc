// The bearer token of a RestConfig, shared by the informers' clients. A token file is re-read
// whenever it changes (the kubelet rotates projected service account tokens by swapping a
// symlink), and after the server answered 401, like client-go's cached file token source.
#pragma once

#include <ctime>
#include <filesystem>
#include <mutex>
#include <string>

namespace kpx::watch {

class TokenSource {
 public:
  // `file` empty: `token` forever. Otherwise the file's content (trimmed) wins once read;
  // `token` is used until then.
  TokenSource(std::string token, std::filesystem::path file);

  // The token to send now; "" means no bearer token. Thread-safe; costs one stat() with a file.
  std::string token();
  // The server rejected the token: read the file again on the next call even if it looks
  // unchanged.
  void invalidate();

 private:
  struct FileStamp {
    dev_t device = 0;
    ino_t inode = 0;
    off_t size = -1;
    timespec modified{};
    bool operator==(const FileStamp& o) const;
  };
  void refreshLocked();

  std::mutex mutex_;
  std::string token_;
  std::filesystem::path file_;
  FileStamp stamp_;
  bool stale_ = true;
  bool warned_ = false;
};

}  // namespace kpx::watch
