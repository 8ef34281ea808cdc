#include "watch/kube/kubeconfig.h"

#include <gtest/gtest.h>

#include "kube_test_util.h"
#include "watch/kube/rest_config.h"

namespace kpx::watch {
namespace {

using testing::TempDir;

constexpr const char* kPem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
// base64 of kPem
constexpr const char* kPemBase64 =
    "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUIKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=";

std::string twoContexts() {
  return R"(apiVersion: v1
kind: Config
current-context: admin
clusters:
- name: prod
  cluster:
    server: https://10.0.0.1:6443/
    certificate-authority: pki/ca.crt
- name: rancher
  cluster:
    server: https://rancher.example.com/k8s/clusters/c-m-abcd
    certificate-authority-data: )" +
         std::string(kPemBase64) + R"(
users:
- name: admin
  user:
    token: s3cr3t
- name: robot
  user:
    client-certificate-data: )" +
         kPemBase64 + R"(
    client-key-data: )" +
         kPemBase64 +
         R"(
contexts:
- name: admin
  context: {cluster: prod, user: admin, namespace: kube-system}
- name: ci
  context:
    cluster: rancher
    user: robot
)";
}

TEST(Kubeconfig, CurrentContextWithTokenAndRelativeCaFile) {
  TempDir dir;
  dir.write("pki/ca.crt", kPem);
  const auto path = dir.write("config", twoContexts());
  auto config = loadKubeconfig(path);
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->server, "https://10.0.0.1:6443");
  EXPECT_EQ(config->token, "s3cr3t");
  EXPECT_EQ(config->certificateAuthority.file, dir.path() / "pki/ca.crt");
  EXPECT_TRUE(config->certificateAuthority.data.empty());
  EXPECT_TRUE(config->clientCertificate.empty());
  EXPECT_FALSE(config->insecureSkipTlsVerify);
  EXPECT_NE(config->origin.find("context admin"), std::string::npos);
}

TEST(Kubeconfig, ExplicitContextWithInlineDataAndPathPrefix) {
  TempDir dir;
  dir.write("pki/ca.crt", kPem);
  auto config = loadKubeconfig(dir.write("config", twoContexts()), "ci");
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->server, "https://rancher.example.com/k8s/clusters/c-m-abcd");
  EXPECT_EQ(config->certificateAuthority.data, kPem);
  EXPECT_TRUE(config->certificateAuthority.file.empty());
  EXPECT_EQ(config->clientCertificate.data, kPem);
  EXPECT_EQ(config->clientKey.data, kPem);
  EXPECT_TRUE(config->token.empty());
}

TEST(Kubeconfig, ClientCertificateFilesTokenFileAndInsecure) {
  TempDir dir;
  dir.write("certs/client.crt", kPem);
  dir.write("abs.key", kPem);
  dir.write("token", "from-file\n");
  const std::string text = R"(current-context: c
clusters: [{name: k, cluster: {server: "https://[fd00::1]:6443", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {client-certificate: certs/client.crt, client-key: )" +
                           (dir.path() / "abs.key").string() + R"(, tokenFile: token}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
)";
  auto config = loadKubeconfig(dir.write("sub/../kc.yaml", text));
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->server, "https://[fd00::1]:6443");
  EXPECT_TRUE(config->insecureSkipTlsVerify);
  EXPECT_EQ(config->clientCertificate.file, dir.path() / "sub/../certs/client.crt");
  EXPECT_EQ(config->clientKey.file, dir.path() / "abs.key");
  EXPECT_EQ(config->tokenFile, dir.path() / "sub/../token");
}

TEST(Kubeconfig, ContextWithoutUserHasNoCredentials) {
  auto config = parseKubeconfig(R"(current-context: c
clusters: [{name: k, cluster: {server: "http://127.0.0.1:8080"}}]
contexts: [{name: c, context: {cluster: k}}]
)",
                                "/etc/kpx/kc");
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->server, "http://127.0.0.1:8080");
  EXPECT_TRUE(config->token.empty());
}

