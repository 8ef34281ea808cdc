#include "watch/kube/in_cluster_config.h"

#include <gtest/gtest.h>

#include <map>

#include "kube_test_util.h"
#include "watch/kube/rest_config.h"

namespace kpx::watch {
namespace {

using testing::TempDir;

InClusterEnvironment environment(std::map<std::string, std::string> vars,
                                 const std::filesystem::path& dir) {
  return InClusterEnvironment{
      .getenv = [vars](const std::string& name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
      },
      .serviceAccountDir = dir};
}

TEST(InClusterConfig, ServiceAccountAndServiceEnvironment) {
  TempDir root;
  const auto sa = root.path() / "var/run/secrets/kubernetes.io/serviceaccount";
  root.write("var/run/secrets/kubernetes.io/serviceaccount/token", "eyJhbGciOi\n");
  root.write("var/run/secrets/kubernetes.io/serviceaccount/ca.crt", "-----BEGIN CERTIFICATE-----");
  auto config = inClusterConfig(environment(
      {{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}}, sa));
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->server, "https://10.96.0.1:443");
  EXPECT_EQ(config->tokenFile, sa / "token");  // re-read on rotation, not copied once
  EXPECT_TRUE(config->token.empty());
  EXPECT_EQ(config->certificateAuthority.file, sa / "ca.crt");
  EXPECT_FALSE(config->insecureSkipTlsVerify);
}

TEST(InClusterConfig, Ipv6HostIsBracketed) {
  TempDir sa;
  sa.write("token", "t");
  sa.write("ca.crt", "c");
  auto config = inClusterConfig(environment(
      {{"KUBERNETES_SERVICE_HOST", "fd00:10:96::1"}, {"KUBERNETES_SERVICE_PORT", "6443"}},
      sa.path()));
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->server, "https://[fd00:10:96::1]:6443");
}

TEST(InClusterConfig, OutsideAClusterSaysSo) {
  TempDir sa;
  auto config = inClusterConfig(environment({{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}}, sa.path()));
  ASSERT_FALSE(config);
  EXPECT_NE(config.error().find("KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT"),
            std::string::npos)
      << config.error();
}

TEST(InClusterConfig, MissingTokenOrCaIsNamed) {
  TempDir sa;
  const auto env = environment(
      {{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}}, sa.path());
  auto noToken = inClusterConfig(env);
  ASSERT_FALSE(noToken);
  EXPECT_NE(noToken.error().find((sa.path() / "token").string() + " does not exist"),
            std::string::npos)
      << noToken.error();
  sa.write("token", "t");
  auto noCa = inClusterConfig(env);
  ASSERT_FALSE(noCa);
  EXPECT_NE(noCa.error().find((sa.path() / "ca.crt").string() + " does not exist"),
            std::string::npos)
      << noCa.error();
}

}  // namespace
}  // namespace kpx::watch
