#include "dataplane/netlink/udata.h"

#include <libnftnl/udata.h>

#include <cstring>

#include "dataplane/netlink/handles.h"

namespace kpx::nft {

std::vector<uint8_t> encodeComment(uint8_t type, std::string_view comment) {
  const std::string text(comment.substr(0, kMaxCommentLen));
  UdataBufPtr buf = makeUdataBuf(NFTNL_UDATA_COMMENT_MAXLEN + 16);
  if (!nftnl_udata_put_strz(buf.get(), type, text.c_str())) return {};
  const auto* data = static_cast<const uint8_t*>(nftnl_udata_buf_data(buf.get()));
  return std::vector<uint8_t>(data, data + nftnl_udata_buf_len(buf.get()));
}

std::vector<uint8_t> encodeSetUdata(uint32_t keyByteorder, std::optional<uint32_t> dataByteorder,
                                    std::string_view comment) {
  UdataBufPtr buf = makeUdataBuf(NFTNL_UDATA_COMMENT_MAXLEN + 64);
  nftnl_udata_put_u32(buf.get(), NFTNL_UDATA_SET_KEYBYTEORDER, keyByteorder);
  if (dataByteorder) nftnl_udata_put_u32(buf.get(), NFTNL_UDATA_SET_DATABYTEORDER, *dataByteorder);
  if (!comment.empty()) {
    const std::string text(comment.substr(0, kMaxCommentLen));
    nftnl_udata_put_strz(buf.get(), NFTNL_UDATA_SET_COMMENT, text.c_str());
  }
  const auto* data = static_cast<const uint8_t*>(nftnl_udata_buf_data(buf.get()));
  return std::vector<uint8_t>(data, data + nftnl_udata_buf_len(buf.get()));
}

std::string decodeComment(std::span<const uint8_t> udata, uint8_t type) {
  // Walked here rather than with nftnl_udata_parse, which trusts each TLV's length: udata comes
  // back from the kernel as anyone wrote it, and a truncated blob must yield "", not a read
  // past its end. Layout (libnftnl's struct nftnl_udata): type (1 byte), length (1 byte), value.
  std::string out;
  size_t at = 0;
  while (udata.size() - at >= 2) {
    const uint8_t attrType = udata[at];
    const size_t len = udata[at + 1];
    const size_t value = at + 2;
    if (len > udata.size() - value) break;  // truncated: nothing after it can be trusted
    if (attrType == type) {
      const auto* text = reinterpret_cast<const char*>(udata.data() + value);
      out.assign(text, strnlen(text, len));
    }
    at = value + len;
  }
  return out;
}

}  // namespace kpx::nft