struct BadCase {
  const char* name;
  std::string text;
  std::string context;
  std::string expected;  // a substring of the error
};

class KubeconfigErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(KubeconfigErrors, NameTheFileAndTheProblem) {
  const BadCase& c = GetParam();
  TempDir dir;
  const auto path = dir.write("kc", c.text);
  auto config = loadKubeconfig(path, c.context);
  ASSERT_FALSE(config) << c.name;
  EXPECT_NE(config.error().find("kubeconfig " + path.string() + ": "), std::string::npos)
      << config.error();
  EXPECT_NE(config.error().find(c.expected), std::string::npos) << config.error();
}

const std::string kCluster = "clusters: [{name: k, cluster: {server: https://h:6443}}]\n";
const std::string kContext = "contexts: [{name: c, context: {cluster: k, user: u}}]\n";

INSTANTIATE_TEST_SUITE_P(
    Kubeconfig, KubeconfigErrors,
    ::testing::Values(
        BadCase{"empty", "", "", "the file is empty"},
        BadCase{"not a map", "- a\n- b\n", "", "the top is not a map"},
        BadCase{"bad yaml", "clusters: [\n  name: {\n", "", "not valid YAML"},
        BadCase{"no current context", kCluster + kContext, "",
                "no current-context is set and no context was chosen"},
        BadCase{"unknown context", "current-context: c\n" + kCluster + kContext, "other",
                "context \"other\" not found in contexts (there are: c)"},
        BadCase{"unknown cluster",
                "current-context: c\ncontexts: [{name: c, context: {cluster: nope}}]\n", "",
                "cluster \"nope\" not found in clusters (there are none)"},
        BadCase{"no server",
                "current-context: c\nclusters: [{name: k, cluster: {}}]\n"
                "contexts: [{name: c, context: {cluster: k}}]\n",
                "", "clusters[\"k\"].cluster.server: required"},
        BadCase{"bad scheme",
                "current-context: c\nclusters: [{name: k, cluster: {server: ftp://h}}]\n"
                "contexts: [{name: c, context: {cluster: k}}]\n",
                "", "unsupported scheme ftp"},
        BadCase{"missing CA file",
                "current-context: c\nclusters: [{name: k, cluster: {server: https://h, "
                "certificate-authority: /nonexistent/ca.crt}}]\n"
                "contexts: [{name: c, context: {cluster: k}}]\n",
                "",
                "clusters[\"k\"].cluster.certificate-authority: /nonexistent/ca.crt: No such file"},
        BadCase{"bad base64",
                "current-context: c\nclusters: [{name: k, cluster: {server: https://h, "
                "certificate-authority-data: \"!!\"}}]\n"
                "contexts: [{name: c, context: {cluster: k}}]\n",
                "", "certificate-authority-data: invalid base64"},
        BadCase{"data not PEM",
                "current-context: c\nclusters: [{name: k, cluster: {server: https://h, "
                "certificate-authority-data: aGVsbG8=}}]\n"
                "contexts: [{name: c, context: {cluster: k}}]\n",
                "", "certificate-authority-data: is not PEM"},
        BadCase{"insecure with CA",
                "current-context: c\nclusters: [{name: k, cluster: {server: https://h, "
                "insecure-skip-tls-verify: true, certificate-authority-data: " +
                    std::string(kPemBase64) + "}}]\ncontexts: [{name: c, context: {cluster: k}}]\n",
                "", "insecure-skip-tls-verify: cannot be true together"},
        BadCase{
            "bad bool",
            "current-context: c\nclusters: [{name: k, cluster: {server: https://h, "
            "insecure-skip-tls-verify: maybe}}]\ncontexts: [{name: c, context: {cluster: k}}]\n",
            "", "insecure-skip-tls-verify: must be true or false"},
        BadCase{"unknown user", "current-context: c\n" + kCluster + kContext, "",
                "user \"u\" not found in users"},
        BadCase{"cert without key",
                "current-context: c\n" + kCluster + kContext +
                    "users: [{name: u, user: {client-certificate-data: " + kPemBase64 + "}}]\n",
                "", "users[\"u\"].user.client-key: required"},
        BadCase{"file and data",
                "current-context: c\n" + kCluster + kContext +
                    "users: [{name: u, user: {client-key: k.pem, client-key-data: " + kPemBase64 +
                    "}}]\n",
                "", "client-key: and client-key-data are both set"},
        BadCase{"exec plugin",
                "current-context: c\n" + kCluster + kContext +
                    "users: [{name: u, user: {exec: {command: aws}}}]\n",
                "", "users[\"u\"].user.exec: credential plugins are not supported"},
        BadCase{"token not a string",
                "current-context: c\n" + kCluster + kContext +
                    "users: [{name: u, user: {token: [a, b]}}]\n",
                "", "users[\"u\"].user.token: must be a string"},
        BadCase{"missing token file",
                "current-context: c\n" + kCluster + kContext +
                    "users: [{name: u, user: {tokenFile: missing-token}}]\n",
                "", "tokenFile: "},
        BadCase{"clusters not a list", "current-context: c\nclusters: {a: b}\n" + kContext, "",
                "clusters: must be a list"}),
    [](const ::testing::TestParamInfo<BadCase>& info) {
      std::string name = info.param.name;
      for (char& ch : name)
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return name;
    });

