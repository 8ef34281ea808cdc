#include "dataplane/netlink/objects.h"

#include <libnftnl/udata.h>

#include <string>

#include "dataplane/netlink/udata.h"

namespace kpx::nft {

SetSpec SetSpec::verdictMap(std::string name, KeyLayout key) {
  SetSpec spec;
  spec.name = std::move(name);
  spec.key = key;
  spec.dataType = kVerdictMapDataType;
  spec.dataLen = 0;
  return spec;
}

SetSpec SetSpec::dataMap(std::string name, KeyLayout key, KeyField data) {
  SetSpec spec;
  spec.name = std::move(name);
  spec.key = key;
  spec.dataType = static_cast<uint32_t>(data.type);
  spec.dataLen = (data.len + 3U) & ~3U;
  spec.dataByteorder = byteOrderOf(data.type);
  return spec;
}

SetSpec SetSpec::dataMap(std::string name, KeyLayout key, KeyLayout data) {
  SetSpec spec;
  spec.name = std::move(name);
  spec.key = key;
  spec.dataType = data.type;
  spec.dataLen = data.len;
  spec.dataByteorder = data.byteorder;
  return spec;
}

SetSpec SetSpec::set(std::string name, KeyLayout key) {
  SetSpec spec;
  spec.name = std::move(name);
  spec.key = key;
  return spec;
}

TablePtr toNftnl(Family family, const TableSpec& spec) {
  TablePtr t = tableRef(family, spec.name);
  if (!spec.comment.empty()) {
    const auto ud = encodeComment(NFTNL_UDATA_TABLE_COMMENT, spec.comment);
    nftnl_table_set_data(t.get(), NFTNL_TABLE_USERDATA, ud.data(), ud.size());
  }
  return t;
}

ChainPtr toNftnl(Family family, std::string_view table, const ChainSpec& spec) {
  ChainPtr c = chainRef(family, table, spec.name);
  if (spec.base) {
    nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TYPE, spec.base->type.c_str());
    nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_HOOKNUM, static_cast<uint32_t>(spec.base->hook));
    nftnl_chain_set_s32(c.get(), NFTNL_CHAIN_PRIO, spec.base->priority);
    nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_POLICY, static_cast<uint32_t>(spec.base->policy));
  }
  if (!spec.comment.empty()) {
    const auto ud = encodeComment(NFTNL_UDATA_CHAIN_COMMENT, spec.comment);
    nftnl_chain_set_data(c.get(), NFTNL_CHAIN_USERDATA, ud.data(), ud.size());
  }
  return c;
}

SetPtr toNftnl(Family family, std::string_view table, const SetSpec& spec) {
  SetPtr s = setRef(family, table, spec.name);
  uint32_t flags = spec.flags;
  if (spec.dataType) flags |= NFT_SET_MAP;
  if (spec.timeout.count() > 0) flags |= NFT_SET_TIMEOUT;
  nftnl_set_set_u32(s.get(), NFTNL_SET_FLAGS, flags);
  nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_TYPE, spec.key.type);
  nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_LEN, spec.key.len);
  if (spec.dataType) {
    nftnl_set_set_u32(s.get(), NFTNL_SET_DATA_TYPE, *spec.dataType);
    nftnl_set_set_u32(s.get(), NFTNL_SET_DATA_LEN, spec.dataLen);
  }
  if (spec.timeout.count() > 0) {
    nftnl_set_set_u64(s.get(), NFTNL_SET_TIMEOUT, static_cast<uint64_t>(spec.timeout.count()));
  }
  if (spec.size > 0) nftnl_set_set_u32(s.get(), NFTNL_SET_DESC_SIZE, spec.size);
  const auto ud = encodeSetUdata(
      static_cast<uint32_t>(spec.key.byteorder),
      spec.isMap() ? std::optional<uint32_t>(static_cast<uint32_t>(spec.dataByteorder))
                   : std::nullopt,
      spec.comment);
  nftnl_set_set_data(s.get(), NFTNL_SET_USERDATA, ud.data(), static_cast<uint32_t>(ud.size()));
  return s;
}

SetElemPtr toNftnl(const ElementSpec& spec) {
  SetElemPtr e = makeSetElem();
  nftnl_set_elem_set(e.get(), NFTNL_SET_ELEM_KEY, spec.key.data(),
                     static_cast<uint32_t>(spec.key.size()));
  if (spec.verdict) {
    nftnl_set_elem_set_u32(e.get(), NFTNL_SET_ELEM_VERDICT,
                           static_cast<uint32_t>(spec.verdict->code));
    if (!spec.verdict->chain.empty()) {
      nftnl_set_elem_set_str(e.get(), NFTNL_SET_ELEM_CHAIN, spec.verdict->chain.c_str());
    }
  } else if (!spec.data.empty()) {
    nftnl_set_elem_set(e.get(), NFTNL_SET_ELEM_DATA, spec.data.data(),
                       static_cast<uint32_t>(spec.data.size()));
  }
  if (spec.timeout.count() > 0) {
    nftnl_set_elem_set_u64(e.get(), NFTNL_SET_ELEM_TIMEOUT,
                           static_cast<uint64_t>(spec.timeout.count()));
  }
  if (!spec.comment.empty()) {
    const auto ud = encodeComment(NFTNL_UDATA_SET_ELEM_COMMENT, spec.comment);
    nftnl_set_elem_set(e.get(), NFTNL_SET_ELEM_USERDATA, ud.data(),
                       static_cast<uint32_t>(ud.size()));
  }
  return e;
}

TablePtr tableRef(Family family, std::string_view table) {
  TablePtr t = makeTable();
  nftnl_table_set_u32(t.get(), NFTNL_TABLE_FAMILY, familyValue(family));
  nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, std::string(table).c_str());
  return t;
}

ChainPtr chainRef(Family family, std::string_view table, std::string_view chain) {
  ChainPtr c = makeChain();
  nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_FAMILY, familyValue(family));
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TABLE, std::string(table).c_str());
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_NAME, std::string(chain).c_str());
  return c;
}

SetPtr setRef(Family family, std::string_view table, std::string_view set) {
  SetPtr s = makeSet();
  nftnl_set_set_u32(s.get(), NFTNL_SET_FAMILY, familyValue(family));
  nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, std::string(table).c_str());
  nftnl_set_set_str(s.get(), NFTNL_SET_NAME, std::string(set).c_str());
  return s;
}

}  // namespace kpx::nft
