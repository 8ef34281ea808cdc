// The nftables netlink layer without a kernel: key layout, register encoding, udata, ack
// decoding, the expressions each building block emits and how a batch is assembled. The
// expression goldens are as `nft --debug=netlink` prints them; tests/kernel/encoding_test.cc
// checks the same building blocks against nft itself.
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <libnftnl/set.h>
#include <linux/netlink.h>
#include <netinet/in.h>

#include <cstring>
#include <string>
#include <vector>

#include "dataplane/netlink/ack.h"
#include "dataplane/netlink/batch.h"
#include "dataplane/netlink/key.h"
#include "dataplane/netlink/matchers.h"
#include "dataplane/netlink/objects.h"
#include "dataplane/netlink/udata.h"

namespace kpx::nft {
namespace {

using Lines = std::vector<std::string>;

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
  EXPECT_EQ(hexKey({}), "");
}

TEST(TypesTest, NamesAsNftSpellsThem) {
  EXPECT_EQ(familyName(Family::Ip6), "ip6");
  EXPECT_EQ(hookName(Hook::Postrouting), "postrouting");
  EXPECT_EQ(Verdict::goTo("svc-1").str(), "goto svc-1");
  EXPECT_EQ(Verdict::ret().str(), "return");
  // A code the kernel does not define still prints.
  EXPECT_EQ((Verdict{static_cast<VerdictCode>(12345), "x"}).str(), "unknown");
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

TEST(RuleBuilderTest, RegistersOutOfRangeFailTheRuleInsteadOfThrowing) {
  RuleBuilder r(Family::Ip6, "t", "c");
  EXPECT_NO_THROW(r.payload(PayloadBase::Network, 8, 16, Reg{12}));
  EXPECT_TRUE(r.ok());
  EXPECT_NO_THROW(r.payload(PayloadBase::Network, 8, 16, Reg{13}));
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.error().find("payload: nftables register 13 + 16 bytes out of range"),
            std::string::npos)
      << r.error();
  EXPECT_EQ(r.expressionCount(), 1U);  // the bad one is left out
  // The first error is kept.
  r.meta(NFT_META_MARK, Reg{16}).lookup("s", Reg{20});
  EXPECT_NE(r.error().find("payload"), std::string::npos);

  for (auto bad : std::vector<std::function<void(RuleBuilder&)>>{
           [](RuleBuilder& b) { b.meta(NFT_META_MARK, Reg{16}); },
           [](RuleBuilder& b) { b.ct(NFT_CT_STATE, Reg{200}); },
           [](RuleBuilder& b) { b.numgenRandom(3, Reg{16}); },
           [](RuleBuilder& b) { b.immediate(Reg{15}, std::vector<uint8_t>(8, 0)); },
           [](RuleBuilder& b) { b.cmp(Reg{0}, CmpOp::Eq, std::vector<uint8_t>(65, 0)); },
           [](RuleBuilder& b) {
             b.bitwise(Reg{0}, Reg{0}, std::vector<uint8_t>(4, 0), std::vector<uint8_t>(2, 0));
           },
           [](RuleBuilder& b) { b.lookup("s", Reg{0}, Reg{16}); },
           [](RuleBuilder& b) { b.vmap("m", Reg{16}); },
           [](RuleBuilder& b) {
             b.dynset(DynsetOp::Update, "s", Reg{0}, Reg{16}, std::chrono::seconds(1));
           },
           [](RuleBuilder& b) { b.nat(NatType::Dnat, Family::Ip6, Reg{13}, std::nullopt, 0); },
           [](RuleBuilder& b) { b.fib(0, 0, Reg{99}); },
       }) {
    RuleBuilder b(Family::Ip, "t", "c");
    EXPECT_NO_THROW(bad(b));
    EXPECT_FALSE(b.ok());
    EXPECT_EQ(b.expressionCount(), 0U);
  }
}

TEST(RuleBuilderTest, UseAfterTakeFailsInsteadOfCrashing) {
  RuleBuilder r(Family::Ip, "t", "c");
  r.verdict(Verdict::accept());
  RulePtr taken = r.take();
  ASSERT_NE(taken, nullptr);
  r.verdict(Verdict::drop()).comment("late");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.render().empty());
}

TEST(RuleBuilderTest, CommentIsCutToTheKernelLimit) {
  RuleBuilder r(Family::Ip, "t", "c");
  r.comment(std::string(300, 'c'));
  EXPECT_EQ(r.comment().size(), kMaxCommentLen);
  EXPECT_TRUE(r.ok());
}

