#include "watch/kube/base64.h"

#include <gtest/gtest.h>

namespace kpx::watch {
namespace {

TEST(Base64, DecodesPaddedText) {
  EXPECT_EQ(decodeBase64("aGVsbG8=").value(), "hello");
  EXPECT_EQ(decodeBase64("aGVsbG8hIQ==").value(), "hello!!");
  EXPECT_EQ(decodeBase64("aGVsbG8h").value(), "hello!");
  EXPECT_EQ(decodeBase64("").value(), "");
}

TEST(Base64, ToleratesLineBreaks) {
  EXPECT_EQ(decodeBase64("aGVs\nbG8h\r\n  IQ==\n").value(), "hello!!");
}

TEST(Base64, DecodesBinary) {
  EXPECT_EQ(decodeBase64("AP8Q").value(), std::string("\x00\xff\x10", 3));
}

TEST(Base64, RejectsForeignCharacters) {
  auto bad = decodeBase64("aGVs#bG8=");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("'#' at offset 4"), std::string::npos) << bad.error();
}

TEST(Base64, RejectsTruncatedText) {
  EXPECT_FALSE(decodeBase64("aGVsbG8"));
  EXPECT_FALSE(decodeBase64("aGVsbG8=a"));  // data after padding
  EXPECT_FALSE(decodeBase64("aG==="));
}

}  // namespace
}  // namespace kpx::watch
