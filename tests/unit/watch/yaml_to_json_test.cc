// YAML typing: plain scalars by the YAML 1.2 core schema, quoted ones stay strings, so that
// `port: 80` and `port: "80"` reach validation as different things.
#include "watch/yaml_to_json.h"

#include <cmath>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "watch_test_util.h"

namespace kpx::watch {
namespace {

using testing::parseYaml;

nlohmann::json valueOf(const std::string& yamlScalar) {
  auto docs = parseYamlDocuments("v: " + yamlScalar + "\n");
  EXPECT_TRUE(docs.has_value()) << yamlScalar;
  return docs ? (*docs)[0]["v"] : nlohmann::json();
}

struct ScalarCase {
  std::string yaml;
  nlohmann::json expected;
};

TEST(YamlToJson, PlainScalarsFollowTheCoreSchema) {
  const std::vector<ScalarCase> cases = {
      {"80", 80},
      {"-3", -3},
      {"+12", 12},
      {"0", 0},
      {"0x1F", 31},
      {"0o17", 15},
      {"9223372036854775807", INT64_MAX},
      {"1.5", 1.5},
      {"-0.25", -0.25},
      {"1e3", 1000.0},
      {".5", 0.5},
      {"true", true},
      {"True", true},
      {"TRUE", true},
      {"false", false},
      {"False", false},
      {"null", nullptr},
      {"~", nullptr},
      {"", nullptr},
      // Not core-schema values: strings (YAML 1.1 would make the first ones booleans).
      {"yes", "yes"},
      {"on", "on"},
      {"No", "No"},
      {"10.96.0.1", "10.96.0.1"},
      {"1.2.3", "1.2.3"},
      {"1_000", "1_000"},
      {"0x", "0x"},
      {"--", "--"},
      {"-x", "-x"},
      {"None", "None"},
      {"fd00::1", "fd00::1"},
      {"10.0.0.0/8", "10.0.0.0/8"},
  };
  for (const ScalarCase& c : cases) {
    const nlohmann::json v = valueOf(c.yaml);
    EXPECT_EQ(v, c.expected) << "yaml: '" << c.yaml << "' gave " << v.dump();
    EXPECT_EQ(v.type(), c.expected.type()) << "yaml: '" << c.yaml << "'";
  }
}

TEST(YamlToJson, SpecialFloatsAndHugeIntegers) {
  EXPECT_TRUE(std::isinf(valueOf(".inf").get<double>()));
  EXPECT_LT(valueOf("-.Inf").get<double>(), 0);
  EXPECT_TRUE(std::isnan(valueOf(".nan").get<double>()));
  EXPECT_TRUE(valueOf("18446744073709551616").is_number_float());
  EXPECT_EQ(valueOf("18446744073709551615").get<uint64_t>(), UINT64_MAX);
  EXPECT_EQ(valueOf("-9223372036854775808").get<int64_t>(), INT64_MIN);
}

TEST(YamlToJson, QuotedAndTaggedScalarsStayStrings) {
  EXPECT_EQ(valueOf("\"80\""), "80");
  EXPECT_EQ(valueOf("'80'"), "80");
  EXPECT_EQ(valueOf("\"true\""), "true");
  EXPECT_EQ(valueOf("\"null\""), "null");
  EXPECT_EQ(valueOf("\"\""), "");
  EXPECT_EQ(valueOf("!!str 80"), "80");
  EXPECT_EQ(valueOf("!!int 80"), 80);
  EXPECT_EQ(valueOf("|\n  123\n"), "123\n");  // block scalars are never plain
}

TEST(YamlToJson, MapsAndSequences) {
  auto docs = parseYamlDocuments(R"(
ports:
- {port: 80, name: http}
- port: 53
  protocol: UDP
80: numeric-key
empty: []
nested: {a: {b: [1, [2, 3]]}}
)");
  ASSERT_TRUE(docs) << docs.error().str();
  const nlohmann::json expected = nlohmann::json::parse(R"({
    "ports": [{"port": 80, "name": "http"}, {"port": 53, "protocol": "UDP"}],
    "80": "numeric-key",
    "empty": [],
    "nested": {"a": {"b": [1, [2, 3]]}}
  })");
  EXPECT_EQ((*docs)[0], expected);
}

TEST(YamlToJson, MultipleDocuments) {
  auto docs = parseYamlDocuments("a: 1\n---\n# only a comment\n---\nb: two\n...\n---\n- 3\n");
  ASSERT_TRUE(docs) << docs.error().str();
  ASSERT_EQ(docs->size(), 4u);
  EXPECT_EQ((*docs)[0], (nlohmann::json{{"a", 1}}));
  EXPECT_TRUE((*docs)[1].is_null());
  EXPECT_EQ((*docs)[2], (nlohmann::json{{"b", "two"}}));
  EXPECT_EQ((*docs)[3], nlohmann::json::array({3}));
}

TEST(YamlToJson, AnchorsAndAliasesAreResolved) {
  auto docs = parseYamlDocuments("base: &p {port: 80}\ncopy: *p\n");
  ASSERT_TRUE(docs) << docs.error().str();
  EXPECT_EQ((*docs)[0]["copy"], (nlohmann::json{{"port", 80}}));
}

TEST(YamlToJson, AliasBombIsAnErrorNotAnOutOfMemory) {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char level = 'b'; level <= 'j'; ++level) {
    std::string refs;
    for (int i = 0; i < 10; ++i) refs += std::string(i ? ", " : "") + "*" + char(level - 1);
    bomb += std::string(1, level) + ": &" + level + " [" + refs + "]\n";
  }
  auto docs = parseYamlDocuments(bomb);
  ASSERT_FALSE(docs);
  EXPECT_NE(docs.error().message.find("aliases"), std::string::npos) << docs.error().str();
}

