// Parsing: every field of Service, EndpointSlice and Node from manifests as kubectl and the API
// server print them; Lists with and without kinds on their items; unknown kinds; type errors.
#include "watch/object_parser.h"

#include <gtest/gtest.h>

#include "watch/manifest_loader.h"
#include "watch_test_util.h"

namespace kpx::watch {
namespace {

using testing::dataPath;
using testing::describeErrors;
using testing::findObject;
using testing::objectsOf;
using testing::parseOne;
using testing::parseYaml;

IPAddr ip(std::string_view text) {
  return *IPAddr::parse(text);
}
CIDR cidr(std::string_view text) {
  return *CIDR::parse(text);
}

ParsedObjects loadData(std::string_view name) {
  auto loaded = loadManifests(dataPath(name));
  EXPECT_TRUE(loaded.has_value()) << loaded.error();
  return loaded ? *loaded : ParsedObjects{};
}

TEST(ServiceParsing, EveryFieldOfAKubectlDump) {
  const ParsedObjects parsed = loadData("kubectl-get-svc.yaml");
  ASSERT_TRUE(parsed.errors.empty()) << describeErrors(parsed.errors);
  ASSERT_EQ(objectsOf<Service>(parsed).size(), 4u);

  const Service web = findObject<Service>(parsed, "shop/web");
  EXPECT_EQ(web.meta.namespace_, "shop");
  EXPECT_EQ(web.meta.name, "web");
  EXPECT_EQ(web.meta.resourceVersion, "53311");
  // uid, annotations and other labels are not kept (read_meta.cc).
  EXPECT_FALSE(web.meta.labels.contains("app"));
  EXPECT_EQ(web.type, ServiceType::LoadBalancer);
  EXPECT_FALSE(web.headless);
  EXPECT_EQ(web.clusterIPs, (std::vector{ip("10.96.120.17"), ip("fd00:10:96::7a11")}));
  EXPECT_EQ(web.ipFamilies, (std::vector{IPFamily::V4, IPFamily::V6}));
  ASSERT_EQ(web.ports.size(), 3u);
  EXPECT_EQ(web.ports[0], (ServicePort{.name = "http",
                                       .protocol = Protocol::TCP,
                                       .port = 80,
                                       .targetPort = {.value = std::string("http-web")},
                                       .nodePort = 30080}));
  EXPECT_EQ(web.ports[1], (ServicePort{.name = "dns",
                                       .protocol = Protocol::UDP,
                                       .port = 53,
                                       .targetPort = {.value = int32_t{5353}},
                                       .nodePort = 30053}));
  EXPECT_EQ(web.ports[2].protocol, Protocol::SCTP);
  EXPECT_EQ(web.externalIPs, std::vector{ip("192.0.2.10")});
  EXPECT_EQ(web.sessionAffinity, SessionAffinity::ClientIP);
  EXPECT_EQ(web.affinityTimeoutSeconds, 600);
  EXPECT_EQ(web.externalTrafficPolicy, TrafficPolicy::Local);
  EXPECT_EQ(web.internalTrafficPolicy, TrafficPolicy::Local);
  EXPECT_EQ(web.healthCheckNodePort, 31950);
  // The second range is written padded with spaces; the API server tolerates that.
  EXPECT_EQ(web.loadBalancerSourceRanges,
            (std::vector{cidr("203.0.113.0/24"), cidr("2001:db8::/32")}));
  ASSERT_EQ(web.loadBalancerIngress.size(), 3u);
  EXPECT_EQ(web.loadBalancerIngress[0],
            (LoadBalancerIngress{.ip = ip("198.51.100.7"), .hostname = "", .ipMode = "VIP"}));
  EXPECT_EQ(web.loadBalancerIngress[1],
            (LoadBalancerIngress{.ip = ip("2001:db8::7"), .hostname = "", .ipMode = "Proxy"}));
  EXPECT_EQ(web.loadBalancerIngress[2],
            (LoadBalancerIngress{
                .ip = std::nullopt, .hostname = "web-1234.elb.example.com", .ipMode = ""}));
  EXPECT_EQ(web.trafficDistribution, "PreferClose");
  EXPECT_EQ(web.externalName, "");
}

TEST(ServiceParsing, DefaultsOfASimpleClusterIPService) {
  const ParsedObjects parsed = loadData("kubectl-get-svc.yaml");
  const Service api = findObject<Service>(parsed, "default/kubernetes");
  EXPECT_EQ(api.type, ServiceType::ClusterIP);
  EXPECT_EQ(api.clusterIPs, std::vector{ip("10.96.0.1")});
  EXPECT_EQ(api.sessionAffinity, SessionAffinity::None);
  EXPECT_EQ(api.affinityTimeoutSeconds, kDefaultAffinityTimeoutSeconds);
  EXPECT_EQ(api.externalTrafficPolicy, TrafficPolicy::Cluster);
  EXPECT_EQ(api.internalTrafficPolicy, TrafficPolicy::Cluster);
  EXPECT_EQ(api.healthCheckNodePort, 0);
  EXPECT_TRUE(api.loadBalancerIngress.empty());
  ASSERT_EQ(api.ports.size(), 1u);
  EXPECT_EQ(api.ports[0].targetPort.number(), 6443);
  EXPECT_EQ(api.ports[0].nodePort, 0);
}

TEST(ServiceParsing, HeadlessAndExternalName) {
  const ParsedObjects parsed = loadData("kubectl-get-svc.yaml");
  const Service db = findObject<Service>(parsed, "shop/db");
  EXPECT_TRUE(db.headless);
  EXPECT_TRUE(db.clusterIPs.empty());
  EXPECT_EQ(db.ipFamilies, std::vector{IPFamily::V4});
  ASSERT_EQ(db.ports.size(), 1u);
  EXPECT_EQ(db.ports[0].name, "");

  const Service search = findObject<Service>(parsed, "shop/search");
  EXPECT_EQ(search.type, ServiceType::ExternalName);
  EXPECT_EQ(search.externalName, "search.example.com");
  EXPECT_TRUE(search.clusterIPs.empty());
  EXPECT_TRUE(search.ports.empty());
}

TEST(ServiceParsing, TargetPortDefaultsToThePort) {
  const Service s = parseOne<Service>(R"(
apiVersion: v1
kind: Service
metadata: {name: s}
spec:
  clusterIP: 10.96.0.5
  ports:
  - {name: a, port: 80}
  - {name: b, port: 81, targetPort: 0}
  - {name: c, port: 82, targetPort: ""}
  - {name: d, port: 83, targetPort: 8083}
  - {name: e, port: 84, targetPort: metrics}
  - {name: f, port: 85, protocol: UDP}
)");
  ASSERT_EQ(s.ports.size(), 6u);
  EXPECT_EQ(s.ports[0].targetPort, IntOrString{.value = int32_t{80}});
  EXPECT_EQ(s.ports[1].targetPort, IntOrString{.value = int32_t{81}});
  EXPECT_EQ(s.ports[2].targetPort, IntOrString{.value = int32_t{82}});
  EXPECT_EQ(s.ports[3].targetPort, IntOrString{.value = int32_t{8083}});
  EXPECT_EQ(s.ports[4].targetPort, IntOrString{.value = std::string("metrics")});
  EXPECT_EQ(s.ports[0].protocol, Protocol::TCP);  // the default
  EXPECT_EQ(s.ports[5].protocol, Protocol::UDP);
  EXPECT_EQ(s.meta.namespace_, "default");  // as kubectl applies a manifest without one
}

TEST(ServiceParsing, ClusterIPAloneAndDerivedFamilies) {
  // Written by hand (or by a cluster older than dual stack): no clusterIPs, no ipFamilies.
  const Service s = parseOne<Service>(R"(
kind: Service
apiVersion: v1
metadata: {name: s, namespace: ns}
spec: {clusterIP: "fd00::10", ports: [{port: 53, protocol: UDP}]}
)");
  EXPECT_EQ(s.clusterIPs, std::vector{ip("fd00::10")});
  EXPECT_EQ(s.ipFamilies, std::vector{IPFamily::V6});
}

TEST(ServiceParsing, TrafficPolicySpellings) {
  struct Case {
    std::string written;
    TrafficPolicy expected;
  };
  for (const Case& c :
       {Case{"Cluster", TrafficPolicy::Cluster}, Case{"Local", TrafficPolicy::Local},
        Case{"Global", TrafficPolicy::Cluster}, Case{"OnlyLocal", TrafficPolicy::Local}}) {
    const Service s = parseOne<Service>(
        "kind: Service\napiVersion: v1\nmetadata: {name: s}\n"
        "spec: {type: NodePort, clusterIP: 10.96.0.7, ports: [{port: 80}], "
        "externalTrafficPolicy: " +
        c.written + "}\n");
    EXPECT_EQ(s.externalTrafficPolicy, c.expected) << c.written;
  }
}

TEST(ServiceParsing, SourceRangesFromTheAnnotationOnlyWhenTheFieldIsEmpty) {
  const Service fromAnnotation = parseOne<Service>(R"(
kind: Service
apiVersion: v1
metadata:
  name: lb
  annotations:
    service.beta.kubernetes.io/load-balancer-source-ranges: " 10.0.0.0/8, 192.168.0.0/16,,"
spec: {type: LoadBalancer, clusterIP: 10.96.0.8, ports: [{port: 80, nodePort: 30080}]}
)");
  EXPECT_EQ(fromAnnotation.loadBalancerSourceRanges,
            (std::vector{cidr("10.0.0.0/8"), cidr("192.168.0.0/16")}));

  const Service fieldWins = parseOne<Service>(R"(
kind: Service
apiVersion: v1
metadata:
  name: lb
  annotations:
    service.beta.kubernetes.io/load-balancer-source-ranges: "10.0.0.0/8"
spec:
  type: LoadBalancer
  clusterIP: 10.96.0.8
  loadBalancerSourceRanges: [172.16.0.0/12]
  ports: [{port: 80, nodePort: 30080}]
)");
  EXPECT_EQ(fieldWins.loadBalancerSourceRanges, std::vector{cidr("172.16.0.0/12")});
}

TEST(ListParsing, ApiServerListItemsCarryNoKind) {
  const ParsedObjects parsed = loadData("api-servicelist.json");
  ASSERT_TRUE(parsed.errors.empty()) << describeErrors(parsed.errors);
  ASSERT_EQ(objectsOf<Service>(parsed).size(), 2u);
  const Service dns = findObject<Service>(parsed, "kube-system/kube-dns");
  ASSERT_EQ(dns.ports.size(), 3u);
  EXPECT_EQ(dns.ports[0].protocol, Protocol::UDP);
}

TEST(ListParsing, KindHintForEachTypedList) {
  struct Case {
    std::string listKind;
    std::string item;
    ObjectKind expected;
  };
  const std::vector<Case> cases = {
      {"ServiceList",
       R"({"metadata":{"name":"s"},"spec":{"clusterIP":"10.96.0.1","ports":[{"port":80}]}})",
       ObjectKind::Service},
      {"EndpointSliceList",
       R"({"metadata":{"name":"s-1"},"addressType":"IPv4","endpoints":[{"addresses":["10.1.0.1"]}]})",
       ObjectKind::EndpointSlice},
      {"EndpointsList",
       R"({"metadata":{"name":"s"},"subsets":[{"addresses":[{"ip":"10.1.0.1"}],"ports":[{"port":80}]}]})",
       ObjectKind::EndpointSlice},
      {"NodeList", R"({"metadata":{"name":"node-1"}})", ObjectKind::Node},
  };
  for (const Case& c : cases) {
    const nlohmann::json list = {
        {"kind", c.listKind}, {"apiVersion", "v1"}, {"items", {nlohmann::json::parse(c.item)}}};
    const ParsedObjects parsed = parseDocument(list, "list.json");
    ASSERT_TRUE(parsed.errors.empty()) << c.listKind << "\n" << describeErrors(parsed.errors);
    ASSERT_EQ(parsed.objects.size(), 1u) << c.listKind;
    EXPECT_EQ(kindOf(parsed.objects[0]), c.expected) << c.listKind;
  }
}

TEST(ListParsing, ParseObjectTakesTheHintOnlyWhenTheObjectHasNoKind) {
  const nlohmann::json item = nlohmann::json::parse(R"({"metadata":{"name":"node-1"}})");
  EXPECT_EQ(parseObject(item, "Node").status, ParseResult::Status::Parsed);
  const ParseResult noHint = parseObject(item);
  ASSERT_EQ(noHint.status, ParseResult::Status::Invalid);
  EXPECT_EQ(noHint.errors[0].field, "kind");

  // The object's own kind wins over the hint.
  const nlohmann::json configMap = {{"kind", "ConfigMap"}, {"metadata", {{"name", "c"}}}};
  EXPECT_EQ(parseObject(configMap, "Service").status, ParseResult::Status::Ignored);
}

TEST(ListParsing, PlainListItemWithoutKindIsAnError) {
  const ParsedObjects parsed = parseYaml(R"(
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Service
  metadata: {name: ok}
  spec: {clusterIP: 10.96.0.1, ports: [{port: 80}]}
- metadata: {}
  spec: {}
)");
  EXPECT_EQ(parsed.objects.size(), 1u);
  ASSERT_EQ(parsed.errors.size(), 1u) << describeErrors(parsed.errors);
  EXPECT_EQ(parsed.errors[0].field, "items[1].kind");
  EXPECT_EQ(parsed.errors[0].origin, "test.yaml");
}

TEST(ListParsing, EmptyListsAndNullItems) {
  EXPECT_TRUE(parseYaml("kind: ServiceList\napiVersion: v1\nitems: []\n").objects.empty());
  const ParsedObjects nullItems = parseYaml("kind: List\napiVersion: v1\nitems: null\n");
  EXPECT_TRUE(nullItems.objects.empty());
  EXPECT_TRUE(nullItems.errors.empty());
}

TEST(EndpointSliceParsing, EveryFieldOfAKubectlDump) {
  const ParsedObjects parsed = loadData("kubectl-get-endpointslices.json");
  ASSERT_TRUE(parsed.errors.empty()) << describeErrors(parsed.errors);
  const EndpointSlice slice = findObject<EndpointSlice>(parsed, "shop/web-x7k2p");
  EXPECT_EQ(slice.serviceName, "web");
  EXPECT_EQ(slice.addressType, AddressType::IPv4);
  EXPECT_EQ(slice.meta.resourceVersion, "53980");
  ASSERT_EQ(slice.ports.size(), 2u);
  EXPECT_EQ(slice.ports[0],
            (EndpointPort{.name = "http", .protocol = Protocol::TCP, .port = 8080}));
  EXPECT_EQ(slice.ports[1], (EndpointPort{.name = "dns", .protocol = Protocol::UDP, .port = 5353}));
  ASSERT_EQ(slice.endpoints.size(), 3u);

  const Endpoint& first = slice.endpoints[0];
  EXPECT_EQ(first.address, "10.244.1.5");
  EXPECT_EQ(first.conditions,
            (EndpointConditions{.ready = true, .serving = true, .terminating = false}));
  EXPECT_EQ(first.nodeName, "node-1");
  EXPECT_EQ(first.hintZones(), std::vector<std::string>{"zone-a"});
  EXPECT_EQ(first.hintNodes(), std::vector<std::string>{"node-1"});

  const Endpoint& terminating = slice.endpoints[1];
  EXPECT_EQ(terminating.conditions,
            (EndpointConditions{.ready = false, .serving = true, .terminating = true}));
  EXPECT_TRUE(terminating.hintZones().empty());
  EXPECT_EQ(terminating.hints, nullptr) << "no hints: no allocation";

  // Unset conditions stay unset: the model gives them their meaning.
  const Endpoint& bare = slice.endpoints[2];
  EXPECT_EQ(bare.conditions, EndpointConditions{});
  EXPECT_EQ(bare.nodeName, "");

  const EndpointSlice v6 = findObject<EndpointSlice>(parsed, "shop/web-v6-4mz8q");
  EXPECT_EQ(v6.addressType, AddressType::IPv6);
  ASSERT_EQ(v6.ports.size(), 1u);
  // `"name": null, "port": null`: the unnamed port for all port numbers.
  EXPECT_EQ(v6.ports[0],
            (EndpointPort{.name = std::nullopt, .protocol = Protocol::TCP, .port = std::nullopt}));
}

TEST(EndpointSliceParsing, SliceWithoutServiceLabelHasNoServiceName) {
  const EndpointSlice slice = parseOne<EndpointSlice>(R"(
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: orphan, namespace: ns}
addressType: IPv4
endpoints: [{addresses: [10.1.2.3]}]
)");
  EXPECT_EQ(slice.serviceName, "");
  EXPECT_TRUE(slice.ports.empty());
}

TEST(EndpointSliceParsing, OnlyTheFirstAddressIsKept) {
  // kube-proxy reads addresses[0] alone; the others are validated, then dropped.
  const EndpointSlice slice = parseOne<EndpointSlice>(R"(
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-1, namespace: ns, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
endpoints: [{addresses: [10.1.0.1, 10.1.0.9]}, {addresses: [10.1.0.2]}]
)");
  ASSERT_EQ(slice.endpoints.size(), 2u);
  EXPECT_EQ(slice.endpoints[0].address, "10.1.0.1");
  EXPECT_EQ(slice.endpoints[1].address, "10.1.0.2");
}

TEST(NodeParsing, EveryFieldOfAKubectlDump) {
  const ParsedObjects parsed = loadData("kubectl-get-node.yaml");
  ASSERT_TRUE(parsed.errors.empty()) << describeErrors(parsed.errors);
  const Node node = findObject<Node>(parsed, "node-1");
  EXPECT_EQ(node.meta.namespace_, "");
  // Of the labels only the zone is kept: nothing reads the others.
  EXPECT_EQ(node.meta.labels,
            (std::map<std::string, std::string>{{std::string(kZoneLabel), "zone-a"}}));
  EXPECT_EQ(node.zone(), "zone-a");
  ASSERT_EQ(node.addresses.size(), 3u);
  EXPECT_EQ(node.addresses[0].type, "InternalIP");
  EXPECT_EQ(node.addresses[0].address, "172.18.0.3");
  EXPECT_EQ(node.addresses[2].type, "Hostname");
  EXPECT_EQ(node.podCIDRs, (std::vector{cidr("10.244.1.0/24"), cidr("fd00:10:244:1::/64")}));
  EXPECT_EQ(node.primaryIPs(), (std::vector{ip("172.18.0.3"), ip("fc00:f853:ccd:e793::3")}));
}

TEST(NodeParsing, PodCIDRAloneAndNamespaceDropped) {
  const Node node = parseOne<Node>(R"(
apiVersion: v1
kind: Node
metadata: {name: node-2, namespace: stray}
spec: {podCIDR: 10.244.2.0/24}
)");
  EXPECT_EQ(node.meta.key(), "node-2");
  EXPECT_EQ(node.podCIDRs, std::vector{cidr("10.244.2.0/24")});
}

TEST(NodeParsing, DeletionAndTaintsForNodeEligibility) {
  const Node node = parseOne<Node>(R"(
apiVersion: v1
kind: Node
metadata: {name: node-3, deletionTimestamp: "2025-01-02T03:04:05Z"}
spec:
  taints:
  - {key: ToBeDeletedByClusterAutoscaler, value: "1735787045", effect: NoSchedule}
  - {key: node.kubernetes.io/unschedulable, effect: NoSchedule}
)");
  EXPECT_TRUE(node.deleting);
  EXPECT_EQ(node.taintKeys, (std::vector<std::string>{"ToBeDeletedByClusterAutoscaler",
                                                      "node.kubernetes.io/unschedulable"}));
  const Node plain = parseOne<Node>("apiVersion: v1\nkind: Node\nmetadata: {name: node-4}\n");
  EXPECT_FALSE(plain.deleting);
  EXPECT_TRUE(plain.taintKeys.empty());
}

TEST(KindFiltering, UnknownKindsAreIgnoredNotErrors) {
  const ParsedObjects parsed = loadData("mixed-kinds.yaml");
  EXPECT_TRUE(parsed.errors.empty()) << describeErrors(parsed.errors);
  EXPECT_EQ(parsed.ignored, 3u);  // ConfigMap, Deployment, the Knative Service
  ASSERT_EQ(parsed.objects.size(), 1u);
  const Service api = findObject<Service>(parsed, "default/api");
  EXPECT_EQ(api.ports[0].port, 8080);
}

TEST(KindFiltering, ApiGroupDecides) {
  const nlohmann::json knative = {
      {"apiVersion", "serving.knative.dev/v1"}, {"kind", "Service"}, {"metadata", {{"name", "x"}}}};
  EXPECT_EQ(parseObject(knative).status, ParseResult::Status::Ignored);
  const nlohmann::json coreSlice = {
      {"apiVersion", "v1"}, {"kind", "EndpointSlice"}, {"metadata", {{"name", "x"}}}};
  EXPECT_EQ(parseObject(coreSlice).status, ParseResult::Status::Ignored);
  const nlohmann::json betaSlice = {{"apiVersion", "discovery.k8s.io/v1beta1"},
                                    {"kind", "EndpointSlice"},
                                    {"metadata", {{"name", "x"}}},
                                    {"addressType", "IPv4"}};
  EXPECT_EQ(parseObject(betaSlice).status, ParseResult::Status::Parsed);
}

// A value of the wrong JSON type rejects its object with an error naming the field.
struct TypeErrorCase {
  std::string id;
  std::string yaml;
  std::string field;
  std::string value;
  std::string reason;
};

class TypeErrors : public ::testing::TestWithParam<TypeErrorCase> {};

TEST_P(TypeErrors, NameTheFieldAndValue) {
  const TypeErrorCase& c = GetParam();
  const ParsedObjects parsed = parseYaml(c.yaml);
  EXPECT_TRUE(parsed.objects.empty());
  ASSERT_EQ(parsed.errors.size(), 1u) << describeErrors(parsed.errors);
  const ObjectError& e = parsed.errors[0];
  EXPECT_EQ(e.field, c.field);
  EXPECT_EQ(e.value, c.value);
  EXPECT_NE(e.reason.find(c.reason), std::string::npos) << e.reason;
  EXPECT_NE(e.str().find(e.object), std::string::npos);
  EXPECT_FALSE(e.object.empty());
}

const std::string kSvc = "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n";
const std::string kSlice =
    "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: web-1, namespace: "
    "shop}\n";

INSTANTIATE_TEST_SUITE_P(
    Parsing, TypeErrors,
    ::testing::Values(
        TypeErrorCase{"PortAsString",
                      kSvc + "spec: {clusterIP: 10.96.0.1, ports: [{port: \"80\"}]}",
                      "spec.ports[0].port", "80", "must be an integer, not a string"},
        TypeErrorCase{"PortAsFloat", kSvc + "spec: {clusterIP: 10.96.0.1, ports: [{port: 80.5}]}",
                      "spec.ports[0].port", "80.5", "must be an integer"},
        TypeErrorCase{"TargetPortAsBool",
                      kSvc + "spec: {clusterIP: 10.96.0.1, ports: [{port: 80, targetPort: true}]}",
                      "spec.ports[0].targetPort", "true", "must be an integer or a string"},
        TypeErrorCase{"SpecAsList", kSvc + "spec: [a, b]", "spec", "[\"a\",\"b\"]",
                      "must be an object, not a list"},
        TypeErrorCase{"ClusterIPsAsString",
                      kSvc + "spec: {clusterIPs: 10.96.0.1, ports: [{port: 80}]}",
                      "spec.clusterIPs", "10.96.0.1", "must be a list"},
        TypeErrorCase{"PortsAsObject", kSvc + "spec: {clusterIP: 10.96.0.1, ports: {port: 80}}",
                      "spec.ports", "{\"port\":80}", "must be a list"},
        TypeErrorCase{"PortItemAsNumber", kSvc + "spec: {clusterIP: 10.96.0.1, ports: [80]}",
                      "spec.ports[0]", "80", "must be an object"},
        TypeErrorCase{"LabelValueAsNumber",
                      "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop, "
                      "labels: {version: 2}}\nspec: {clusterIP: 10.96.0.1, ports: [{port: 80}]}",
                      "metadata.labels[version]", "2", "must be a string"},
        TypeErrorCase{
            "AffinityTimeoutAsString",
            kSvc + "spec: {clusterIP: 10.96.0.1, ports: [{port: 80}], sessionAffinity: "
                   "ClientIP, sessionAffinityConfig: {clientIP: {timeoutSeconds: \"600\"}}}",
            "spec.sessionAffinityConfig.clientIP.timeoutSeconds", "600", "must be an integer"},
        TypeErrorCase{"ReadyAsString",
                      kSlice + "addressType: IPv4\nendpoints: [{addresses: [10.1.0.1], conditions: "
                               "{ready: \"true\"}}]",
                      "endpoints[0].conditions.ready", "true", "must be a boolean, not a string"},
        TypeErrorCase{
            "NodeNameAsNumber",
            kSlice + "addressType: IPv4\nendpoints: [{addresses: [10.1.0.1], nodeName: 7}]",
            "endpoints[0].nodeName", "7", "must be a string"},
        TypeErrorCase{"AddressAsNumber",
                      kSlice + "addressType: IPv4\nendpoints: [{addresses: [10]}]",
                      "endpoints[0].addresses[0]", "10", "must be a string"}),
    [](const ::testing::TestParamInfo<TypeErrorCase>& info) { return info.param.id; });

TEST(ParseObject, NeverThrowsOnDocumentsThatAreNotObjects) {
  for (const char* text : {"[1, 2]", "\"Service\"", "42", "true"}) {
    const ParseResult result = parseObject(nlohmann::json::parse(text));
    EXPECT_EQ(result.status, ParseResult::Status::Invalid) << text;
    EXPECT_EQ(result.errors.size(), 1u) << text;
  }
  const ParseResult kindNotString = parseObject(nlohmann::json{{"kind", 5}});
  ASSERT_EQ(kindNotString.status, ParseResult::Status::Invalid);
  EXPECT_EQ(kindNotString.errors[0].field, "kind");
}

TEST(ParseObject, MetaOfAnyKind) {
  const ParsedObjects parsed = loadData("kubectl-get-svc.yaml");
  ASSERT_FALSE(parsed.objects.empty());
  EXPECT_EQ(metaOf(parsed.objects[0]).key(), "default/kubernetes");
}

}  // namespace
}  // namespace kpx::watch
