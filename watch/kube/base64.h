// Base64 as kubeconfig writes its *-data fields (RFC 4648, standard alphabet, padded; line breaks
// tolerated because hand-edited kubeconfigs wrap them).
#pragma once

#include <string>
#include <string_view>

#include <tl/expected.hpp>

namespace kpx::watch {

// The decoded bytes, or why the text is not base64 ("invalid character '#' at offset 12").
tl::expected<std::string, std::string> decodeBase64(std::string_view text);

}  // namespace kpx::watch
