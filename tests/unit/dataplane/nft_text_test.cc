// The parser of `nft list table` and `nft --debug=netlink` output that the kernel tests compare
// the kernel with (tests/kernel/nft_text.h), on text as nft 1.0.6 prints it.
#include "tests/kernel/nft_text.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kpx::testing {
namespace {

using Lines = std::vector<std::string>;

TEST(NftTextTest, ParsesChainsSetsAndMultiLineElements) {
  const std::string text = R"(table ip kpx {
	comment "kpx: Kubernetes services; managed by kpx"
	map service-ips {
		type ipv4_addr . inet_proto . inet_service : verdict
		elements = { 10.96.0.10 . tcp . 80 comment "default/web:http" : goto "service-X-default/web/tcp/http",
			     10.96.0.20 . udp . 53 : drop }
	}

	set cluster-ips {
		type ipv4_addr
		elements = { 10.96.0.10 }
	}

	set empty {
		type ipv4_addr
	}

	chain nat-prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		jump services
	}

	chain "service-X-default/web/tcp/http" {
		comment "default/web:http"
		ip daddr 10.96.0.10 ip saddr != 10.244.0.0/16 jump mark-for-masquerade
		meta l4proto tcp dnat ip to 10.244.1.2:8080
	}
}
)";
  const NftTableText t = parseNftTable(text);
  ASSERT_EQ(t.sets.size(), 3U);
  EXPECT_TRUE(t.sets.at("service-ips").isMap);
  EXPECT_EQ(t.sets.at("service-ips").properties,
            (Lines{"type ipv4_addr . inet_proto . inet_service : verdict"}));
  EXPECT_EQ(t.sets.at("service-ips").elements,
            (Lines{"10.96.0.10 . tcp . 80 comment \"default/web:http\" : goto "
                   "\"service-X-default/web/tcp/http\"",
                   "10.96.0.20 . udp . 53 : drop"}));
  EXPECT_EQ(t.sets.at("cluster-ips").elements, (Lines{"10.96.0.10"}));
  EXPECT_TRUE(t.sets.at("empty").elements.empty());
  ASSERT_EQ(t.chains.size(), 2U);
  EXPECT_EQ(t.chains.at("nat-prerouting").header,
            "type nat hook prerouting priority dstnat; policy accept;");
  EXPECT_EQ(t.chains.at("nat-prerouting").rules, (Lines{"jump services"}));
  const NftChainText& svc = t.chains.at("service-X-default/web/tcp/http");
  EXPECT_EQ(svc.comment, "default/web:http");
  EXPECT_EQ(svc.rules.size(), 2U);
}

TEST(NftTextTest, SplitsDebugOutputIntoRules) {
  const std::string text = R"(ip kpx ours
  [ payload load 4b @ network header + 16 => reg 1 ]
  [ lookup reg 1 set service-ips dreg 0 ]

ip kpx ours
  [ immediate reg 0 accept ]
)";
  EXPECT_EQ(parseNftDebugRules(text),
            (std::vector<Lines>{{"[ payload load 4b @ network header + 16 => reg 1 ]",
                                 "[ lookup reg 1 set service-ips dreg 0 ]"},
                                {"[ immediate reg 0 accept ]"}}));
  EXPECT_TRUE(parseNftDebugRules("").empty());
  EXPECT_TRUE(parseNftTable("").chains.empty());
}

}  // namespace
}  // namespace kpx::testing