TEST(UdataTest, CommentRoundTripAndTruncation) {
  const auto blob = encodeComment(0, "default/web:http");
  EXPECT_EQ(decodeComment(blob, 0), "default/web:http");
  EXPECT_EQ(decodeComment(blob, 1), "");
  const std::string longText(300, 'x');
  EXPECT_EQ(decodeComment(encodeComment(0, longText), 0).size(), kMaxCommentLen);
  const auto set = encodeSetUdata(1, 2, "c");
  EXPECT_EQ(decodeComment(set, NFTNL_UDATA_SET_COMMENT), "c");
  EXPECT_EQ(decodeComment(encodeSetUdata(1, std::nullopt, ""), NFTNL_UDATA_SET_COMMENT), "");
}

// udata comes back from the kernel as anyone wrote it. Each prefix is copied into a buffer of
// exactly its size, so that AddressSanitizer sees any read past it.
TEST(UdataTest, TruncatedOrCorruptBlobsDecodeToNothingWithoutReadingPastThem) {
  const auto blob = encodeSetUdata(1, 2, "default/web:http");
  for (size_t len = 0; len < blob.size(); ++len) {
    const std::vector<uint8_t> cut(blob.begin(), blob.begin() + static_cast<long>(len));
    EXPECT_EQ(decodeComment(cut, NFTNL_UDATA_SET_COMMENT), "") << "length " << len;
  }
  EXPECT_EQ(decodeComment(blob, NFTNL_UDATA_SET_COMMENT), "default/web:http");
  // A length byte larger than what follows.
  EXPECT_EQ(decodeComment(std::vector<uint8_t>{0, 200, 'a', 'b'}, 0), "");
  // No NUL terminator: the value's own length bounds it.
  EXPECT_EQ(decodeComment(std::vector<uint8_t>{0, 2, 'a', 'b'}, 0), "ab");
  // A valid comment followed by garbage keeps the comment.
  EXPECT_EQ(decodeComment(std::vector<uint8_t>{0, 3, 'o', 'k', 0, 9}, 0), "ok");
  for (int seed = 0; seed < 256; ++seed) {
    std::vector<uint8_t> junk(static_cast<size_t>(seed % 17));
    for (size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<uint8_t>(seed * 31 + i * 7);
    EXPECT_NO_THROW(decodeComment(junk, static_cast<uint8_t>(seed % 3)));
  }
}

std::vector<char> nlmsgerrMessage(int error, uint16_t flags, uint32_t echoedLen) {
  std::vector<char> buf(512, 0);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = NLMSG_ERROR;
  nlh->nlmsg_flags = flags;
  nlh->nlmsg_seq = 77;
  auto* err = static_cast<nlmsgerr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nlmsgerr)));
  err->error = error;
  err->msg.nlmsg_seq = 77;
  err->msg.nlmsg_type = 0x0a06;
  err->msg.nlmsg_len = echoedLen;
  mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, 44);
  mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "no such chain");
  buf.resize(nlh->nlmsg_len);
  return buf;
}

TEST(AckTest, DecodesErrorsWithExtendedAckAttributes) {
  // An NLMSG_ERROR for seq 77, ENOENT, capped, with NLMSGERR_ATTR_OFFS and a message.
  const auto buf = nlmsgerrMessage(-ENOENT, NLM_F_CAPPED | NLM_F_ACK_TLVS, 0);
  std::vector<Ack> acks;
  collectAcks(std::span<const char>(buf.data(), buf.size()), acks);
  ASSERT_EQ(acks.size(), 1U);
  EXPECT_EQ(acks[0].seq, 77U);
  EXPECT_EQ(acks[0].errnum, ENOENT);
  EXPECT_EQ(acks[0].attrOffset, 44U);
  EXPECT_EQ(acks[0].message, "no such chain");
  EXPECT_EQ(acks[0].requestType, 0x0a06);
}

