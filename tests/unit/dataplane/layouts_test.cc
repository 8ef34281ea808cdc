// The endpoint-selection layouts of the probe (dataplane/netlink/probe), built without a
// kernel: every rule of every layout encodes, at several sizes and shard counts. Loading them
// into the kernel is tests/kernel/layout_test.cc.
#include "dataplane/netlink/probe/layouts.h"

#include <gtest/gtest.h>

#include <string>

namespace kpx::nft::probe {
namespace {

TEST(LayoutsTest, EveryLayoutBuildsItsFullLoadAndAnEndpointSwap) {
  for (Layout layout : {Layout::ConcatVmap, Layout::SlotKeyVmap, Layout::NumgenGoto,
                        Layout::DnatMap, Layout::NumgenDnat}) {
    for (uint32_t endpoints : {1U, 3U, 16U}) {
      SCOPED_TRACE(std::string(layoutName(layout)) + " x" + std::to_string(endpoints));
      const LayoutParams params{
          .layout = layout, .services = 5, .endpoints = endpoints, .table = "kpx", .mapShards = 2};
      Batch full;
      buildFullLoad(full, params);
      EXPECT_FALSE(full.buildError()) << full.buildError()->str();
      EXPECT_GT(full.messageCount(), params.services);
      Batch swap;
      buildEndpointSwap(swap, params, 1, 1);
      EXPECT_FALSE(swap.buildError()) << swap.buildError()->str();
      EXPECT_FALSE(swap.empty());
    }
  }
}

TEST(LayoutsTest, ChainNamesCarryTheServiceAndTheGeneration) {
  const LayoutParams params{.layout = Layout::NumgenGoto, .services = 3, .endpoints = 3};
  EXPECT_EQ(serviceChainName(1), serviceChainName(1));
  EXPECT_NE(serviceChainName(1), serviceChainName(2));
  EXPECT_NE(endpointChainName(params, 1, 0), endpointChainName(params, 1, 0, 1));
  EXPECT_NE(endpointChainName(params, 1, 0), endpointChainName(params, 1, 1));
}

}  // namespace
}  // namespace kpx::nft::probe
