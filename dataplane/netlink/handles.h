// RAII, move-only owners for the C objects of libmnl and libnftnl. Each alias is a
// std::unique_ptr with a stateless deleter, so it costs one pointer and cannot leak on an
// early return. The make*() functions throw std::bad_alloc when the C allocator fails: an
// allocation failure is not a condition the dataplane can recover from object by object.
#pragma once

#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include <cstdint>
#include <memory>
#include <new>

namespace kpx::nft {

namespace detail {

template <auto FreeFn>
struct Deleter {
  template <typename T>
  void operator()(T* p) const noexcept {
    if (p != nullptr) FreeFn(p);
  }
};

// mnl_socket_close returns an int we have nothing to do with.
inline void closeMnlSocket(mnl_socket* s) {
  mnl_socket_close(s);
}

template <typename Ptr>
Ptr checked(typename Ptr::pointer raw) {
  if (raw == nullptr) throw std::bad_alloc();
  return Ptr(raw);
}

}  // namespace detail

using MnlSocketPtr = std::unique_ptr<mnl_socket, detail::Deleter<detail::closeMnlSocket>>;
using TablePtr = std::unique_ptr<nftnl_table, detail::Deleter<nftnl_table_free>>;
using ChainPtr = std::unique_ptr<nftnl_chain, detail::Deleter<nftnl_chain_free>>;
using RulePtr = std::unique_ptr<nftnl_rule, detail::Deleter<nftnl_rule_free>>;
using ExprPtr = std::unique_ptr<nftnl_expr, detail::Deleter<nftnl_expr_free>>;
using SetPtr = std::unique_ptr<nftnl_set, detail::Deleter<nftnl_set_free>>;
using SetElemPtr = std::unique_ptr<nftnl_set_elem, detail::Deleter<nftnl_set_elem_free>>;
using BatchPtr = std::unique_ptr<nftnl_batch, detail::Deleter<nftnl_batch_free>>;
using UdataBufPtr = std::unique_ptr<nftnl_udata_buf, detail::Deleter<nftnl_udata_buf_free>>;
using TableListPtr = std::unique_ptr<nftnl_table_list, detail::Deleter<nftnl_table_list_free>>;

inline TablePtr makeTable() {
  return detail::checked<TablePtr>(nftnl_table_alloc());
}
inline ChainPtr makeChain() {
  return detail::checked<ChainPtr>(nftnl_chain_alloc());
}
inline RulePtr makeRule() {
  return detail::checked<RulePtr>(nftnl_rule_alloc());
}
inline ExprPtr makeExpr(const char* name) {
  return detail::checked<ExprPtr>(nftnl_expr_alloc(name));
}
inline SetPtr makeSet() {
  return detail::checked<SetPtr>(nftnl_set_alloc());
}
inline SetElemPtr makeSetElem() {
  return detail::checked<SetElemPtr>(nftnl_set_elem_alloc());
}
inline UdataBufPtr makeUdataBuf(uint32_t size) {
  return detail::checked<UdataBufPtr>(nftnl_udata_buf_alloc(size));
}
// pageSize: bytes per page of the batch; overrun: the largest single message, which may
// spill past the page end before the batch moves on to a new page.
inline BatchPtr makeBatch(uint32_t pageSize, uint32_t overrun) {
  return detail::checked<BatchPtr>(nftnl_batch_alloc(pageSize, overrun));
}

}  // namespace kpx::nft
