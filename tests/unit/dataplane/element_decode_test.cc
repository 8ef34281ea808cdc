// element_decode.h names a bad set element from the bytes of the batch message that carried it
// (the error path of a failed commit). These messages are built as Batch builds them; truncated
// and corrupted copies, each in a buffer of exactly its size (so AddressSanitizer sees any read
// past it), must decode to less text or none, never crash.
#include "dataplane/netlink/element_decode.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/set.h>
#include <linux/netfilter/nf_tables.h>
#include <netinet/in.h>

#include <string>
#include <utility>
#include <vector>

#include "dataplane/netlink/key.h"
#include "dataplane/netlink/objects.h"

namespace kpx::nft {
namespace {

struct ElementMessage {
  std::vector<char> bytes;        // exactly nlmsg_len
  std::vector<uint32_t> offsets;  // where each element's nest starts
};

ElementMessage elementMessage(const std::vector<ElementSpec>& elements, uint32_t seq) {
  std::vector<char> buf(64 * 1024, 0);
  nlmsghdr* nlh =
      nftnl_nlmsg_build_hdr(buf.data(), NFT_MSG_NEWSETELEM, NFPROTO_IPV4, NLM_F_CREATE, seq);
  mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, "kpx");
  mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, "service-ips");
  nlattr* list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
  ElementMessage out;
  for (size_t i = 0; i < elements.size(); ++i) {
    out.offsets.push_back(nlh->nlmsg_len);
    SetElemPtr e = toNftnl(elements[i]);
    nftnl_set_elem_nlmsg_build(nlh, e.get(), static_cast<int>(i + 1));
  }
  mnl_attr_nest_end(nlh, list);
  buf.resize(nlh->nlmsg_len);
  out.bytes = std::move(buf);
  return out;
}

std::vector<uint8_t> vipKey(uint8_t last, uint16_t port) {
  const uint8_t addr[4] = {10, 96, 0, last};
  return KeyBuilder().bytes(addr).u8(IPPROTO_TCP).be16(port).take();
}

std::vector<ElementSpec> sample() {
  ElementSpec verdict;
  verdict.key = vipKey(1, 80);
  verdict.verdict = Verdict::goTo("service-ABCDEFGH-default/web/tcp/http");
  verdict.comment = "default/web:http";
  ElementSpec drop;
  drop.key = vipKey(2, 443);
  drop.verdict = Verdict::drop();
  ElementSpec data;
  data.key = KeyBuilder().hostU32(1).hostU32(2).hostU32(0).take();
  const uint8_t ep[4] = {10, 244, 1, 2};
  data.data = KeyBuilder().bytes(ep).be16(8080).take();
  data.timeout = std::chrono::seconds(30);
  return {verdict, drop, data};
}

// What the decoder says about each element of `bytes` (a possibly damaged copy), reached as
// Batch::describe reaches it: through findMessage over the page.
std::vector<std::string> describeAll(std::vector<char> bytes, uint32_t seq,
                                     const std::vector<uint32_t>& offsets) {
  std::vector<std::string> out;
  iovec page{bytes.data(), bytes.size()};
  const nlmsghdr* msg = findMessage(std::span(&page, 1), seq);
  for (uint32_t offset : offsets) out.push_back(describeElementAt(msg, offset));
  return out;
}

TEST(ElementDecodeTest, NamesEachElementFromTheMessageBytes) {
  const ElementMessage m = elementMessage(sample(), 4242);
  EXPECT_EQ(describeAll(m.bytes, 4242, m.offsets),
            (std::vector<std::string>{
                "0a600001 06000000 00500000 : goto service-ABCDEFGH-default/web/tcp/http",
                "0a600002 06000000 01bb0000 : drop",
                "01000000 02000000 00000000 : 0af40102 1f900000",
            }));
}

TEST(ElementDecodeTest, FindsTheMessageAmongPages) {
  const ElementMessage a = elementMessage(sample(), 1);
  const ElementMessage b = elementMessage(sample(), 2);
  std::vector<char> first = a.bytes;
  std::vector<char> second = b.bytes;
  std::vector<iovec> pages = {{first.data(), first.size()}, {second.data(), second.size()}};
  EXPECT_EQ(findMessage(pages, 1), reinterpret_cast<const nlmsghdr*>(first.data()));
  EXPECT_EQ(findMessage(pages, 2), reinterpret_cast<const nlmsghdr*>(second.data()));
  EXPECT_EQ(findMessage(pages, 3), nullptr);
  EXPECT_EQ(findMessage({}, 1), nullptr);
}

