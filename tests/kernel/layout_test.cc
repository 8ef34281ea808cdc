// The endpoint-selection layouts of the endpoint-selection experiment (dataplane/nftables/README.md), at small N: each loads in one
// batch, `nft list` can print it (readably), the reader and nft agree on it, and a one-endpoint
// swap applies. Timing at 10,000 services is kpx_nft_layout_probe's job.
#include <string>

#include "dataplane/netlink/probe/layouts.h"
#include "tests/kernel/kernel_fixture.h"

namespace kpx::testing {
namespace {

using nft::Batch;
using nft::Family;
using nft::probe::Layout;
using nft::probe::LayoutParams;

class LayoutTest : public KernelTest, public ::testing::WithParamInterface<Layout> {};

TEST_P(LayoutTest, LoadsPrintsAndSwapsAnEndpoint) {
  requireNft();
  const LayoutParams params{.layout = GetParam(), .services = 3, .endpoints = 3, .table = "kpx"};
  Batch batch;
  nft::probe::buildFullLoad(batch, params);
  auto stats = batch.commit(socket());
  ASSERT_TRUE(stats) << stats.error().str();

  auto contents = reader().table(Family::Ip, "kpx");
  ASSERT_TRUE(contents) << contents.error().str();
  const NftTableText text = nftTable(Family::Ip, "kpx");
  EXPECT_EQ(text.chains.size(), contents->chains.size());
  size_t nftRules = 0;
  for (const auto& [name, chain] : text.chains) nftRules += chain.rules.size();
  EXPECT_EQ(nftRules, contents->rules.size());

  const auto& svc = text.chains.at(nft::probe::serviceChainName(1));
  EXPECT_EQ(svc.comment, "ns1/svc1/tcp/p80");
  ASSERT_FALSE(svc.rules.empty());
  EXPECT_EQ(svc.rules[0], "ip saddr != 10.0.0.0/8 jump mark-for-masquerade");
  const std::string ep0 = nft::probe::endpointChainName(params, 1, 0);
  switch (GetParam()) {
    case Layout::ConcatVmap:
      // The id is printed untyped: see matchers.h.
      EXPECT_EQ(svc.rules.at(1),
                "0x2000000 [invalid type] . numgen random mod 3 vmap @service-slots");
      EXPECT_EQ(text.sets.at("service-slots").elements.at(0),
                "0x00000001 . 0x00000000 : goto " + nft::probe::endpointChainName(params, 0, 0));
      break;
    case Layout::SlotKeyVmap:
      EXPECT_EQ(svc.rules.at(1), "numgen random mod 3 offset 8192 vmap @service-slots");
      break;
    case Layout::NumgenGoto:
      EXPECT_EQ(svc.rules.at(1), "numgen random mod 3 0 goto " + ep0);  // nft 1.0.6 drops "=="
      EXPECT_EQ(svc.rules.at(3), "goto " + nft::probe::endpointChainName(params, 1, 2));
      break;
    case Layout::DnatMap:
      EXPECT_EQ(svc.rules.at(1),
                "meta l4proto tcp dnat ip to numgen random mod 3 offset 8192 map @endpoint-addrs");
      break;
    case Layout::NumgenDnat:
      EXPECT_EQ(svc.rules.at(1), "numgen random mod 3 0 meta l4proto tcp dnat to 10.200.0.3:8080");
      break;
  }

  Batch swap;
  nft::probe::buildEndpointSwap(swap, params, 1, 1);
  auto swapped = swap.commit(socket());
  ASSERT_TRUE(swapped) << swapped.error().str();
  const NftTableText after = nftTable(Family::Ip, "kpx");
  if (GetParam() != Layout::DnatMap && GetParam() != Layout::NumgenDnat) {
    EXPECT_EQ(after.chains.count(ep0), 0U);
    EXPECT_EQ(after.chains.count(nft::probe::endpointChainName(params, 1, 0, 1)), 1U);
  }
}

INSTANTIATE_TEST_SUITE_P(Layouts, LayoutTest,
                         ::testing::Values(Layout::ConcatVmap, Layout::SlotKeyVmap,
                                           Layout::NumgenGoto, Layout::DnatMap, Layout::NumgenDnat),
                         [](const ::testing::TestParamInfo<Layout>& info) {
                           switch (info.param) {
                             case Layout::ConcatVmap:
                               return std::string("ConcatVmap");
                             case Layout::SlotKeyVmap:
                               return std::string("SlotKeyVmap");
                             case Layout::NumgenGoto:
                               return std::string("NumgenGoto");
                             case Layout::DnatMap:
                               return std::string("DnatMap");
                             case Layout::NumgenDnat:
                               return std::string("NumgenDnat");
                           }
                           return std::string("Unknown");
                         });

}  // namespace
}  // namespace kpx::testing