TEST(AckTest, MalformedAcksAreDecodedWithinTheirBytes) {
  // Not capped, and the echoed request claims a length that the message does not hold: the
  // TLVs would start past the end. Each length is tried, in buffers of exactly that size.
  for (uint32_t echoed : {0U, 16U, 17U, 19U, 20U, 23U, 40U, 1000U, 0xffffffffU}) {
    const auto buf = nlmsgerrMessage(-EINVAL, NLM_F_ACK_TLVS, echoed);
    std::vector<Ack> acks;
    collectAcks(std::span<const char>(buf.data(), buf.size()), acks);
    ASSERT_EQ(acks.size(), 1U) << echoed;
    EXPECT_EQ(acks[0].errnum, EINVAL);
  }
  // Too short to hold an nlmsgerr: a failure that cannot be placed.
  std::vector<char> shortMsg(sizeof(nlmsghdr) + 4, 0);
  auto* nlh = reinterpret_cast<nlmsghdr*>(shortMsg.data());
  nlh->nlmsg_len = static_cast<uint32_t>(shortMsg.size());
  nlh->nlmsg_type = NLMSG_ERROR;
  nlh->nlmsg_seq = 9;
  std::vector<Ack> acks;
  collectAcks(std::span<const char>(shortMsg.data(), shortMsg.size()), acks);
  ASSERT_EQ(acks.size(), 1U);
  EXPECT_EQ(acks[0].errnum, EPROTO);
  EXPECT_EQ(acks[0].seq, 9U);
  // Every truncation of a datagram: only whole messages are read.
  const auto full = nlmsgerrMessage(-ENOENT, NLM_F_CAPPED | NLM_F_ACK_TLVS, 0);
  for (size_t len = 0; len < full.size(); ++len) {
    const std::vector<char> cut(full.begin(), full.begin() + static_cast<long>(len));
    std::vector<Ack> none;
    collectAcks(std::span<const char>(cut.data(), cut.size()), none);
    EXPECT_TRUE(none.empty()) << len;
  }
}

TEST(MatchersTest, ConcatVmapUsesOneRegisterPerComponent) {
  RuleBuilder r(Family::Ip, "kpx", "services");
  matchConcatVmap(r, {Field::IpDaddr, Field::L4proto, Field::ThDport}, "service-ips");
  EXPECT_EQ(r.render(), (Lines{
                            "[ payload load 4b @ network header + 16 => reg 1 ]",
                            "[ meta load l4proto => reg 9 ]",
                            "[ payload load 2b @ transport header + 2 => reg 10 ]",
                            "[ lookup reg 1 set service-ips dreg 0 ]",
                        }));
}

TEST(MatchersTest, Ip6ConcatStartsTheNextComponentAfterSixteenBytes) {
  RuleBuilder r(Family::Ip6, "kpx", "services");
  matchConcatVmap(r, {Field::Ip6Daddr, Field::L4proto, Field::ThDport}, "service-ips");
  EXPECT_EQ(r.render(), (Lines{
                            "[ payload load 16b @ network header + 24 => reg 1 ]",
                            "[ meta load l4proto => reg 2 ]",
                            "[ payload load 2b @ transport header + 2 => reg 13 ]",
                            "[ lookup reg 1 set service-ips dreg 0 ]",
                        }));
}

TEST(MatchersTest, MarkAndDnatAndAffinity) {
  RuleBuilder mark(Family::Ip, "kpx", "c");
  setMarkBits(mark, 0x4000);
  EXPECT_EQ(mark.render(), (Lines{
                               "[ meta load mark => reg 1 ]",
                               "[ bitwise reg 1 = ( reg 1 & 0xffffbfff ) ^ 0x00004000 ]",
                               "[ meta set mark with reg 1 ]",
                           }));
  RuleBuilder dnat(Family::Ip, "kpx", "c");
  const uint8_t addr[4] = {10, 1, 2, 3};
  dnatTo(dnat, Family::Ip, addr, 8080);
  EXPECT_EQ(dnat.render(), (Lines{
                               "[ immediate reg 1 0x0302010a ]",
                               "[ immediate reg 2 0x0000901f ]",
                               "[ nat dnat ip addr_min reg 1 proto_min reg 2 flags 0x2 ]",
                           }));
  RuleBuilder slots(Family::Ip, "kpx", "c");
  serviceSlotVmap(slots, 42, 10, "service-slots");
  EXPECT_EQ(slots.render(), (Lines{
                                "[ immediate reg 1 0x0000002a ]",
                                "[ numgen reg 9 = random mod 10 ]",
                                "[ lookup reg 1 set service-slots dreg 0 ]",
                            }));
}

