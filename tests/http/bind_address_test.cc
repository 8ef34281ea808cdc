#include "proxy/serve/bind_address.h"

#include <gtest/gtest.h>

namespace kpx::serve {
namespace {

TEST(BindAddress, IPv4WithPort) {
  auto a = parseBindAddress("0.0.0.0:10256", 1);
  ASSERT_TRUE(a) << a.error();
  EXPECT_EQ(a->host, "0.0.0.0");
  EXPECT_EQ(a->port, 10256);
  EXPECT_FALSE(a->isV6());
  EXPECT_EQ(a->str(), "0.0.0.0:10256");
}

TEST(BindAddress, IPv6Bracketed) {
  auto a = parseBindAddress("[::]:10256", 1);
  ASSERT_TRUE(a) << a.error();
  EXPECT_EQ(a->host, "::");
  EXPECT_EQ(a->port, 10256);
  EXPECT_TRUE(a->isV6());
  EXPECT_EQ(a->str(), "[::]:10256");
  auto b = parseBindAddress("[fd00::1]", 10249);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->port, 10249);
}

TEST(BindAddress, BareAddressesTakeTheDefaultPort) {
  EXPECT_EQ(parseBindAddress("127.0.0.1", 10249)->port, 10249);
  EXPECT_EQ(parseBindAddress("::1", 10249)->host, "::1");
  EXPECT_EQ(parseBindAddress("::1", 10249)->port, 10249);
  EXPECT_EQ(parseBindAddress(":10256", 1)->host, "0.0.0.0");
  EXPECT_EQ(parseBindAddress("127.0.0.1:0", 1)->port, 0);
}

TEST(BindAddress, Rejects) {
  for (const char* bad : {"", "localhost:80", "1.2.3.4:65536", "1.2.3.4:x", "[::1:80", "[::1]80",
                          "[1.2.3.4]:80", "1.2.3:80", "1.2.3.4:-1"}) {
    EXPECT_FALSE(parseBindAddress(bad, 1)) << bad;
  }
}

}  // namespace
}  // namespace kpx::serve