TEST(ElementDecodeTest, OffsetsThatAreNotAnElementGiveNothingOrLess) {
  const ElementMessage m = elementMessage(sample(), 7);
  EXPECT_EQ(describeElementAt(nullptr, m.offsets[0]), "");
  std::vector<uint32_t> odd = {0,
                               1,
                               4,
                               15,
                               16,
                               17,
                               static_cast<uint32_t>(m.bytes.size()),
                               static_cast<uint32_t>(m.bytes.size() - 1),
                               static_cast<uint32_t>(m.bytes.size() - 4),
                               0xfffffff0U,
                               0xffffffffU};
  for (uint32_t o = 0; o < m.bytes.size(); ++o) odd.push_back(o);
  const auto texts = describeAll(m.bytes, 7, odd);
  for (size_t i = 0; i < 11; ++i) EXPECT_EQ(texts[i], "") << "offset " << odd[i];
}

TEST(ElementDecodeTest, TruncatedMessagesDecodeWithinTheirBytes) {
  const ElementMessage m = elementMessage(sample(), 9);
  const auto whole = describeAll(m.bytes, 9, m.offsets);
  for (size_t len = 0; len < m.bytes.size(); ++len) {
    std::vector<char> cut(m.bytes.begin(), m.bytes.begin() + static_cast<long>(len));
    if (len >= sizeof(nlmsghdr))
      reinterpret_cast<nlmsghdr*>(cut.data())->nlmsg_len = static_cast<uint32_t>(len);
    const auto texts = describeAll(std::move(cut), 9, m.offsets);
    for (size_t i = 0; i < texts.size(); ++i) {
      // An element cut short is not described; one that fits is described as a whole.
      if (!texts[i].empty()) {
        EXPECT_EQ(texts[i], whole[i]) << "length " << len;
      }
      if (m.offsets[i] >= len) {
        EXPECT_EQ(texts[i], "") << "length " << len;
      }
    }
  }
}

TEST(ElementDecodeTest, CorruptedBytesNeverReadPastTheMessage) {
  const ElementMessage m = elementMessage(sample(), 11);
  for (size_t at = 0; at < m.bytes.size(); ++at) {
    for (uint8_t flip : {uint8_t{0xff}, uint8_t{0x01}, uint8_t{0x80}}) {
      std::vector<char> bad = m.bytes;
      bad[at] = static_cast<char>(static_cast<uint8_t>(bad[at]) ^ flip);
      EXPECT_NO_THROW(describeAll(std::move(bad), 11, m.offsets)) << "byte " << at;
    }
  }
}

// Attributes only a broken or hostile writer makes, placed last so that nothing of the message
// follows them: a verdict chain without its NUL, a verdict code shorter than 4 bytes.
TEST(ElementDecodeTest, AttributesCutShortAtTheEndOfTheMessage) {
  auto message = [](bool shortCode) {
    std::vector<char> buf(4096, 0);
    nlmsghdr* nlh =
        nftnl_nlmsg_build_hdr(buf.data(), NFT_MSG_NEWSETELEM, NFPROTO_IPV4, NLM_F_CREATE, 5);
    nlattr* list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
    const uint32_t offset = nlh->nlmsg_len;
    nlattr* elem = mnl_attr_nest_start(nlh, 1);
    nlattr* key = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
    const uint8_t k[4] = {10, 96, 0, 1};
    mnl_attr_put(nlh, NFTA_DATA_VALUE, sizeof(k), k);
    mnl_attr_nest_end(nlh, key);
    nlattr* data = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_DATA);
    nlattr* verdict = mnl_attr_nest_start(nlh, NFTA_DATA_VERDICT);
    if (shortCode) {
      mnl_attr_put(nlh, NFTA_VERDICT_CODE, 0, nullptr);
    } else {
      mnl_attr_put_u32(nlh, NFTA_VERDICT_CODE, htonl(static_cast<uint32_t>(NFT_GOTO)));
      mnl_attr_put(nlh, NFTA_VERDICT_CHAIN, 4, "abcd");  // no NUL, no padding
    }
    mnl_attr_nest_end(nlh, verdict);
    mnl_attr_nest_end(nlh, data);
    mnl_attr_nest_end(nlh, elem);
    mnl_attr_nest_end(nlh, list);
    buf.resize(nlh->nlmsg_len);
    return std::make_pair(buf, offset);
  };
  const auto [unterminated, at1] = message(false);
  EXPECT_EQ(describeAll(unterminated, 5, {at1}),
            (std::vector<std::string>{"0a600001 : goto abcd"}));
  const auto [shortCode, at2] = message(true);
  EXPECT_EQ(describeAll(shortCode, 5, {at2}), (std::vector<std::string>{"0a600001 : accept"}));
}

}  // namespace
}  // namespace kpx::nft
