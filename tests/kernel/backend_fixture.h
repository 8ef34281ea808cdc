// Shared by the nftables backend kernel tests: a fixture that runs NftablesDataplane in the
// test's network namespace and reads back what it programmed (netlink reader and `nft`), a
// comparison of the kernel with the backend's own plan (renderText), and a sample cluster.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/nftables/nftables_dataplane.h"
#include "proxy/diffing_sync.h"
#include "tests/kernel/kernel_fixture.h"
#include "tests/kernel/state_builder.h"

namespace kpx::testing {

// Chain names of a service port, from the backend's own naming (names.h).
std::string svcChain(const ServicePortState& sp);
std::string extChain(const ServicePortState& sp);
std::string fwChain(const ServicePortState& sp);
std::string epChain(const ServicePortState& sp, const EndpointState& ep);

// kpx's rule text (what `kpx plan` prints, valid nft input) as nft 1.0.6 prints the rule back.
std::string asNft106Prints(std::string rule);
// Blanks the key of an affinity lookup, `ip saddr . <key> @affinity goto x` (nft prints that
// immediate untyped, see netlink/README.md), on both sides of a comparison.
std::string untypedAffinityKey(const std::string& rule);
// A layout (c) dnat rule with its target id blanked (nft prints it untyped).
std::string typedTargetId(const std::string& rule);
// The `dnat ... map @endpoints-NN` rule kpx renders for `target` ("internal"/"external") of sp.
std::string dnatViaMapText(const ServicePortState& sp, const std::string& target, uint32_t n);
// Endpoints ("10.244.1.2 . 8080") the endpoint maps of `t` hold for a service port.
std::set<std::string> mapEndpoints(const NftTableText& t, const ServicePortState& sp);
// nft prints an element's comment right after its key: `k comment "c" : v`; kpx's plan puts it
// last: `k : v comment "c"`. Brought to kpx's order.
std::string commentLast(const std::string& element);

// Handles of kpx's chains and rules in one family: unchanged handles mean untouched objects.
struct Handles {
  std::map<std::string, uint64_t> chains;
  std::map<std::string, std::vector<uint64_t>> rules;  // per chain, in order
  bool operator==(const Handles&) const = default;
  std::vector<uint64_t> of(const std::string& chain) const {
    auto it = rules.find(chain);
    return it == rules.end() ? std::vector<uint64_t>{} : it->second;
  }
};

// What the kernel tests read from a sync: the typed result flattened, so a failed expectation
// prints the error.
struct TestSyncResult {
  bool ok = false;
  std::string error;
  size_t messages = 0;
  bool full = false;
};

// NftablesDataplane as the kernel tests drive it: sync(state, kind) finds the changes itself
// (DiffingSync); sync(state, kind, changes) passes them as the agent does.
class TestNftables {
 public:
  explicit TestNftables(std::unique_ptr<nftables::NftablesDataplane> dp)
      : dp_(std::move(dp)), diffing_(*dp_) {}
  TestSyncResult sync(const ProxyState& state, SyncKind kind);
  TestSyncResult sync(const ProxyState& state, SyncKind kind, const StateChanges& changes);
  TestSyncResult cleanup();
  // What the kernel holds; an error fails the test and yields an empty inventory.
  Inventory dump();
  const nftables::NftablesDataplane::Stats& stats() const { return dp_->stats(); }
  nftables::NftablesDataplane& dataplane() { return *dp_; }

 private:
  std::unique_ptr<nftables::NftablesDataplane> dp_;
  DiffingSync diffing_;
};

class NftablesBackendTest : public KernelTest {
 protected:
  void SetUp() override;

  std::unique_ptr<TestNftables> makeDataplane();
  Handles handles(nft::Family family);
  uint32_t generation();
  bool tableExists(nft::Family family, const std::string& name);
  // `nft -a list table`: with handles, so equal text also means the same kernel objects.
  std::string listWithHandles(const std::string& family, const std::string& table);
  // The kernel holds exactly what a full sync of `state` plans, for both families: the same
  // chains with the same rules in the same order, the same map elements, and the stamp; no
  // table for a family the state does not serve.
  void expectKernelMatches(const ProxyState& state);
};

// A small dual-stack cluster with one service port of each kind.
struct Sample {
  ServicePortState web =
      PortBuilder("default", "web", "http", "10.96.0.10", 80)
          .endpoints({endpoint("10.244.1.2", 8080), endpoint("10.244.2.3", 8080)});
  ServicePortState np = PortBuilder("default", "np", "http", "10.96.0.20", 80)
                            .nodePort(30080)
                            .endpoints({endpoint("10.244.1.4", 8080)});
  ServicePortState ext = PortBuilder("default", "ext", "dns", "10.96.0.30", 53, Protocol::UDP)
                             .externalIP("192.0.2.10")
                             .endpoints({endpoint("10.244.1.5", 5353)});
  ServicePortState lb =
      PortBuilder("default", "lb", "https", "10.96.0.40", 443)
          .nodePort(30443)
          .loadBalancer("198.51.100.7", {"203.0.113.0/24"})
          .affinity(10800)
          .endpoints({endpoint("10.244.1.6", 8443), endpoint("10.244.2.7", 8443)});
  ServicePortState empty = PortBuilder("default", "empty", "http", "10.96.0.50", 80);
  ServicePortState local = PortBuilder("default", "local", "http", "10.96.0.60", 80)
                               .nodePort(30060)
                               .externalPolicyLocal()
                               .endpoints({endpoint("10.244.3.8", 8080)})
                               .externalEndpoints({}, EmptyAction::Drop);
  ServicePortState web6 = PortBuilder("default", "web6", "http", "fd00:96::10", 80)
                              .endpoints({endpoint("fd00:10:244:1::2", 8080)});

  ProxyState state() const {
    return stateOf(defaultGlobal(), {web, np, ext, lb, empty, local, web6});
  }
};

const InventoryPort* findEntry(const Inventory& inv, const std::string& name, IPFamily family);
size_t countEntries(const Inventory& inv, const std::string& name);
std::vector<std::string> sorted(std::vector<std::string> v);
// "10.244.1.2:8080", ... of both traffic classes, sorted as dump() lists them.
std::vector<std::string> endpointTexts(const ServicePortState& sp);
std::vector<std::string> texts(const std::vector<InventoryVip>& vips);
std::vector<std::string> texts(const std::vector<InventoryEndpoint>& endpoints);
// The rendering a full sync of `state` writes (NftablesDataplane::render), or "" after a failure.
std::string renderText(const ProxyState& state);
// What dump() must say about the sample, whoever reads it (default/local:http aside: see
// DumpListsEachServicePortOnce).
void expectSampleInventory(const Inventory& inv, const Sample& s);

}  // namespace kpx::testing
