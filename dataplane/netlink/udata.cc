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
  struct Ctx {
    uint8_t type;
    std::string out;
  } ctx{type, {}};
  auto cb = [](const nftnl_udata* attr, void* data) -> int {
    auto* c = static_cast<Ctx*>(data);
    if (nftnl_udata_type(attr) != c->type) return 0;
    const auto* value = static_cast<const char*>(nftnl_udata_get(attr));
    c->out.assign(value, strnlen(value, nftnl_udata_len(attr)));
    return 0;
  };
  if (udata.empty()) return {};
  nftnl_udata_parse(udata.data(), static_cast<uint32_t>(udata.size()), cb, &ctx);
  return ctx.out;
}

}  // namespace kpx::nft
