#include "tests/contract/backends.h"

#include <gtest/gtest.h>

#include "dataplane/netlink/reader.h"
#include "dataplane/netlink/socket.h"

namespace kpx::contract {

void NftablesBackend::setUp() {
  auto ns = testing::TestNetns::create();
  ASSERT_TRUE(ns) << ns.error();
  netns_.emplace(std::move(*ns));
}

testing::CommandResult NftablesBackend::nft(std::vector<std::string> args) const {
  args.insert(args.begin(), "nft");
  return netns_->exec(std::move(args));
}

void NftablesBackend::addForeignObjects() {
  // Another component's table, and a table named like kpx's in a family kpx does not use.
  for (const auto& cmd : std::vector<std::vector<std::string>>{
           {"add", "table", "ip", "foreign"},
           {"add", "chain", "ip", "foreign", "input",
            "{ type filter hook input priority 0; policy accept; }"},
           {"add", "rule", "ip", "foreign", "input", "tcp", "dport", "22", "accept"},
           {"add", "set", "ip", "foreign", "allowed", "{ type ipv4_addr; }"},
           {"add", "element", "ip", "foreign", "allowed", "{ 192.0.2.1 }"},
           {"add", "table", "inet", "kpx"},
           {"add", "chain", "inet", "kpx", "mine"},
           {"add", "rule", "inet", "kpx", "mine", "counter"}}) {
    const auto r = nft(cmd);
    ASSERT_EQ(r.status, 0) << r.output;
  }
}

std::string NftablesBackend::foreignObjects() const {
  return nft({"-a", "list", "table", "ip", "foreign"}).output +
         nft({"-a", "list", "table", "inet", "kpx"}).output;
}

size_t NftablesBackend::writes() const {
  auto socket = nft::Socket::open();
  EXPECT_TRUE(socket);
  if (!socket) return 0;
  auto generation = nft::Reader(*socket).generation();
  EXPECT_TRUE(generation);
  return generation ? *generation : 0;
}

void NftablesBackend::tamper() {
  const auto r = nft({"delete", "table", "ip", "kpx"});
  ASSERT_EQ(r.status, 0) << r.output;
}

void NftablesBackend::refuseNextIncremental() {
  const auto r = nft({"flush", "set", "ip", "kpx", "stamp"});
  ASSERT_EQ(r.status, 0) << r.output;
}

}  // namespace kpx::contract
