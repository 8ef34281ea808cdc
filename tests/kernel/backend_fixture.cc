#include "tests/kernel/backend_fixture.h"

#include "dataplane/nftables/render_port.h"
#include "dataplane/nftables/rules.h"

#include <algorithm>
#include <regex>
#include <set>
#include <utility>

#include "dataplane/nftables/names.h"

namespace kpx::testing {

using nft::Family;
using nftables::NftablesDataplane;

std::string svcChain(const ServicePortState& sp) {
  return nftables::serviceChain(sp.key);
}
std::string extChain(const ServicePortState& sp) {
  return nftables::externalChain(sp.key);
}
std::string fwChain(const ServicePortState& sp) {
  return nftables::firewallChain(sp.key);
}
std::string epChain(const ServicePortState& sp, const EndpointState& ep) {
  return nftables::endpointChain(sp.key, ep);
}

// Blanks the key of an affinity lookup, `ip saddr . <key> @affinity goto x`, on both sides of a
// comparison.
std::string untypedAffinityKey(const std::string& rule) {
  static const std::regex lookup(R"(^(ip6? saddr \. ).* @affinity goto )");
  return std::regex_replace(rule, lookup, "$1<key> @affinity goto ");
}

// The target id of a `dnat ... to <hi> . <lo> . numgen ... map` rule is untyped for nft: it
// prints each half as raw bytes, sometimes with `[invalid type]`, without leading zeros. Blanked
// on both sides of a comparison; the map elements' keys show the id (and traffic tests prove
// rule and elements agree).
std::string typedTargetId(const std::string& rule) {
  static const std::regex untyped(
      R"( to 0x[0-9a-f]+(?: \[invalid type\])? \. 0x[0-9a-f]+(?: \[invalid type\])? \. numgen )");
  return std::regex_replace(rule, untyped, " to <id> . numgen ");
}

std::string dnatViaMapText(const ServicePortState& sp, const std::string& target, uint32_t n) {
  const uint64_t id = nftables::targetId(sp.key, target);
  return nftables::dnatViaTargetMapRule(sp.key.family, sp.key.protocol, id, n,
                                        nftables::endpointMap(id % nftables::kEndpointMaps))
      .text;
}

std::set<std::string> mapEndpoints(const NftTableText& t, const ServicePortState& sp) {
  std::set<std::string> out;
  const std::string comment = " comment \"" + sp.key.chainSuffix() + "\"";
  for (const auto& [name, set] : t.sets) {
    if (!name.starts_with("endpoints-")) continue;
    for (const auto& e : set.elements) {
      const std::string el = commentLast(e);  // "k : v comment "c""
      if (!el.ends_with(comment)) continue;
      const auto colon = el.find(" : ");
      out.insert(el.substr(colon + 3, el.size() - comment.size() - colon - 3));
    }
  }
  return out;
}

namespace {

// nft's way of printing a duration: 10800 s is "3h", 90 s "1m30s".
std::string nftDuration(uint64_t seconds) {
  std::string out;
  for (auto [unit, name] :
       {std::pair<uint64_t, const char*>{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}}) {
    if (seconds >= unit) out += std::to_string(seconds / unit) + name;
    seconds %= unit;
  }
  return out.empty() ? "0s" : out;
}

}  // namespace

// kpx's rule text (what `kpx plan` prints, valid nft input) as nft 1.0.6 prints the rule back:
// - `numgen random mod 3 == 0 goto x` prints as `numgen random mod 3 0 goto x` (layout_test.cc);
// - in an ip/ip6 table, `dnat ip to a:p` prints as `dnat to a:p`;
// - timeouts print in d/h/m/s units;
// - the affinity lookup's immediate key is untyped for nft (netlink/README.md), so it prints
//   as a raw number in the wrong byte order: the key is compared in the update rule instead.
std::string asNft106Prints(std::string rule) {
  static const std::regex eq(R"((numgen random mod \d+) == )");
  static const std::regex dnat(R"( dnat ip6? to (?!.* map @))");
  static const std::regex timeout(R"(timeout (\d+)s)");
  rule = std::regex_replace(rule, eq, "$1 ");
  rule = std::regex_replace(rule, dnat, " dnat to ");
  std::smatch m;
  if (std::regex_search(rule, m, timeout))
    rule = m.prefix().str() + "timeout " + nftDuration(std::stoull(m[1])) + m.suffix().str();
  return typedTargetId(untypedAffinityKey(rule));
}

// nft prints an element's comment right after its key: `k comment "c" : v`; kpx's plan puts it
// last: `k : v comment "c"`. Brought to kpx's order.
std::string commentLast(const std::string& element) {
  static const std::regex withComment(R"(^(.*?) comment ("[^"]*")(.*)$)");
  std::smatch m;
  if (!std::regex_match(element, m, withComment)) return element;
  return m[1].str() + m[3].str() + " comment " + m[2].str();
}

namespace {

// One family's part of NftablesDataplane::renderText(), parsed like `nft list table` output.
NftTableText plannedTable(const ProxyState& state, Family family) {
  const std::string text = renderText(state);
  const auto v6 = text.find("table ip6 kpx {");
  if (family == Family::Ip) {
    if (text.rfind("table ip kpx {", 0) != 0) return {};
    return parseNftTable(text.substr(0, v6));
  }
  if (v6 == std::string::npos) return {};
  return parseNftTable(text.substr(v6));
}

bool serves(const ProxyState& s, Family f) {
  return s.global.families.empty() ||
         s.global.families.contains(f == Family::Ip ? IPFamily::V4 : IPFamily::V6);
}

}  // namespace

void NftablesBackendTest::SetUp() {
  KernelTest::SetUp();
  if (IsSkipped()) return;
  requireNft();
}

TestSyncResult flatten(const DataplaneResult<SyncReport>& r) {
  if (!r) return TestSyncResult{.ok = false, .error = r.error().str(), .messages = 0, .full = false};
  return TestSyncResult{.ok = true, .error = "", .messages = r->messages, .full = r->full};
}

TestSyncResult TestNftables::sync(const ProxyState& state, SyncKind kind) {
  return flatten(diffing_.sync(state, kind));
}

TestSyncResult TestNftables::sync(const ProxyState& state, SyncKind kind,
                                  const StateChanges& changes) {
  return flatten(dp_->sync(state, kind, changes));
}

TestSyncResult TestNftables::cleanup() {
  auto r = dp_->cleanup();
  if (!r) return TestSyncResult{.ok = false, .error = r.error().str(), .messages = 0, .full = false};
  return TestSyncResult{.ok = true, .error = "", .messages = 0, .full = false};
}

Inventory TestNftables::dump() {
  auto inv = dp_->dump();
  EXPECT_TRUE(inv) << (inv ? "" : inv.error().str());
  return inv ? std::move(*inv) : Inventory{};
}

std::string renderText(const ProxyState& state) {
  auto text = NftablesDataplane().render(state);
  EXPECT_TRUE(text) << (text ? "" : text.error().str());
  return text ? *text : std::string();
}

std::unique_ptr<TestNftables> NftablesBackendTest::makeDataplane() {
  auto dp = NftablesDataplane::create();
  EXPECT_TRUE(dp) << (dp ? "" : dp.error().str());
  return dp ? std::make_unique<TestNftables>(std::move(*dp)) : nullptr;
}

Handles NftablesBackendTest::handles(Family family) {
  Handles h;
  auto chains = reader().chains(family, "kpx");
  EXPECT_TRUE(chains) << chains.error().str();
  if (!chains) return h;
  for (const auto& c : *chains) h.chains[c.name] = c.handle;
  auto rules = reader().rules(family, "kpx");
  EXPECT_TRUE(rules) << rules.error().str();
  if (!rules) return h;
  for (const auto& r : *rules) h.rules[r.chain].push_back(r.handle);
  return h;
}

uint32_t NftablesBackendTest::generation() {
  auto g = reader().generation();
  EXPECT_TRUE(g) << g.error().str();
  return g ? *g : 0;
}

bool NftablesBackendTest::tableExists(Family family, const std::string& name) {
  auto tables = reader().tables(family);
  EXPECT_TRUE(tables) << tables.error().str();
  if (!tables) return false;
  return std::any_of(tables->begin(), tables->end(),
                     [&](const nft::TableInfo& t) { return t.name == name; });
}

std::string NftablesBackendTest::listWithHandles(const std::string& family,
                                                 const std::string& table) {
  const CommandResult r = nft({"-a", "list", "table", family, table});
  EXPECT_EQ(r.status, 0) << r.output;
  return r.output;
}

void NftablesBackendTest::expectKernelMatches(const ProxyState& state) {
  for (Family family : {Family::Ip, Family::Ip6}) {
    SCOPED_TRACE(std::string("family ") + std::string(nft::familyName(family)));
    if (!serves(state, family)) {
      EXPECT_FALSE(tableExists(family, "kpx"));
      continue;
    }
    const NftTableText want = plannedTable(state, family);
    ASSERT_FALSE(want.chains.empty());
    const NftTableText got = nftTable(family, "kpx");
    std::set<std::string> wantChains, gotChains;
    for (const auto& [name, c] : want.chains) wantChains.insert(name);
    for (const auto& [name, c] : got.chains) gotChains.insert(name);
    EXPECT_EQ(gotChains, wantChains);
    for (const auto& [name, c] : want.chains) {
      auto it = got.chains.find(name);
      if (it == got.chains.end()) continue;
      std::vector<std::string> rules;
      for (const auto& r : c.rules) rules.push_back(asNft106Prints(r));
      std::vector<std::string> printed;
      for (const auto& r : it->second.rules) printed.push_back(typedTargetId(untypedAffinityKey(r)));
      EXPECT_EQ(printed, rules) << "chain " << name;
    }
    for (const auto& [name, s] : want.sets) {
      auto it = got.sets.find(name);
      ASSERT_NE(it, got.sets.end()) << "set " << name;
      std::multiset<std::string> wantEls(s.elements.begin(), s.elements.end()), gotEls;
      for (const auto& e : it->second.elements) gotEls.insert(commentLast(e));
      if (name != nftables::kAffinity) {
        EXPECT_EQ(gotEls, wantEls) << "set " << name;
      }
    }
    ASSERT_TRUE(got.sets.contains("stamp"));
    EXPECT_EQ(got.sets.at("stamp").elements.size(), 1U);
  }
}

const InventoryPort* findEntry(const Inventory& inv, const std::string& name, IPFamily family) {
  for (const auto& p : inv.ports)
    if (p.key.str() == name && p.key.family == family) return &p;
  return nullptr;
}

size_t countEntries(const Inventory& inv, const std::string& name) {
  return static_cast<size_t>(std::count_if(inv.ports.begin(), inv.ports.end(),
                                           [&](const InventoryPort& p) { return p.key.str() == name; }));
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::vector<std::string> endpointTexts(const ServicePortState& sp) {
  std::set<std::string> out;
  for (const auto& ep : sp.internal.endpoints) out.insert(ep.str());
  for (const auto& ep : sp.external.endpoints) out.insert(ep.str());
  return {out.begin(), out.end()};
}

std::vector<std::string> texts(const std::vector<InventoryVip>& vips) {
  std::vector<std::string> out;
  for (const auto& v : vips) out.push_back(v.str());
  return sorted(out);
}

std::vector<std::string> texts(const std::vector<InventoryEndpoint>& endpoints) {
  std::vector<std::string> out;
  for (const auto& e : endpoints) out.push_back(e.str());
  return sorted(out);
}

// What dump() must say about the sample, whoever reads it: what expectedInventory() says a
// backend holds, and, spelled out, the facts that matter most.
void expectSampleInventory(const Inventory& inv, const Sample& s) {
  EXPECT_EQ(inventoryDifferences(expectedInventory(s.state()), inv), std::vector<std::string>{})
      << inv.raw;
  EXPECT_EQ(inv, expectedInventory(s.state()));
  for (const char* name : {"default/web:http", "default/np:http", "default/ext:dns",
                           "default/lb:https", "default/empty:http", "default/local:http",
                           "default/web6:http"})
    EXPECT_EQ(countEntries(inv, name), 1U) << name << " should be one service port\n" << inv.raw;

  const InventoryPort* web = findEntry(inv, "default/web:http", IPFamily::V4);
  ASSERT_NE(web, nullptr);
  EXPECT_EQ(web->key.protocol, Protocol::TCP);
  EXPECT_EQ(texts(web->vips), std::vector<std::string>{"10.96.0.10:80(cluster)"});
  EXPECT_EQ(texts(web->endpoints), endpointTexts(s.web));
  EXPECT_FALSE(web->affinitySeconds);

  const InventoryPort* np = findEntry(inv, "default/np:http", IPFamily::V4);
  ASSERT_NE(np, nullptr);
  EXPECT_EQ(texts(np->vips), sorted({"10.96.0.20:80(cluster)", "*:30080(nodeport)"}));
  EXPECT_EQ(texts(np->endpoints), endpointTexts(s.np));

  const InventoryPort* ext = findEntry(inv, "default/ext:dns", IPFamily::V4);
  ASSERT_NE(ext, nullptr);
  EXPECT_EQ(ext->key.protocol, Protocol::UDP);
  EXPECT_EQ(texts(ext->vips), sorted({"10.96.0.30:53(cluster)", "192.0.2.10:53(external)"}));
  EXPECT_EQ(texts(ext->endpoints), endpointTexts(s.ext));

  const InventoryPort* lb = findEntry(inv, "default/lb:https", IPFamily::V4);
  ASSERT_NE(lb, nullptr);
  EXPECT_EQ(texts(lb->vips),
            sorted({"10.96.0.40:443(cluster)", "198.51.100.7:443(external)", "*:30443(nodeport)"}));
  EXPECT_EQ(texts(lb->endpoints), endpointTexts(s.lb));
  EXPECT_EQ(lb->affinitySeconds, std::optional<uint32_t>(10800));

  const InventoryPort* empty = findEntry(inv, "default/empty:http", IPFamily::V4);
  ASSERT_NE(empty, nullptr);
  EXPECT_EQ(texts(empty->vips), std::vector<std::string>{"10.96.0.50:80(cluster, reject)"});
  EXPECT_TRUE(empty->endpoints.empty());

  // eTP=Local without a local endpoint: the NodePort drops (pods and the node are still
  // short-circuited to the ClusterIP's endpoints, which dump() does not show).
  const InventoryPort* local = findEntry(inv, "default/local:http", IPFamily::V4);
  ASSERT_NE(local, nullptr);
  EXPECT_EQ(texts(local->vips), sorted({"10.96.0.60:80(cluster)", "*:30060(nodeport, drop)"}));
  EXPECT_EQ(texts(local->endpoints), endpointTexts(s.local));

  const InventoryPort* web6 = findEntry(inv, "default/web6:http", IPFamily::V6);
  ASSERT_NE(web6, nullptr);
  EXPECT_EQ(texts(web6->vips), std::vector<std::string>{"[fd00:96::10]:80(cluster)"});
  EXPECT_EQ(texts(web6->endpoints), endpointTexts(s.web6));
}

}  // namespace kpx::testing
