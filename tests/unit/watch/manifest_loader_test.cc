// Loading manifests from files and directories: one broken file never hides the others.
#include "watch/manifest_loader.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "watch_test_util.h"

namespace kpx::watch {
namespace {

using testing::dataPath;
using testing::describeErrors;
using testing::TempDir;

std::vector<std::string> keysOf(const ParsedObjects& parsed) {
  std::vector<std::string> keys;
  for (const Object& object : parsed.objects)
    keys.push_back(std::string(toString(kindOf(object))) + " " + metaOf(object).key());
  return keys;
}

const ObjectError* errorFrom(const ParsedObjects& parsed, std::string_view file) {
  for (const ObjectError& e : parsed.errors)
    if (e.origin.find(file) != std::string::npos) return &e;
  return nullptr;
}

TEST(LoadManifests, DirectoryWithBrokenFilesStillLoadsTheGoodOnes) {
  auto loaded = loadManifests(dataPath("dir"));
  ASSERT_TRUE(loaded) << loaded.error();
  // Sorted by file name; notes.txt, .hidden.yaml and sub/ are not read.
  EXPECT_EQ(keysOf(*loaded),
            (std::vector<std::string>{"Service shop/frontend", "EndpointSlice shop/frontend-abcde",
                                      "Service shop/backend", "EndpointSlice shop/backend-1"}));
  ASSERT_EQ(loaded->errors.size(), 3u) << describeErrors(loaded->errors);

  const ObjectError* broken = errorFrom(*loaded, "20-broken-service.yaml");
  ASSERT_NE(broken, nullptr) << describeErrors(loaded->errors);
  EXPECT_EQ(broken->kind, "Service");
  EXPECT_EQ(broken->object, "shop/broken");
  EXPECT_EQ(broken->field, "spec.ports[0].port");
  EXPECT_EQ(broken->value, "70000");

  // A syntax error is one error for the file, with the line it was found on.
  const ObjectError* malformed = errorFrom(*loaded, "30-malformed.yaml");
  ASSERT_NE(malformed, nullptr) << describeErrors(loaded->errors);
  EXPECT_EQ(malformed->object, "");
  EXPECT_EQ(malformed->origin, dataPath("dir/30-malformed.yaml").string());
  EXPECT_NE(malformed->reason.find("invalid YAML: line "), std::string::npos) << malformed->reason;

  const ObjectError* truncated = errorFrom(*loaded, "50-truncated.json");
  ASSERT_NE(truncated, nullptr) << describeErrors(loaded->errors);
  EXPECT_NE(truncated->reason.find("invalid JSON"), std::string::npos) << truncated->reason;
  EXPECT_NE(truncated->str().find("50-truncated.json"), std::string::npos);
}

TEST(LoadManifests, SingleFileOfAnyName) {
  TempDir dir;
  const auto file = dir.write("cluster.manifest",
                              "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n"
                              "spec: {clusterIP: 10.96.0.1, ports: [{port: 80}]}\n");
  auto loaded = loadManifests(file);
  ASSERT_TRUE(loaded) << loaded.error();
  EXPECT_EQ(keysOf(*loaded), std::vector<std::string>{"Service default/a"});
}

TEST(LoadManifests, JsonSingleObjectAndList) {
  TempDir dir;
  dir.write("a.json",
            R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"a","namespace":"ns"},)"
            R"("spec":{"clusterIP":"10.96.0.1","ports":[{"port":80}]}})");
  dir.write("b.json",
            R"({"apiVersion":"v1","kind":"NodeList","items":[{"metadata":{"name":"n1"}}]})");
  auto loaded = loadManifests(dir.path());
  ASSERT_TRUE(loaded) << loaded.error();
  EXPECT_TRUE(loaded->errors.empty()) << describeErrors(loaded->errors);
  EXPECT_EQ(keysOf(*loaded), (std::vector<std::string>{"Service ns/a", "Node n1"}));
}

TEST(LoadManifests, EmptyAndCommentOnlyFiles) {
  TempDir dir;
  dir.write("empty.yaml", "");
  dir.write("comments.yaml", "# nothing here yet\n---\n---\n");
  auto loaded = loadManifests(dir.path());
  ASSERT_TRUE(loaded) << loaded.error();
  EXPECT_TRUE(loaded->objects.empty());
  EXPECT_TRUE(loaded->errors.empty()) << describeErrors(loaded->errors);
}

