// The parts of the nftables netlink layer that need no kernel: key layout, register encoding,
// udata, ack decoding and the expressions a building block emits (golden text, as printed by
// `nft --debug=netlink` for the same statement; EncodingTest checks them against nft itself).
// These run everywhere, root or not.
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <netinet/in.h>

#include <cstring>
#include <string>
#include <vector>

#include "dataplane/netlink/ack.h"
#include "dataplane/netlink/key.h"
#include "dataplane/netlink/matchers.h"
#include "dataplane/netlink/udata.h"

namespace kpx::nft {
namespace {

TEST(KeyTest, ConcatenationTypeAndLengthMatchNft) {
  // nft encodes `ipv4_addr . inet_proto . inet_service` as 0x730d, 12 bytes.
  const KeyLayout k =
      keyLayout({KeyField::ipv4Addr(), KeyField::inetProto(), KeyField::inetService()});
  EXPECT_EQ(k.type, 0x730dU);
  EXPECT_EQ(k.len, 12U);
  EXPECT_EQ(k.byteorder, ByteOrder::Invalid);
  EXPECT_EQ(keyLayout({KeyField::mark()}).byteorder, ByteOrder::Host);
  EXPECT_EQ(keyLayout({KeyField::ipv6Addr(), KeyField::mark()}).len, 20U);
}

TEST(KeyTest, EachComponentIsPaddedToFourBytes) {
  const uint8_t addr[4] = {10, 96, 0, 1};
  const auto key = KeyBuilder().bytes(addr).u8(6).be16(80).take();
  EXPECT_EQ(hexKey(key), "0a600001 06000000 00500000");
  uint32_t id = 0x2a;
  uint8_t expect[4];
  std::memcpy(expect, &id, 4);
  EXPECT_EQ(KeyBuilder().hostU32(0x2a).take(), std::vector<uint8_t>(expect, expect + 4));
}

TEST(RegisterTest, EncodedAsNftDoes) {
  EXPECT_EQ(encodeRegister(Reg{0}), static_cast<uint32_t>(NFT_REG_1));
  EXPECT_EQ(encodeRegister(Reg{1}), static_cast<uint32_t>(NFT_REG32_01));
  EXPECT_EQ(encodeRegister(Reg{2}), static_cast<uint32_t>(NFT_REG32_02));
  EXPECT_EQ(encodeRegister(Reg{4}), static_cast<uint32_t>(NFT_REG_2));
  EXPECT_EQ(encodeRegister(Reg{13}), static_cast<uint32_t>(NFT_REG32_13));
  EXPECT_EQ(Reg{0}.next(16), Reg{4});
  EXPECT_EQ(Reg{1}.next(1), Reg{2});
}

TEST(RuleBuilderTest, RegistersOutOfRangeAreRejected) {
  RuleBuilder r(Family::Ip6, "t", "c");
  EXPECT_THROW(r.payload(PayloadBase::Network, 8, 16, Reg{13}), std::out_of_range);
  EXPECT_NO_THROW(r.payload(PayloadBase::Network, 8, 16, Reg{12}));
}

TEST(UdataTest, CommentRoundTripAndTruncation) {
  const auto blob = encodeComment(0, "default/web:http");
  EXPECT_EQ(decodeComment(blob, 0), "default/web:http");
  EXPECT_EQ(decodeComment(blob, 1), "");
  const std::string longText(300, 'x');
  EXPECT_EQ(decodeComment(encodeComment(0, longText), 0).size(), kMaxCommentLen);
  const auto set = encodeSetUdata(1, 2, "c");
  EXPECT_EQ(decodeComment(set, NFTNL_UDATA_SET_COMMENT), "c");
}

TEST(AckTest, DecodesErrorsWithExtendedAckAttributes) {
  // An NLMSG_ERROR for seq 77, ENOENT, capped, with NLMSGERR_ATTR_OFFS and a message.
  std::vector<char> buf(512, 0);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = NLMSG_ERROR;
  nlh->nlmsg_flags = NLM_F_CAPPED | NLM_F_ACK_TLVS;
  nlh->nlmsg_seq = 77;
  auto* err = static_cast<nlmsgerr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nlmsgerr)));
  err->error = -ENOENT;
  err->msg.nlmsg_seq = 77;
  err->msg.nlmsg_type = 0x0a06;
  mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, 44);
  mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "no such chain");
  std::vector<Ack> acks;
  collectAcks(std::span<const char>(buf.data(), nlh->nlmsg_len), acks);
  ASSERT_EQ(acks.size(), 1U);
  EXPECT_EQ(acks[0].seq, 77U);
  EXPECT_EQ(acks[0].errnum, ENOENT);
  EXPECT_EQ(acks[0].attrOffset, 44U);
  EXPECT_EQ(acks[0].message, "no such chain");
  EXPECT_EQ(acks[0].requestType, 0x0a06);
}

TEST(MatchersTest, ConcatVmapUsesOneRegisterPerComponent) {
  RuleBuilder r(Family::Ip, "kpx", "services");
  matchConcatVmap(r, {Field::IpDaddr, Field::L4proto, Field::ThDport}, "service-ips");
  EXPECT_EQ(r.render(), (std::vector<std::string>{
                            "[ payload load 4b @ network header + 16 => reg 1 ]",
                            "[ meta load l4proto => reg 9 ]",
                            "[ payload load 2b @ transport header + 2 => reg 10 ]",
                            "[ lookup reg 1 set service-ips dreg 0 ]",
                        }));
}

TEST(MatchersTest, Ip6ConcatStartsTheNextComponentAfterSixteenBytes) {
  RuleBuilder r(Family::Ip6, "kpx", "services");
  matchConcatVmap(r, {Field::Ip6Daddr, Field::L4proto, Field::ThDport}, "service-ips");
  EXPECT_EQ(r.render(), (std::vector<std::string>{
                            "[ payload load 16b @ network header + 24 => reg 1 ]",
                            "[ meta load l4proto => reg 2 ]",
                            "[ payload load 2b @ transport header + 2 => reg 13 ]",
                            "[ lookup reg 1 set service-ips dreg 0 ]",
                        }));
}

TEST(MatchersTest, MarkAndDnatAndAffinity) {
  RuleBuilder mark(Family::Ip, "kpx", "c");
  setMarkBits(mark, 0x4000);
  EXPECT_EQ(mark.render(), (std::vector<std::string>{
                               "[ meta load mark => reg 1 ]",
                               "[ bitwise reg 1 = ( reg 1 & 0xffffbfff ) ^ 0x00004000 ]",
                               "[ meta set mark with reg 1 ]",
                           }));
  RuleBuilder dnat(Family::Ip, "kpx", "c");
  const uint8_t addr[4] = {10, 1, 2, 3};
  dnatTo(dnat, Family::Ip, addr, 8080);
  EXPECT_EQ(dnat.render(), (std::vector<std::string>{
                               "[ immediate reg 1 0x0302010a ]",
                               "[ immediate reg 2 0x0000901f ]",
                               "[ nat dnat ip addr_min reg 1 proto_min reg 2 flags 0x2 ]",
                           }));
  RuleBuilder slots(Family::Ip, "kpx", "c");
  serviceSlotVmap(slots, 42, 10, "service-slots");
  EXPECT_EQ(slots.render(), (std::vector<std::string>{
                                "[ immediate reg 1 0x0000002a ]",
                                "[ numgen reg 9 = random mod 10 ]",
                                "[ lookup reg 1 set service-slots dreg 0 ]",
                            }));
}

}  // namespace
}  // namespace kpx::nft
