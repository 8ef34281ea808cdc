// Base fixture for tests against the real kernel: each test gets a fresh network namespace and
// a netlink socket opened inside it. Skips (never passes) without root or without nf_tables.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <array>
#include <optional>
#include <string>

#include "dataplane/netlink/batch.h"
#include "dataplane/netlink/reader.h"
#include "dataplane/netlink/socket.h"
#include "tests/kernel/netns.h"
#include "tests/kernel/nft_text.h"

namespace kpx::testing {

inline std::array<uint8_t, 4> ipv4(const char* text) {
  std::array<uint8_t, 4> out{};
  inet_pton(AF_INET, text, out.data());
  return out;
}

inline std::array<uint8_t, 16> ipv6(const char* text) {
  std::array<uint8_t, 16> out{};
  inet_pton(AF_INET6, text, out.data());
  return out;
}

class KernelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN for netns)";
    auto ns = TestNetns::create();
    if (!ns) GTEST_SKIP() << "cannot create a network namespace: " << ns.error();
    netns_.emplace(std::move(*ns));
    auto sock = nft::Socket::open();
    if (!sock) GTEST_SKIP() << "no netfilter netlink: " << sock.error().str();
    socket_.emplace(std::move(*sock));
    nft::Reader reader(*socket_);
    if (auto tables = reader.tables(nft::Family::Ip); !tables) {
      GTEST_SKIP() << "nf_tables not available: " << tables.error().str();
    }
  }

  void TearDown() override {
    socket_.reset();
    netns_.reset();  // leaves and deletes the namespace, on failure too
  }

  void requireNft() {
    if (!haveExecutable("nft")) GTEST_SKIP() << "the nft binary is not installed";
  }

  nft::Socket& socket() { return *socket_; }
  nft::Reader reader() { return nft::Reader(*socket_); }

  // `nft <args...>` inside the test namespace.
  CommandResult nft(std::vector<std::string> args) const {
    args.insert(args.begin(), "nft");
    return netns_->exec(std::move(args));
  }

  NftTableText nftTable(nft::Family family, const std::string& table) const {
    const CommandResult r = nft({"list", "table", std::string(nft::familyName(family)), table});
    EXPECT_EQ(r.status, 0) << r.output;
    return parseNftTable(r.output);
  }

  std::optional<TestNetns> netns_;
  std::optional<nft::Socket> socket_;
};

}  // namespace kpx::testing
