// Nothing throws out of NftablesDataplane (proxy/dataplane.h, CONTRIBUTING habit 6): an exception
// escaping the backend's own code becomes a DataplaneError naming the operation. Proven on
// render(), the one entry point that touches no kernel; sync(), dump() and cleanup() share the
// same guard (nftables_dataplane.cc) but open a netlink socket, which a unit test must not.
#include <gtest/gtest.h>

#include <cerrno>
#include <new>
#include <stdexcept>
#include <string>

#include "dataplane/nftables/nftables_dataplane.h"
#include "tests/kernel/state_builder.h"

namespace kpx::nftables {
namespace {

using testing::defaultGlobal;
using testing::endpoint;
using testing::PortBuilder;

// NodePorts limited to some addresses: render() asks the node-address provider.
ProxyState nodePortsOnListedAddresses() {
  GlobalState g = defaultGlobal({IPFamily::V4});
  g.nodePortAddresses.allLocal = false;
  g.nodePortAddresses.cidrs = {testing::prefix("192.0.2.0/24")};
  return testing::stateOf(g, {PortBuilder("default", "np", "http", "10.96.0.20", 80)
                                  .nodePort(30080)
                                  .endpoints({endpoint("10.244.1.4", 8080)})});
}

template <typename Throw>
DataplaneResult<std::string> renderWithProvider(Throw doThrow) {
  BackendOptions options;
  options.nodeAddresses = [doThrow]() -> tl::expected<std::vector<IPAddr>, DataplaneError> {
    doThrow();
    return std::vector<IPAddr>{};
  };
  const NftablesDataplane dp(std::move(options));
  DataplaneResult<std::string> out = std::string();
  EXPECT_NO_THROW(out = dp.render(nodePortsOnListedAddresses()));
  return out;
}

TEST(NftablesBoundaryTest, RenderWorksWithoutASocket) {
  BackendOptions options;
  options.nodeAddresses = []() -> tl::expected<std::vector<IPAddr>, DataplaneError> {
    return std::vector<IPAddr>{testing::addr("192.0.2.1"), testing::addr("198.51.100.1")};
  };
  const NftablesDataplane dp(std::move(options));
  const auto text = dp.render(nodePortsOnListedAddresses());
  ASSERT_TRUE(text) << text.error().str();
  EXPECT_NE(text->find("elements = { 192.0.2.1 }"), std::string::npos) << *text;
}

TEST(NftablesBoundaryTest, AnExceptionBecomesADataplaneError) {
  const auto failed = renderWithProvider([] { throw std::runtime_error("provider broke"); });
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().operation, "render");
  EXPECT_EQ(failed.error().errnum, 0);
  EXPECT_EQ(failed.error().detail, "unexpected exception: provider broke");
  EXPECT_FALSE(failed.error().outcomeUnknown);  // render writes nothing

  const auto noMemory = renderWithProvider([] { throw std::bad_alloc(); });
  ASSERT_FALSE(noMemory);
  EXPECT_EQ(noMemory.error().errnum, ENOMEM);

  const auto odd = renderWithProvider([] { throw 42; });
  ASSERT_FALSE(odd);
  EXPECT_EQ(odd.error().detail, "unexpected exception: not a std::exception");
}

// A provider that reports an error (rather than throwing) is not a failure of the render: the
// NodePorts then answer on no address, as the log says.
TEST(NftablesBoundaryTest, AProviderErrorLeavesNodePortsWithoutAddresses) {
  BackendOptions options;
  options.nodeAddresses = []() -> tl::expected<std::vector<IPAddr>, DataplaneError> {
    DataplaneError error;
    error.errnum = EACCES;
    error.operation = "list addresses";
    return tl::unexpected(error);
  };
  const NftablesDataplane dp(std::move(options));
  const auto text = dp.render(nodePortsOnListedAddresses());
  ASSERT_TRUE(text) << text.error().str();
  EXPECT_NE(text->find("set nodeport-ips {\n\t}"), std::string::npos) << *text;
}

}  // namespace
}  // namespace kpx::nftables
