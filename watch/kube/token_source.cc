#include "watch/kube/token_source.h"

#include <sys/stat.h>

#include <cctype>
#include <fstream>
#include <sstream>

#include "proxy/log.h"

namespace kpx::watch {

bool TokenSource::FileStamp::operator==(const FileStamp& o) const {
  return device == o.device && inode == o.inode && size == o.size &&
         modified.tv_sec == o.modified.tv_sec && modified.tv_nsec == o.modified.tv_nsec;
}

TokenSource::TokenSource(std::string token, std::filesystem::path file)
    : token_(std::move(token)), file_(std::move(file)) {}

std::string TokenSource::token() {
  std::lock_guard lock(mutex_);
  if (!file_.empty()) refreshLocked();
  return token_;
}

void TokenSource::invalidate() {
  std::lock_guard lock(mutex_);
  stale_ = true;
}

void TokenSource::refreshLocked() {
  struct stat st {};
  // stat() follows the ..data symlink of a projected volume: a rotation shows as a new inode.
  if (::stat(file_.c_str(), &st) != 0) {
    if (!warned_) log::warn("token file " + file_.string() + " unreadable; keeping the last token");
    warned_ = true;
    return;
  }
  const FileStamp now{st.st_dev, st.st_ino, st.st_size, st.st_mtim};
  if (!stale_ && now == stamp_) return;
  std::ifstream in(file_, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) {
    if (!warned_) log::warn("token file " + file_.string() + " unreadable; keeping the last token");
    warned_ = true;
    return;
  }
  std::string token = text.str();
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.front())))
    token.erase(0, 1);
  if (token.empty()) {
    if (!warned_) log::warn("token file " + file_.string() + " is empty; keeping the last token");
    warned_ = true;
    return;
  }
  if (!token_.empty() && token != token_)
    log::info("token file " + file_.string() + " changed: reloaded");
  token_ = std::move(token);
  stamp_ = now;
  stale_ = false;
  warned_ = false;
}

}  // namespace kpx::watch
