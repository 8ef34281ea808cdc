#include "proxy/ip.h"

#include <gtest/gtest.h>

namespace kpx {
namespace {

TEST(IPAddr, ParsesAndFormatsBothFamilies) {
  struct Case {
    std::string text;
    bool ok;
    IPFamily family;
    std::string canonical;
  };
  const std::vector<Case> cases = {
      {"10.96.0.1", true, IPFamily::V4, "10.96.0.1"},
      {"0.0.0.0", true, IPFamily::V4, "0.0.0.0"},
      {"fd00::10", true, IPFamily::V6, "fd00::10"},
      {"FD00:0:0::10", true, IPFamily::V6, "fd00::10"},
      {"::ffff:1.2.3.4", true, IPFamily::V6, "::ffff:1.2.3.4"},
      {"10.96.0.256", false, IPFamily::V4, ""},
      {"010.96.0.1", false, IPFamily::V4, ""},  // leading zeros are ambiguous: rejected
      {"10.96.0", false, IPFamily::V4, ""},
      {"", false, IPFamily::V4, ""},
      {"fd00::1%eth0", false, IPFamily::V6, ""},
      {"None", false, IPFamily::V4, ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto ip = IPAddr::parse(c.text);
    ASSERT_EQ(ip.has_value(), c.ok);
    if (!c.ok) continue;
    EXPECT_EQ(ip->family(), c.family);
    EXPECT_EQ(ip->str(), c.canonical);
  }
}

TEST(IPAddr, Classifies) {
  EXPECT_TRUE(IPAddr::parse("127.0.0.5")->isLoopback());
  EXPECT_TRUE(IPAddr::parse("::1")->isLoopback());
  EXPECT_FALSE(IPAddr::parse("::2")->isLoopback());
  EXPECT_TRUE(IPAddr::parse("0.0.0.0")->isUnspecified());
  EXPECT_TRUE(IPAddr::parse("::")->isUnspecified());
  EXPECT_TRUE(IPAddr::parse("224.0.0.1")->isMulticast());
  EXPECT_TRUE(IPAddr::parse("ff02::1")->isMulticast());
  EXPECT_TRUE(IPAddr::parse("169.254.1.1")->isLinkLocal());
  EXPECT_TRUE(IPAddr::parse("fe80::1")->isLinkLocal());
  EXPECT_EQ(IPAddr::v4(0x0a600001).str(), "10.96.0.1");
}

TEST(IPAddr, OrdersByFamilyThenBytes) {
  EXPECT_LT(*IPAddr::parse("10.0.0.2"), *IPAddr::parse("10.0.0.10"));
  EXPECT_LT(*IPAddr::parse("255.255.255.255"), *IPAddr::parse("::1"));
}

TEST(CIDR, ParsesMasksAndContains) {
  struct Case {
    std::string text;
    bool ok;
    std::string canonical;
  };
  const std::vector<Case> cases = {
      {"10.244.0.0/16", true, "10.244.0.0/16"},
      {"10.244.3.7/16", true, "10.244.0.0/16"},  // host bits are masked
      {"10.0.0.1", true, "10.0.0.1/32"},
      {"fd00:10::/56", true, "fd00:10::/56"},
      {"fd00::1", true, "fd00::1/128"},
      {"0.0.0.0/0", true, "0.0.0.0/0"},
      {"10.0.0.0/33", false, ""},
      {"fd00::/129", false, ""},
      {"10.0.0.0/", false, ""},
      {"10.0.0.0/8x", false, ""},
      {"10.0.0.0/-1", false, ""},
      {"bogus/8", false, ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto cidr = CIDR::parse(c.text);
    ASSERT_EQ(cidr.has_value(), c.ok);
    if (c.ok) {
      EXPECT_EQ(cidr->str(), c.canonical);
    }
  }
  const auto pods = *CIDR::parse("10.244.0.0/16");
  EXPECT_TRUE(pods.contains(*IPAddr::parse("10.244.255.1")));
  EXPECT_FALSE(pods.contains(*IPAddr::parse("10.245.0.1")));
  EXPECT_FALSE(pods.contains(*IPAddr::parse("::ffff:10.244.0.1")));  // other family
  EXPECT_TRUE(CIDR::parse("0.0.0.0/0")->contains(*IPAddr::parse("1.2.3.4")));
  EXPECT_TRUE(CIDR::parse("fd00::/8")->contains(*IPAddr::parse("fd12::1")));
  EXPECT_FALSE(CIDR::parse("fd00::/8")->contains(*IPAddr::parse("fe00::1")));
}

}  // namespace
}  // namespace kpx
