// kube-proxy's oomScoreAdj (-999 by default): how readily the kernel's OOM killer picks the
// agent. Written to /proc/self/oom_score_adj only when it differs. Going below the value the
// process started with needs CAP_SYS_RESOURCE; without it the result is Failed with EACCES, which
// kube-proxy only logs.
#pragma once

#include <cstdint>
#include <filesystem>

#include "dataplane/node/setting_result.h"

namespace kpx::node {

// `file` is injectable for tests; the value is checked against the kernel's [-1000, 1000] by the
// configuration (watch/kube_proxy_config.cc), and the kernel refuses others with EINVAL.
SettingResult applyOomScoreAdj(int32_t value,
                               const std::filesystem::path& file = "/proc/self/oom_score_adj");

}  // namespace kpx::node