TEST(LoadManifests, MissingPathIsAnErrorNamingIt) {
  auto loaded = loadManifests("/nonexistent/kpx/manifests.yaml");
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().find("/nonexistent/kpx/manifests.yaml"), std::string::npos);
  EXPECT_NE(loaded.error().find("No such file"), std::string::npos) << loaded.error();
}

TEST(LoadManifests, UnreadableFileInADirectoryIsOneError) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads files whatever their mode";
  TempDir dir;
  dir.write("a.yaml", "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n");
  const auto secret = dir.write("b.yaml", "apiVersion: v1\nkind: Node\nmetadata: {name: n2}\n");
  ASSERT_EQ(chmod(secret.c_str(), 0), 0);
  auto loaded = loadManifests(dir.path());
  ASSERT_TRUE(loaded) << loaded.error();
  EXPECT_EQ(keysOf(*loaded), std::vector<std::string>{"Node n1"});
  ASSERT_EQ(loaded->errors.size(), 1u);
  EXPECT_NE(loaded->errors[0].str().find("b.yaml"), std::string::npos);
  EXPECT_NE(loaded->errors[0].reason.find("Permission denied"), std::string::npos);
  // Named directly, the same file makes the whole load fail.
  EXPECT_FALSE(loadManifests(secret));
}

TEST(LoadManifests, KubectlMultiKindList) {
  // `kubectl get svc,endpointslices -A -o yaml`: one List, every item with its kind.
  const ParsedObjects parsed = testing::parseYaml(R"(
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Service
  metadata: {name: web, namespace: shop}
  spec: {clusterIP: 10.96.0.9, ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080}]}
- apiVersion: discovery.k8s.io/v1
  kind: EndpointSlice
  metadata:
    name: web-abc12
    namespace: shop
    labels: {kubernetes.io/service-name: web}
  addressType: IPv4
  endpoints:
  - addresses: [10.244.1.5]
    conditions: {ready: true, serving: true, terminating: false}
  ports: [{name: http, port: 8080, protocol: TCP}]
metadata: {resourceVersion: ""}
)");
  EXPECT_TRUE(parsed.errors.empty()) << describeErrors(parsed.errors);
  EXPECT_EQ(keysOf(parsed),
            (std::vector<std::string>{"Service shop/web", "EndpointSlice shop/web-abc12"}));
}

TEST(ManifestFiles, WhichNamesAreRead) {
  struct Case {
    std::string name;
    bool read;
  };
  for (const Case& c : {Case{"svc.yaml", true}, Case{"svc.yml", true}, Case{"svc.json", true},
                        Case{"svc.yaml.swp", false}, Case{".svc.yaml", false},
                        Case{"..data", false}, Case{"README.md", false}, Case{"yaml", false}}) {
    EXPECT_EQ(isManifestFileName(c.name), c.read) << c.name;
  }
  EXPECT_EQ(formatOf("a.json"), ManifestFormat::Json);
  EXPECT_EQ(formatOf("a.yml"), ManifestFormat::Yaml);
  EXPECT_EQ(formatOf("a.manifest"), ManifestFormat::Yaml);
}

TEST(ManifestFiles, SymlinkedFilesAreRead) {
  // A ConfigMap volume: name.yaml -> ..data/name.yaml, with ..data a symlinked directory.
  TempDir dir;
  std::filesystem::create_directory(dir.path() / "..2024_10_02");
  dir.write("..2024_10_02/svc.yaml", "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n");
  std::filesystem::create_directory_symlink("..2024_10_02", dir.path() / "..data");
  std::filesystem::create_symlink("..data/svc.yaml", dir.path() / "svc.yaml");
  auto files = listManifestFiles(dir.path());
  ASSERT_TRUE(files) << files.error();
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ((*files)[0].filename(), "svc.yaml");
}

// Fuzzing regression: a number no double holds is nlohmann's out_of_range, not parse_error; it
// must be one error naming the file, not an abort.
TEST(LoadManifests, ANumberTooLargeForADoubleIsOneError) {
  const ParsedObjects parsed =
      parseManifestText(R"({"kind": "Service", "x": 4E400})", ManifestFormat::Json, "big.json");
  EXPECT_TRUE(parsed.objects.empty());
  ASSERT_EQ(parsed.errors.size(), 1U);
  EXPECT_NE(parsed.errors[0].str().find("big.json"), std::string::npos) << parsed.errors[0].str();
}

}  // namespace
}  // namespace kpx::watch
