#include "dataplane/netlink/key.h"

#include <cstring>

namespace kpx::nft {

namespace {
constexpr uint32_t kTypeBits = 6;
constexpr uint32_t round4(uint32_t n) {
  return (n + 3U) & ~3U;
}
}  // namespace

ByteOrder byteOrderOf(DataType type) {
  switch (type) {
    case DataType::Verdict:
      return ByteOrder::Invalid;
    case DataType::Integer:
    case DataType::Mark:
      return ByteOrder::Host;
    case DataType::Ipv4Addr:
    case DataType::Ipv6Addr:
    case DataType::InetProto:
    case DataType::InetService:
      return ByteOrder::Big;
  }
  return ByteOrder::Invalid;
}

KeyLayout keyLayout(std::initializer_list<KeyField> fields) {
  KeyLayout layout;
  for (const KeyField& f : fields) {
    layout.type = (layout.type << kTypeBits) | static_cast<uint32_t>(f.type);
    layout.len += round4(f.len);
  }
  // nft tags a concatenation as Invalid: each component then takes its datatype's order.
  if (fields.size() == 1) layout.byteorder = byteOrderOf(fields.begin()->type);
  return layout;
}

KeyBuilder& KeyBuilder::bytes(std::span<const uint8_t> data) {
  key_.insert(key_.end(), data.begin(), data.end());
  key_.resize(key_.size() + (round4(static_cast<uint32_t>(data.size())) - data.size()), 0);
  return *this;
}

KeyBuilder& KeyBuilder::u8(uint8_t value) {
  return bytes(std::span<const uint8_t>(&value, 1));
}

KeyBuilder& KeyBuilder::be16(uint16_t value) {
  const uint8_t b[2] = {static_cast<uint8_t>(value >> 8), static_cast<uint8_t>(value & 0xff)};
  return bytes(b);
}

KeyBuilder& KeyBuilder::hostU32(uint32_t value) {
  uint8_t b[4];
  std::memcpy(b, &value, sizeof(b));
  return bytes(b);
}

std::string hexKey(std::span<const uint8_t> key) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(key.size() * 2 + key.size() / 4);
  for (size_t i = 0; i < key.size(); ++i) {
    if (i != 0 && i % 4 == 0) out += ' ';
    out += kDigits[key[i] >> 4];
    out += kDigits[key[i] & 0xf];
  }
  return out;
}

}  // namespace kpx::nft
