#include "tests/kernel/sample_table.h"

#include "dataplane/netlink/matchers.h"
#include "tests/kernel/kernel_fixture.h"

namespace kpx::testing {

using namespace std::chrono_literals;
using nft::BaseChainSpec;
using nft::Batch;
using nft::ChainSpec;
using nft::ElementSpec;
using nft::Family;
using nft::Field;
using nft::Hook;
using nft::KeyBuilder;
using nft::KeyField;
using nft::RuleBuilder;
using nft::SetSpec;
using nft::TableSpec;
using nft::Verdict;
using nft::VerdictCode;

ChainSpec regular(const std::string& name, const std::string& comment) {
  return ChainSpec{.name = name, .base = {}, .comment = comment};
}

ElementSpec vipElement(const char* vip, uint16_t port, const std::string& chain,
                       const std::string& label) {
  ElementSpec e;
  e.key = KeyBuilder().bytes(ipv4(vip)).u8(IPPROTO_TCP).be16(port).take();
  e.verdict = Verdict::goTo(chain);
  e.label = label;
  return e;
}

// A small but complete kpx-like table: base chains, a dispatch vmap, a service chain with
// numgen selection, two endpoint chains, an affinity set, masquerading, comments everywhere.
void addKpxLikeTable(Batch& batch) {
  const Family f = Family::Ip;
  batch.addTable(f, TableSpec{.name = kTable, .comment = "rules for Kubernetes services"});
  batch.addChain(f, kTable,
                 ChainSpec{.name = "nat-prerouting",
                           .base = BaseChainSpec{.type = "nat",
                                                 .hook = Hook::Prerouting,
                                                 .priority = -100,
                                                 .policy = VerdictCode::Accept},
                           .comment = {}});
  batch.addChain(f, kTable,
                 ChainSpec{.name = "nat-postrouting",
                           .base = BaseChainSpec{.type = "nat",
                                                 .hook = Hook::Postrouting,
                                                 .priority = 100,
                                                 .policy = VerdictCode::Accept},
                           .comment = {}});
  batch.addChain(f, kTable,
                 ChainSpec{.name = "filter-input",
                           .base = BaseChainSpec{.type = "filter",
                                                 .hook = Hook::Input,
                                                 .priority = -110,
                                                 .policy = VerdictCode::Accept},
                           .comment = {}});
  for (const char* c : {"services", "mark-for-masquerade", "masquerading", "reject-chain"}) {
    batch.addChain(f, kTable, regular(c));
  }
  batch.addChain(f, kTable, regular(kSvcChain, "default/web:http"));
  batch.addChain(f, kTable, regular(kEp1, "10.244.1.2:8080"));
  batch.addChain(f, kTable, regular(kEp2));

  SetSpec vips = SetSpec::verdictMap(
      "service-ips",
      nft::keyLayout({KeyField::ipv4Addr(), KeyField::inetProto(), KeyField::inetService()}));
  vips.comment = "ClusterIP, external IP and load-balancer IP dispatch";
  batch.addSet(f, kTable, vips);
  SetSpec noEndpoints = SetSpec::verdictMap(
      "no-endpoint-services",
      nft::keyLayout({KeyField::ipv4Addr(), KeyField::inetProto(), KeyField::inetService()}));
  batch.addSet(f, kTable, noEndpoints);
  SetSpec affinity =
      SetSpec::set("affinity", nft::keyLayout({KeyField::ipv4Addr(), KeyField::mark()}));
  affinity.flags = NFT_SET_EVAL;
  affinity.timeout = 3h;
  affinity.size = 65535;
  batch.addSet(f, kTable, affinity);

  {
    RuleBuilder r(f, kTable, "nat-prerouting");
    r.verdict(Verdict::jump("services"));
    batch.addRule(std::move(r));
  }
  {
    RuleBuilder r(f, kTable, "services");
    nft::matchConcatVmap(r, {Field::IpDaddr, Field::L4proto, Field::ThDport}, "service-ips");
    batch.addRule(std::move(r));
  }
  {
    RuleBuilder r(f, kTable, "filter-input");
    nft::matchCtState(r, nft::kCtStateNew);
    nft::matchConcatVmap(r, {Field::IpDaddr, Field::L4proto, Field::ThDport},
                         "no-endpoint-services");
    batch.addRule(std::move(r));
  }
  {
    RuleBuilder r(f, kTable, "reject-chain");
    nft::rejectTcpReset(r);
    batch.addRule(std::move(r));
    RuleBuilder r2(f, kTable, "reject-chain");
    nft::rejectPortUnreachable(r2, f);
    batch.addRule(std::move(r2));
  }
  {
    RuleBuilder r(f, kTable, "mark-for-masquerade");
    nft::setMarkBits(r, 0x4000);
    batch.addRule(std::move(r));
  }
  {
    RuleBuilder r(f, kTable, "nat-postrouting");
    r.verdict(Verdict::jump("masquerading"));
    batch.addRule(std::move(r));
    RuleBuilder skip(f, kTable, "masquerading");
    nft::matchMarkBits(skip, 0x4000, false);
    skip.verdict(Verdict::ret());
    batch.addRule(std::move(skip));
    RuleBuilder clear(f, kTable, "masquerading");
    nft::xorMarkBits(clear, 0x4000);
    batch.addRule(std::move(clear));
    RuleBuilder masq(f, kTable, "masquerading");
    nft::masquerade(masq, true);
    batch.addRule(std::move(masq));
  }
  {
    RuleBuilder r(f, kTable, kSvcChain);
    nft::matchPrefix(r, Field::IpSaddr, ipv4("10.0.0.0"), 8, true);
    r.verdict(Verdict::jump("mark-for-masquerade")).comment("masquerade off-cluster clients");
    batch.addRule(std::move(r));
    const char* eps[] = {kEp1, kEp2};
    for (uint32_t i = 0; i < 2; ++i) {
      RuleBuilder a(f, kTable, kSvcChain);
      nft::affinitySetGoto(a, f, "affinity", 100 + i, eps[i]);
      batch.addRule(std::move(a));
    }
    for (uint32_t i = 0; i < 2; ++i) {
      RuleBuilder n(f, kTable, kSvcChain);
      nft::numgenSlotGoto(n, i, 2, eps[i]);
      batch.addRule(std::move(n));
    }
  }
  const char* epAddrs[] = {"10.244.1.2", "10.244.1.3"};
  const char* eps[] = {kEp1, kEp2};
  for (uint32_t i = 0; i < 2; ++i) {
    RuleBuilder hairpin(f, kTable, eps[i]);
    nft::matchPrefix(hairpin, Field::IpSaddr, ipv4(epAddrs[i]), 32);
    hairpin.verdict(Verdict::jump("mark-for-masquerade"));
    batch.addRule(std::move(hairpin));
    RuleBuilder upd(f, kTable, eps[i]);
    nft::affinitySetUpdate(upd, f, "affinity", 100 + i, 3h);
    batch.addRule(std::move(upd));
    RuleBuilder dnat(f, kTable, eps[i]);
    nft::matchL4proto(dnat, IPPROTO_TCP);
    nft::dnatTo(dnat, f, ipv4(epAddrs[i]), 8080);
    dnat.comment(std::string("endpoint ") + epAddrs[i] + ":8080");
    batch.addRule(std::move(dnat));
  }

  std::vector<ElementSpec> elems = {vipElement("10.96.0.10", 80, kSvcChain, "default/web:http")};
  elems[0].comment = "default/web:http";
  batch.addElements(f, kTable, "service-ips", elems);
  std::vector<ElementSpec> none = {vipElement("10.96.0.11", 53, "reject-chain")};
  batch.addElements(f, kTable, "no-endpoint-services", none);
  // A pre-seeded affinity entry, with its own timeout.
  ElementSpec sticky;
  sticky.key = KeyBuilder().bytes(ipv4("192.168.1.7")).hostU32(100).take();
  sticky.timeout = 10min;
  sticky.comment = "seeded";
  batch.addElements(f, kTable, "affinity", std::span<const ElementSpec>(&sticky, 1));
}

std::vector<std::string> snapshot(nft::Reader reader, Family family, const std::string& table) {
  std::vector<std::string> out;
  auto contents = reader.table(family, table);
  if (!contents) {
    out.push_back("error: " + contents.error().str());
    return out;
  }
  for (const auto& c : contents->chains) out.push_back("chain " + c.name);
  for (const auto& r : contents->rules) {
    out.push_back("rule " + r.chain + " #" + std::to_string(r.handle) + " " + r.text());
  }
  for (const auto& s : contents->sets) {
    out.push_back("set " + s.name + " " + std::to_string(s.elements.size()) + " elements");
    for (const auto& e : s.elements) {
      out.push_back("  " + nft::hexKey(e.key) + (e.verdict ? " " + e.verdict->str() : ""));
    }
  }
  return out;
}

}  // namespace kpx::testing
