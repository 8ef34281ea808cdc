// A kubeconfig file (clientcmd's v1 Config) -> RestConfig for one context: clusters, users,
// contexts, current-context; file paths resolved against the kubeconfig's directory, *-data
// fields base64-decoded and kept in memory. Every error names the file and what is wrong in it.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "watch/kube/rest_config.h"

namespace kpx::watch {

// `context` empty: the file's current-context.
tl::expected<RestConfig, std::string> loadKubeconfig(const std::filesystem::path& path,
                                                     std::string_view context = {});

// The same from text already read; `path` names it in messages and anchors relative paths.
tl::expected<RestConfig, std::string> parseKubeconfig(std::string_view text,
                                                      const std::filesystem::path& path,
                                                      std::string_view context = {});

}  // namespace kpx::watch