TEST(MatchersTest, PrefixesLoadWhatNftLoads) {
  const uint8_t net8[4] = {10, 0, 0, 0};
  RuleBuilder byte(Family::Ip, "kpx", "c");
  matchPrefix(byte, Field::IpSaddr, net8, 8);
  EXPECT_EQ(byte.render(), (Lines{
                               "[ payload load 1b @ network header + 12 => reg 1 ]",
                               "[ cmp eq reg 1 0x0000000a ]",
                           }));
  const uint8_t net12[4] = {10, 16, 0, 0};
  RuleBuilder masked(Family::Ip, "kpx", "c");
  matchPrefix(masked, Field::IpSaddr, net12, 12, /*negate=*/true);
  EXPECT_EQ(masked.render(), (Lines{
                                 "[ payload load 4b @ network header + 12 => reg 1 ]",
                                 "[ bitwise reg 1 = ( reg 1 & 0x0000f0ff ) ^ 0x00000000 ]",
                                 "[ cmp neq reg 1 0x0000100a ]",
                             }));
  RuleBuilder all(Family::Ip, "kpx", "c");
  matchPrefix(all, Field::IpDaddr, net8, 0);
  EXPECT_TRUE(all.render().empty());
  EXPECT_TRUE(all.ok());
}

// `ip saddr != 0.0.0.0/0` (a local-traffic CIDR covering everything) used to throw out of the
// sync thread; it is a rule that never matches.
TEST(MatchersTest, NegatedZeroPrefixMatchesNothingAndDoesNotThrow) {
  const uint8_t any[16] = {};
  RuleBuilder v4(Family::Ip, "kpx", "c");
  EXPECT_NO_THROW(matchPrefix(v4, Field::IpSaddr, std::span(any, 4), 0, /*negate=*/true));
  EXPECT_TRUE(v4.ok()) << v4.error();
  EXPECT_EQ(v4.render(), (Lines{
                             "[ payload load 1b @ network header + 12 => reg 1 ]",
                             "[ bitwise reg 1 = ( reg 1 & 0x00000000 ) ^ 0x00000000 ]",
                             "[ cmp neq reg 1 0x00000000 ]",
                         }));
  RuleBuilder v6(Family::Ip6, "kpx", "c");
  matchPrefix(v6, Field::Ip6Saddr, any, 0, /*negate=*/true);
  EXPECT_TRUE(v6.ok());
  EXPECT_EQ(v6.render().front(), "[ payload load 1b @ network header + 8 => reg 1 ]");
}

TEST(MatchersTest, BadArgumentsFailTheRuleInsteadOfThrowing) {
  const uint8_t addr[4] = {10, 0, 0, 1};
  std::vector<std::function<void(RuleBuilder&)>> cases = {
      [&](RuleBuilder& r) { matchPrefix(r, Field::L4proto, addr, 8); },
      [&](RuleBuilder& r) { matchPrefix(r, Field::Ip6Saddr, addr, 8); },
      [&](RuleBuilder& r) { matchPrefix(r, Field::IpSaddr, addr, 33); },
      [&](RuleBuilder& r) { dnatTo(r, Family::Ip6, addr, 80); },
      [&](RuleBuilder& r) { numgenSlotGoto(r, 3, 3, "ep"); },
      [&](RuleBuilder& r) { numgenSlotMatch(r, 0, 0); },
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    RuleBuilder r(Family::Ip, "kpx", "c");
    EXPECT_NO_THROW(cases[i](r)) << i;
    EXPECT_FALSE(r.ok()) << i;
  }
}

TEST(MatchersTest, EndpointSelectionBlocks) {
  RuleBuilder slot(Family::Ip, "kpx", "c");
  numgenSlotGoto(slot, 0, 3, "ep1");
  EXPECT_EQ(slot.render(), (Lines{
                               "[ numgen reg 1 = random mod 3 ]",
                               "[ cmp eq reg 1 0x00000000 ]",
                               "[ immediate reg 0 goto -> ep1 ]",
                           }));
  RuleBuilder last(Family::Ip, "kpx", "c");
  numgenSlotGoto(last, 2, 3, "ep3");
  EXPECT_EQ(last.render(), (Lines{"[ immediate reg 0 goto -> ep3 ]"}));

  RuleBuilder target(Family::Ip6, "kpx", "c");
  dnatViaTargetMap(target, Family::Ip6, 0x0102030405060708ULL, 4, "endpoints-07");
  EXPECT_EQ(target.render(), (Lines{
                                 "[ immediate reg 1 0x01020304 ]",
                                 "[ immediate reg 9 0x05060708 ]",
                                 "[ numgen reg 10 = random mod 4 ]",
                                 "[ lookup reg 1 set endpoints-07 dreg 1 ]",
                                 "[ nat dnat ip6 addr_min reg 1 proto_min reg 2 ]",
                             }));

  RuleBuilder update(Family::Ip, "kpx", "c");
  affinitySetUpdate(update, Family::Ip, "affinity", 42, std::chrono::hours(3));
  EXPECT_EQ(update.render(), (Lines{
                                 "[ payload load 4b @ network header + 12 => reg 1 ]",
                                 "[ immediate reg 9 0x0000002a ]",
                                 "[ dynset update reg_key 1 set affinity timeout 10800000ms ]",
                             }));
}