// The event-built documents equal what yaml-cpp's node tree converts to.
TEST(YamlToJson, EventsAndNodeTreeAgree) {
  for (const char* name : {"kubectl-get-svc.yaml", "kubectl-get-node.yaml", "legacy-endpoints.yaml",
                           "mixed-kinds.yaml", "dir/10-frontend.yaml"}) {
    std::ifstream in(testing::dataPath(name));
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto fromEvents = parseYamlDocuments(text);
    ASSERT_TRUE(fromEvents) << name << ": " << fromEvents.error().str();
    std::vector<nlohmann::json> fromNodes;
    for (const YAML::Node& node : YAML::LoadAll(text)) fromNodes.push_back(yamlToJson(node));
    EXPECT_EQ(*fromEvents, fromNodes) << name;
  }
}

TEST(YamlToJson, SyntaxErrorNamesTheLine) {
  auto docs = parseYamlDocuments("a: 1\nb: [1, 2\nc: 3\n");
  ASSERT_FALSE(docs);
  EXPECT_GE(docs.error().line, 2);
  EXPECT_NE(docs.error().str().find("line "), std::string::npos);
  EXPECT_FALSE(docs.error().message.empty());
}

// End to end: the typing decides whether a Service is valid.
TEST(YamlTyping, QuotedPortIsAStringAndRejected) {
  const ParsedObjects quoted = parseYaml(R"(
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  clusterIP: 10.96.0.20
  ports:
  - port: "80"
)");
  ASSERT_EQ(quoted.errors.size(), 1u);
  EXPECT_EQ(quoted.errors[0].field, "spec.ports[0].port");
  EXPECT_NE(quoted.errors[0].str().find("must be an integer, not a string"), std::string::npos)
      << quoted.errors[0].str();
}

TEST(YamlTyping, QuotedNumericTargetPortIsANameAndRejected) {
  // IntOrString: a quoted "8080" is a port name, and names need a letter (API server behavior).
  const ParsedObjects quoted = parseYaml(R"(
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {clusterIP: 10.96.0.20, ports: [{port: 80, targetPort: "8080"}]}
)");
  ASSERT_EQ(quoted.errors.size(), 1u) << testing::describeErrors(quoted.errors);
  EXPECT_EQ(quoted.errors[0].field, "spec.ports[0].targetPort");
  EXPECT_EQ(quoted.errors[0].value, "8080");

  const Service plain = testing::parseOne<Service>(R"(
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {clusterIP: 10.96.0.20, ports: [{port: 80, targetPort: 8080}]}
)");
  ASSERT_EQ(plain.ports.size(), 1u);
  EXPECT_EQ(plain.ports[0].targetPort, IntOrString{.value = int32_t{8080}});
}

TEST(YamlTyping, QuotedLabelValuesAreStrings) {
  const Service s = testing::parseOne<Service>(R"(
apiVersion: v1
kind: Service
metadata:
  name: web
  labels: {service.kubernetes.io/service-proxy-name: "2", service.kubernetes.io/headless: "true"}
spec: {clusterIP: 10.96.0.20, ports: [{port: 80}]}
)");
  EXPECT_EQ(s.meta.labels.at(std::string(kServiceProxyNameLabel)), "2");
  EXPECT_EQ(s.meta.labels.at(std::string(kHeadlessLabel)), "true");
}

// Fuzzing regression: a key made of bytes that are not UTF-8 (through an alias, so it is not a
// plain scalar) must not abort the process.
TEST(YamlToJson, NonUtf8AliasedKeyIsNotACrash) {
  auto docs = parseYamlDocuments("a: &x [ \"\\xff\" ]\nb: { *x : 1 }\n");
  if (docs) {
    ASSERT_EQ(docs->size(), 1U);
    EXPECT_TRUE((*docs)[0].is_object());
  }
  // Reaching the end is the test (the process used to abort in nlohmann's dump()); a parse
  // error is as acceptable as a document.
  auto raw = parseYamlDocuments(std::string("a: &x [ ") + char(0xff) + " ]\nb: { *x : 1 }\n");
  if (raw) {
    EXPECT_EQ(raw->size(), 1U);
  }
}

}  // namespace
}  // namespace kpx::watch