TEST(Kubeconfig, MissingFileNamesIt) {
  auto config = loadKubeconfig("/nonexistent/kpx/kubeconfig");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error(),
            "kubeconfig /nonexistent/kpx/kubeconfig: cannot read: No such file or directory");
}

TEST(Kubeconfig, DirectoryIsNotAKubeconfig) {
  TempDir dir;
  auto config = loadKubeconfig(dir.path());
  ASSERT_FALSE(config);
  EXPECT_NE(config.error().find("is a directory"), std::string::npos) << config.error();
}

TEST(RestConfig, MasterOverridesTheKubeconfigServer) {
  TempDir dir;
  dir.write("pki/ca.crt", kPem);
  const auto path = dir.write("config", twoContexts());
  auto config = resolveRestConfig({.kubeconfig = path, .context = "", .master = "10.1.1.1:443"});
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->server, "https://10.1.1.1:443");
  EXPECT_EQ(config->token, "s3cr3t");  // credentials still from the kubeconfig
}

TEST(RestConfig, MasterAloneHasNoCredentials) {
  auto config =
      resolveRestConfig({.kubeconfig = "", .context = "", .master = "http://127.0.0.1:8080/"});
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->server, "http://127.0.0.1:8080");
  EXPECT_TRUE(config->certificateAuthority.empty());
  EXPECT_TRUE(config->token.empty());
}

TEST(RestConfig, NeitherMeansInCluster) {
  InClusterEnvironment env{.getenv = [](const std::string&) { return std::nullopt; },
                           .serviceAccountDir = "/nonexistent"};
  auto config = resolveRestConfig({}, env);
  ASSERT_FALSE(config);
  EXPECT_NE(config.error().find("not running in a cluster"), std::string::npos) << config.error();
}

TEST(RestConfig, ContextNeedsAKubeconfig) {
  auto config = resolveRestConfig({.kubeconfig = "", .context = "x", .master = "https://h"});
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error(), "--context needs --kubeconfig");
}

TEST(RestConfig, ServerUrlNormalisation) {
  EXPECT_EQ(normalizeServerUrl("https://h:6443///").value(), "https://h:6443");
  EXPECT_EQ(normalizeServerUrl("h:6443").value(), "https://h:6443");
  EXPECT_EQ(normalizeServerUrl("https://h/prefix/").value(), "https://h/prefix");
  EXPECT_FALSE(normalizeServerUrl(""));
  EXPECT_FALSE(normalizeServerUrl("https://"));
  EXPECT_FALSE(normalizeServerUrl("https:///path"));
  EXPECT_FALSE(normalizeServerUrl("https://h/?a=b"));
  EXPECT_FALSE(normalizeServerUrl("unix://sock"));
}

}  // namespace
}  // namespace kpx::watch