TEST(ObjectsTest, SetFlagsFollowFromTheSpec) {
  SetSpec affinity = SetSpec::set("affinity", keyLayout({KeyField::ipv4Addr(), KeyField::mark()}));
  affinity.flags = NFT_SET_EVAL;
  affinity.timeout = std::chrono::hours(3);
  SetPtr s = toNftnl(Family::Ip, "kpx", affinity);
  EXPECT_EQ(nftnl_set_get_u32(s.get(), NFTNL_SET_FLAGS),
            static_cast<uint32_t>(NFT_SET_EVAL | NFT_SET_TIMEOUT));
  EXPECT_EQ(nftnl_set_get_u64(s.get(), NFTNL_SET_TIMEOUT), 3U * 3600 * 1000);

  SetPtr vmap = toNftnl(
      Family::Ip, "kpx",
      SetSpec::verdictMap("m", keyLayout({KeyField::inetProto(), KeyField::inetService()})));
  EXPECT_EQ(nftnl_set_get_u32(vmap.get(), NFTNL_SET_FLAGS), static_cast<uint32_t>(NFT_SET_MAP));
  EXPECT_EQ(nftnl_set_get_u32(vmap.get(), NFTNL_SET_DATA_TYPE), kVerdictMapDataType);
  uint32_t len = 0;
  const void* ud = nftnl_set_get_data(vmap.get(), NFTNL_SET_USERDATA, &len);
  ASSERT_NE(ud, nullptr);
  EXPECT_GT(len, 0U);
}

ElementSpec element(uint32_t i) {
  ElementSpec e;
  const uint8_t addr[4] = {10, 96, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)};
  e.key = KeyBuilder().bytes(addr).u8(IPPROTO_TCP).be16(80).take();
  e.verdict = Verdict::goTo("service-" + std::to_string(i));
  e.comment = "ns/svc-" + std::to_string(i);
  return e;
}

TEST(BatchTest, ElementsArePackedIntoFewMessages) {
  std::vector<ElementSpec> many;
  for (uint32_t i = 0; i < 5000; ++i) many.push_back(element(i));
  Batch batch;
  EXPECT_TRUE(batch.empty());
  batch.addElements(Family::Ip, "kpx", "service-ips", many);
  // ~80 bytes per element, at most 56 KiB of elements per message.
  EXPECT_GT(batch.messageCount(), 1U);
  EXPECT_LT(batch.messageCount(), 20U);
  EXPECT_GT(batch.byteSize(), 5000U * 40);
  EXPECT_FALSE(batch.buildError());
}

TEST(BatchTest, ARuleThatCannotBeBuiltFailsTheBatchNotTheThread) {
  Batch batch;
  batch.addTable(Family::Ip, {.name = "kpx", .comment = {}});
  RuleBuilder good(Family::Ip, "kpx", "c");
  good.verdict(Verdict::accept());
  batch.addRule(std::move(good));
  RuleBuilder bad(Family::Ip, "kpx", "c");
  bad.meta(NFT_META_MARK, Reg{16});
  EXPECT_NO_THROW(batch.addRule(std::move(bad), "the bad one"));
  EXPECT_EQ(batch.messageCount(), 2U);  // the bad rule is not written
  ASSERT_TRUE(batch.buildError());
  EXPECT_EQ(batch.buildError()->errnum, EINVAL);
  EXPECT_EQ(batch.buildError()->object,
            "add rule ip kpx c: the bad one: meta: nftables register 16 + 4 bytes out of range");

  // Only the bad rule: the batch is not empty, so callers that skip empty batches still commit
  // it and get the error.
  Batch only;
  RuleBuilder alsoBad(Family::Ip, "kpx", "c");
  numgenSlotGoto(alsoBad, 5, 2, "x");
  only.addRule(std::move(alsoBad));
  EXPECT_FALSE(only.empty());
  EXPECT_EQ(only.messageCount(), 0U);
  ASSERT_TRUE(only.buildError());
}

}  // namespace
}  // namespace kpx::nft
