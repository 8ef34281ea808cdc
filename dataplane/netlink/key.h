// Set and map keys: nft's datatype numbers (the kernel stores them opaquely; `nft list` uses
// them to print elements) and the byte layout of concatenated keys.
//
// Concatenation layout, as nft encodes it (verified against `nft --debug=netlink` in
// tests/kernel): each component starts on a 4-byte boundary, i.e. in its own 32-bit register
// NFT_REG32_xx, so `ip daddr . meta l4proto . th dport` is 4 + 4 (1 used) + 4 (2 used) = 12
// bytes, and the kernel zero-fills the unused bytes of a register when it loads a short value.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

namespace kpx::nft {

// nft userspace datatype ids (nftables include/datatype.h). Only the kernel-opaque
// NFTA_SET_KEY_TYPE / NFTA_SET_DATA_TYPE carry them.
enum class DataType : uint32_t {
  Verdict = 1,
  Integer = 4,
  Ipv4Addr = 7,
  Ipv6Addr = 8,
  InetProto = 12,
  InetService = 13,
  Mark = 19,  // 32-bit, host byte order: used for service ids and endpoint slots
};

// nft's byte order tags. The kernel ignores them; nft reads them from the set's udata to print
// keys and data (without them it prints host-order data such as marks byte-swapped).
enum class ByteOrder : uint32_t { Invalid = 0, Host = 1, Big = 2 };
// Marks and integers are host order; addresses, protocols and ports network order.
ByteOrder byteOrderOf(DataType type);

// The data type of a verdict map, as the kernel expects it in NFTA_SET_DATA_TYPE.
inline constexpr uint32_t kVerdictMapDataType = 0xffffff00;  // NFT_DATA_VERDICT

struct KeyField {
  DataType type;
  uint32_t len;  // meaningful bytes, before padding to 4

  static constexpr KeyField ipv4Addr() { return {DataType::Ipv4Addr, 4}; }
  static constexpr KeyField ipv6Addr() { return {DataType::Ipv6Addr, 16}; }
  static constexpr KeyField inetProto() { return {DataType::InetProto, 1}; }
  static constexpr KeyField inetService() { return {DataType::InetService, 2}; }
  static constexpr KeyField mark() { return {DataType::Mark, 4}; }
};

struct KeyLayout {
  uint32_t type = 0;  // nft's concatenated type id: (t1 << 6 | t2) << 6 | t3 ...
  uint32_t len = 0;   // bytes, each component rounded up to 4
  ByteOrder byteorder = ByteOrder::Invalid;  // of a single-field key; Invalid for concatenations
};

// nft's encoding of a concatenated type (TYPE_BITS = 6 per component).
KeyLayout keyLayout(std::initializer_list<KeyField> fields);

// Builds the bytes of a (possibly concatenated) key in register layout. Byte order is the
// caller's: addresses and ports in network order, marks and ids in host order, exactly as
// the rule's loads put them in the registers.
class KeyBuilder {
 public:
  KeyBuilder& bytes(std::span<const uint8_t> data);  // padded to 4
  KeyBuilder& u8(uint8_t value);                     // e.g. an l4 protocol
  KeyBuilder& be16(uint16_t value);                  // e.g. a port
  KeyBuilder& hostU32(uint32_t value);               // e.g. a mark, a service id, a slot
  std::vector<uint8_t> take() { return std::move(key_); }

 private:
  std::vector<uint8_t> key_;
};

// "0a000001 06000000 00500000": for error messages and debugging.
std::string hexKey(std::span<const uint8_t> key);

}  // namespace kpx::nft
