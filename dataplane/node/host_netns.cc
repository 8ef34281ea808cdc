#include "dataplane/node/host_netns.h"

#include <sys/stat.h>

namespace kpx::node {

bool inHostNetworkNamespace(const std::filesystem::path& proc) {
  struct stat self {};
  struct stat init {};
  if (stat((proc / "self/ns/net").c_str(), &self) != 0) return false;
  if (stat((proc / "1/ns/net").c_str(), &init) != 0) return false;
  return self.st_dev == init.st_dev && self.st_ino == init.st_ino;
}

}  // namespace kpx::node
