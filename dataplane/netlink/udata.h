// Comments as nft stores them: a TLV blob (libnftnl udata) in the object's USERDATA
// attribute, type *_COMMENT (0 for tables, chains, rules, set elements; 7 for sets), value a
// NUL-terminated string. Storing them this way makes `nft list` print `comment "..."`.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kpx::nft {

// The kernel caps USERDATA at 256 bytes and nft caps comments at 128; longer comments are cut
// at 127 bytes (plus the terminating NUL) rather than rejected.
inline constexpr size_t kMaxCommentLen = 127;

std::vector<uint8_t> encodeComment(uint8_t type, std::string_view comment);

// A set's udata as nft writes it: key byte order, data byte order (maps), comment.
std::vector<uint8_t> encodeSetUdata(uint32_t keyByteorder, std::optional<uint32_t> dataByteorder,
                                    std::string_view comment);

// Returns the comment of the given type in a udata blob, or "" when it has none.
std::string decodeComment(std::span<const uint8_t> udata, uint8_t type);

}  // namespace kpx::nft
