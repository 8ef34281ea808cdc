#include "dataplane/node/oom_score_adj.h"

namespace kpx::node {

SettingResult applyOomScoreAdj(int32_t value, const std::filesystem::path& file) {
  return setIntFile(file.string(), file, value);
}

}  // namespace kpx::node
