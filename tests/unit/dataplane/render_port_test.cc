// renderPort without a kernel: each shape of service port against golden nft lines, every rule's
// netlink expressions built (the sanitizers watch), and settings that used to throw or overrun.
// tests/kernel checks that the kernel holds exactly what these render.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "dataplane/nftables/names.h"
#include "dataplane/nftables/render_port.h"
#include "tests/unit/dataplane/port_shapes.h"

namespace kpx::nftables {
namespace {

using namespace shapes_test;  // NOLINT: the shared shapes and helpers of these tests

TEST(RenderPortTest, EveryShapeRendersAndEveryRuleBuilds) {
  for (const Shape& s : shapes()) {
    SCOPED_TRACE(s.name);
    const PortRendering r = renderPort(s.sp, s.global);
    EXPECT_FALSE(checked(s.name, r).empty());
    expectRulesBuild(r.chains, s.sp.key.family);
    // Chains a rendering refers to are its own or the fixed layout's.
    for (const auto& e : r.elements) {
      if (!e.verdict || e.verdict->chain.empty()) continue;
      const bool own = std::any_of(r.chains.begin(), r.chains.end(),
                                   [&](const ChainDef& c) { return c.name == e.verdict->chain; });
      EXPECT_TRUE(own || e.verdict->chain == kRejectChain) << e.text();
    }
  }
}

// Goldens: the hashes in names and keys are FNV of the port's name, the same in every process.
TEST(RenderPortTest, ClusterIPWithEndpointsDnatsFromAnEndpointMap) {
  const auto all = shapes();
  const Shape& s = shape(all, "clusterip");
  EXPECT_EQ(lines(renderPort(s.sp, s.global)),
            (Lines{
                "service-GB7ZZQEM-default/web/tcp/http: ip daddr 10.96.0.10 ip saddr != "
                "10.244.0.0/16 jump mark-for-masquerade",
                "service-GB7ZZQEM-default/web/tcp/http: meta l4proto tcp dnat ip to 0x835c2bcc . "
                "0x0c08331a . numgen random mod 2 map @endpoints-26",
                "hairpin: 10.244.1.2 . 10.244.1.2",
                "hairpin: 10.244.2.3 . 10.244.2.3",
                "endpoints-26: 0x835c2bcc . 0x0c08331a . 0x00000000 : 10.244.1.2 . 8080 # "
                "default/web/tcp/http",
                "endpoints-26: 0x835c2bcc . 0x0c08331a . 0x00000001 : 10.244.2.3 . 8080 # "
                "default/web/tcp/http",
                "service-ips: 10.96.0.10 . tcp . 80 : goto service-GB7ZZQEM-default/web/tcp/http # "
                "default/web:http",
                "cluster-ips: 10.96.0.10",
            }));
  // The key and the map follow from the target id.
  const uint64_t target = targetId(s.sp.key, "internal");
  EXPECT_EQ(target, 0x835c2bcc0c08331aULL);
  EXPECT_EQ(endpointMap(static_cast<uint32_t>(target % kEndpointMaps)), "endpoints-26");
}

TEST(RenderPortTest, WithoutEndpointsTheVipRejects) {
  const auto all = shapes();
  EXPECT_EQ(
      lines(renderPort(shape(all, "no-endpoints").sp, defaultGlobal())),
      (Lines{
          "no-endpoint-services: 10.96.0.50 . tcp . 80 : goto reject-chain # default/empty:http",
          "cluster-ips: 10.96.0.50",
      }));
  EXPECT_EQ(
      lines(renderPort(shape(all, "nodeport-no-endpoints").sp, defaultGlobal())),
      (Lines{
          "external-TNQXREE4-default/npe/tcp/http: jump mark-for-masquerade",
          "no-endpoint-services: 10.96.0.21 . tcp . 80 : goto reject-chain # default/npe:http",
          "cluster-ips: 10.96.0.21",
          "service-nodeports: tcp . 30081 : goto external-TNQXREE4-default/npe/tcp/http # "
          "default/npe:http",
          "no-endpoint-nodeports: tcp . 30081 : goto reject-chain # default/npe:http",
      }));
}

TEST(RenderPortTest, LoadBalancerWithSourceRangesAndAffinity) {
  const auto all = shapes();
  const Shape& s = shape(all, "loadbalancer-ranges-affinity");
  EXPECT_EQ(
      lines(renderPort(s.sp, s.global)),
      (Lines{
          "service-BGX5J2M6-default/lb/tcp/https: ip daddr 10.96.0.40 ip saddr != 10.244.0.0/16 "
          "jump mark-for-masquerade",
          "service-BGX5J2M6-default/lb/tcp/https: ip saddr . 0x14b1d3d4 @affinity goto "
          "endpoint-FYPHZCZD-default/lb/tcp/https__10.244.1.6/8443",
          "service-BGX5J2M6-default/lb/tcp/https: ip saddr . 0x60c1b57e @affinity goto "
          "endpoint-DNL3UTXF-default/lb/tcp/https__10.244.2.7/8443",
          "service-BGX5J2M6-default/lb/tcp/https: numgen random mod 2 == 0 goto "
          "endpoint-FYPHZCZD-default/lb/tcp/https__10.244.1.6/8443",
          "service-BGX5J2M6-default/lb/tcp/https: goto "
          "endpoint-DNL3UTXF-default/lb/tcp/https__10.244.2.7/8443",
          "external-BGX5J2M6-default/lb/tcp/https: jump mark-for-masquerade",
          "external-BGX5J2M6-default/lb/tcp/https: goto service-BGX5J2M6-default/lb/tcp/https",
          "firewall-BGX5J2M6-default/lb/tcp/https: ip saddr 203.0.113.0/24 return",
          "firewall-BGX5J2M6-default/lb/tcp/https: ip saddr 198.51.100.7 return",
          "firewall-BGX5J2M6-default/lb/tcp/https: drop",
          "endpoint-FYPHZCZD-default/lb/tcp/https__10.244.1.6/8443: update @affinity { ip saddr . "
          "0x14b1d3d4 timeout 10800s }",
          "endpoint-FYPHZCZD-default/lb/tcp/https__10.244.1.6/8443: meta l4proto tcp dnat ip to "
          "10.244.1.6:8443",
          "endpoint-DNL3UTXF-default/lb/tcp/https__10.244.2.7/8443: update @affinity { ip saddr . "
          "0x60c1b57e timeout 10800s }",
          "endpoint-DNL3UTXF-default/lb/tcp/https__10.244.2.7/8443: meta l4proto tcp dnat ip to "
          "10.244.2.7:8443",
          "hairpin: 10.244.1.6 . 10.244.1.6",
          "hairpin: 10.244.2.7 . 10.244.2.7",
          "service-ips: 10.96.0.40 . tcp . 443 : goto service-BGX5J2M6-default/lb/tcp/https # "
          "default/lb:https",
          "cluster-ips: 10.96.0.40",
          "service-ips: 198.51.100.7 . tcp . 443 : goto external-BGX5J2M6-default/lb/tcp/https # "
          "default/lb:https",
          "firewall-ips: 198.51.100.7 . tcp . 443 : goto firewall-BGX5J2M6-default/lb/tcp/https # "
          "default/lb:https",
          "service-nodeports: tcp . 30443 : goto external-BGX5J2M6-default/lb/tcp/https # "
          "default/lb:https",
      }));
}

TEST(RenderPortTest, LocalPolicyShortCircuitsPodsAndTheNode) {
  const auto all = shapes();
  const Shape& none = shape(all, "local-policy-no-local-endpoint");
  EXPECT_EQ(
      lines(renderPort(none.sp, none.global)),
      (Lines{
          "service-JQ3LB3W6-default/local/tcp/http: ip daddr 10.96.0.60 ip saddr != 10.244.0.0/16 "
          "jump mark-for-masquerade",
          "service-JQ3LB3W6-default/local/tcp/http: meta l4proto tcp dnat ip to 0x2259c921 . "
          "0x16c271df . numgen random mod 1 map @endpoints-31",
          "external-JQ3LB3W6-default/local/tcp/http: ip saddr 10.244.0.0/16 goto "
          "service-JQ3LB3W6-default/local/tcp/http",
          "external-JQ3LB3W6-default/local/tcp/http: fib saddr type local jump mark-for-masquerade",
          "external-JQ3LB3W6-default/local/tcp/http: fib saddr type local goto "
          "service-JQ3LB3W6-default/local/tcp/http",
          "hairpin: 10.244.3.8 . 10.244.3.8",
          "endpoints-31: 0x2259c921 . 0x16c271df . 0x00000000 : 10.244.3.8 . 8080 # "
          "default/local/tcp/http",
          "service-ips: 10.96.0.60 . tcp . 80 : goto service-JQ3LB3W6-default/local/tcp/http # "
          "default/local:http",
          "cluster-ips: 10.96.0.60",
          "service-nodeports: tcp . 30060 : goto external-JQ3LB3W6-default/local/tcp/http # "
          "default/local:http",
          "no-endpoint-nodeports: tcp . 30060 : drop # default/local:http",
      }));
  // With a local endpoint the rest of the traffic is DNATed to it alone, from its own target.
  const Shape& local = shape(all, "local-policy-local-endpoint");
  const Lines got = lines(renderPort(local.sp, local.global));
  EXPECT_NE(std::find(got.begin(), got.end(),
                      "external-KEMH25SJ-default/loc2/tcp/http: meta l4proto tcp dnat ip to "
                      "0xce7645fa . 0xea388d44 . numgen random mod 1 map @endpoints-04"),
            got.end());
  EXPECT_NE(std::find(got.begin(), got.end(),
                      "endpoints-04: 0xce7645fa . 0xea388d44 . 0x00000000 : 10.244.3.8 . 8080 # "
                      "default/loc2/tcp/http"),
            got.end());
}

TEST(RenderPortTest, Ipv6WithAffinity) {
  const auto all = shapes();
  const Shape& s = shape(all, "ipv6");
  EXPECT_EQ(
      lines(renderPort(s.sp, s.global)),
      (Lines{
          "service-2ZWWFU4T-default/web6/tcp/http: ip6 daddr fd00:96::10 ip6 saddr != "
          "fd00:10:244::/56 jump mark-for-masquerade",
          "service-2ZWWFU4T-default/web6/tcp/http: ip6 saddr . 0x48c21c3e @affinity goto "
          "endpoint-XUHNZBZM-default/web6/tcp/http__fd00:10:244:1::2/8080",
          "service-2ZWWFU4T-default/web6/tcp/http: goto "
          "endpoint-XUHNZBZM-default/web6/tcp/http__fd00:10:244:1::2/8080",
          "external-2ZWWFU4T-default/web6/tcp/http: jump mark-for-masquerade",
          "external-2ZWWFU4T-default/web6/tcp/http: goto service-2ZWWFU4T-default/web6/tcp/http",
          "endpoint-XUHNZBZM-default/web6/tcp/http__fd00:10:244:1::2/8080: update @affinity { ip6 "
          "saddr . 0x48c21c3e timeout 60s }",
          "endpoint-XUHNZBZM-default/web6/tcp/http__fd00:10:244:1::2/8080: meta l4proto tcp dnat "
          "ip6 to [fd00:10:244:1::2]:8080",
          "hairpin: fd00:10:244:1::2 . fd00:10:244:1::2",
          "service-ips: fd00:96::10 . tcp . 80 : goto service-2ZWWFU4T-default/web6/tcp/http # "
          "default/web6:http",
          "cluster-ips: fd00:96::10",
          "service-nodeports: tcp . 30090 : goto external-2ZWWFU4T-default/web6/tcp/http # "
          "default/web6:http",
      }));
}

TEST(RenderPortTest, TheLocalTrafficMatchDecidesTheClusterIPMasquerade) {
  const auto all = shapes();
  auto first = [&](const std::string& name) {
    const Shape& s = shape(all, name);
    return lines(renderPort(s.sp, s.global)).front();
  };
  const std::string svc = "service-GB7ZZQEM-default/web/tcp/http: ";
  EXPECT_EQ(first("masquerade-all"), svc + "ip daddr 10.96.0.10 jump mark-for-masquerade");
  EXPECT_EQ(first("bridge-interface"),
            svc + "ip daddr 10.96.0.10 iifname != \"cbr0\" jump mark-for-masquerade");
  EXPECT_EQ(first("interface-prefix"),
            svc + "ip daddr 10.96.0.10 iifname != \"veth*\" jump mark-for-masquerade");
  // No way to tell pods from others: nothing is masqueraded (as kube-proxy).
  EXPECT_EQ(first("no-local-detection"),
            svc +
                "meta l4proto tcp dnat ip to 0x835c2bcc . 0x0c08331a . numgen random mod 2 map "
                "@endpoints-26");
  EXPECT_EQ(first("sctp"),
            "service-ILIQLXSA-default/sig/sctp/sctp: ip daddr 10.96.0.70 ip saddr "
            "!= 10.244.0.0/16 jump mark-for-masquerade");
}

// Settings no sane cluster has, but a configuration can: they render, every rule builds, and
// nothing throws. A 0.0.0.0/0 cluster CIDR used to throw std::invalid_argument out of the sync
// thread (matchPrefix); an interface prefix longer than an interface name read past its
// buffer (matchIifname).
TEST(RenderPortTest, OddSettingsRenderWithoutThrowingOrOverrunning) {
  const auto all = shapes();
  GlobalState everythingLocal = defaultGlobal();
  everythingLocal.localTrafficCIDRs = {testing::prefix("0.0.0.0/0"), testing::prefix("::/0")};
  GlobalState longPrefix = defaultGlobal();
  longPrefix.detectLocalMode = LocalDetectMode::InterfaceNamePrefix;
  longPrefix.localInterface = "a-very-long-interface-prefix-indeed";
  GlobalState longBridge = longPrefix;
  longBridge.detectLocalMode = LocalDetectMode::BridgeInterface;
  GlobalState hostCidr = defaultGlobal();
  hostCidr.localTrafficCIDRs = {testing::prefix("10.244.1.2/32"), testing::prefix("fd00::1/128")};
  for (const GlobalState& g : {everythingLocal, longPrefix, longBridge, hostCidr}) {
    for (const Shape& s : all) {
      SCOPED_TRACE(s.name);
      PortRendering r;
      ASSERT_NO_THROW(r = renderPort(s.sp, g));
      expectRulesBuild(r.chains, s.sp.key.family);
    }
  }
  const Shape& web = shape(all, "clusterip");
  EXPECT_EQ(lines(renderPort(web.sp, everythingLocal)).front(),
            "service-GB7ZZQEM-default/web/tcp/http: ip daddr 10.96.0.10 ip saddr != 0.0.0.0/0 "
            "jump mark-for-masquerade");
  EXPECT_EQ(lines(renderPort(web.sp, hostCidr)).front(),
            "service-GB7ZZQEM-default/web/tcp/http: ip daddr 10.96.0.10 ip saddr != 10.244.1.2 "
            "jump mark-for-masquerade");
}

}  // namespace
}  // namespace kpx::nftables
