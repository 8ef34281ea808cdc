#include "watch/kube/base64.h"

#include <array>
#include <cstdint>

namespace kpx::watch {
namespace {

constexpr int8_t kInvalid = -1;
constexpr int8_t kSkip = -2;  // whitespace

constexpr std::array<int8_t, 256> makeTable() {
  std::array<int8_t, 256> table{};
  for (auto& v : table) v = kInvalid;
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (size_t i = 0; i < kAlphabet.size(); ++i)
    table[static_cast<uint8_t>(kAlphabet[i])] = static_cast<int8_t>(i);
  for (char c : {' ', '\t', '\r', '\n'}) table[static_cast<uint8_t>(c)] = kSkip;
  return table;
}

constexpr std::array<int8_t, 256> kTable = makeTable();

}  // namespace

tl::expected<std::string, std::string> decodeBase64(std::string_view text) {
  std::string out;
  out.reserve(text.size() / 4 * 3);
  uint32_t accumulator = 0;
  int bits = 0;
  size_t symbols = 0;  // significant characters, padding included
  size_t padding = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<uint8_t>(text[i]);
    const int8_t value = kTable[c];
    if (value == kSkip) continue;
    if (c == '=') {
      ++padding;
      ++symbols;
      continue;
    }
    if (value == kInvalid || padding > 0)
      return tl::unexpected("invalid character '" + std::string(1, static_cast<char>(c)) +
                            "' at offset " + std::to_string(i));
    ++symbols;
    accumulator = (accumulator << 6) | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((accumulator >> bits) & 0xFF));
    }
  }
  if (symbols % 4 != 0 || padding > 2)
    return tl::unexpected("truncated: " + std::to_string(symbols) +
                          " characters is not a multiple of 4");
  return out;
}

}  // namespace kpx::watch
