#include "watch/kube/api_status.h"

#include <gtest/gtest.h>

namespace kpx::watch {
namespace {

TEST(ApiStatus, ReadsAStatusBody) {
  const ApiStatus status = statusFromResponse(
      403, R"({"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Forbidden",)"
           R"("message":"services is forbidden: User \"x\" cannot list resource","code":403})");
  EXPECT_EQ(status.code, 403);
  EXPECT_EQ(status.reason, "Forbidden");
  EXPECT_EQ(status.message, "services is forbidden: User \"x\" cannot list resource");
  EXPECT_FALSE(status.expired());
}

TEST(ApiStatus, ExpiredByCodeOrReason) {
  EXPECT_TRUE(statusFromJson({{"code", 410}}).expired());
  EXPECT_TRUE(statusFromJson({{"reason", "Expired"}}).expired());
  EXPECT_TRUE(statusFromResponse(410, "").expired());
  EXPECT_FALSE(statusFromJson({{"code", 500}, {"reason", "InternalError"}}).expired());
}

TEST(ApiStatus, PlainBodyBecomesTheMessage) {
  const ApiStatus status = statusFromResponse(502, "bad gateway\n<html>");
  EXPECT_EQ(status.code, 502);
  EXPECT_EQ(status.message, "bad gateway <html>");
}

TEST(ApiStatus, WrongTypesAreIgnored) {
  const ApiStatus status = statusFromJson({{"code", "410"}, {"message", 7}});
  EXPECT_EQ(status.code, 0);
  EXPECT_TRUE(status.message.empty());
}

}  // namespace
}  // namespace kpx::watch
