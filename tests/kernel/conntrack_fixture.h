// Test support for the conntrack kernel tests (conntrack_test.cc): a network namespace of
// this suite's own (kpxc-<pid>-<n>), entries made by real packets or through ctnetlink, and
// `conntrack -L` read back.
#pragma once

#include <gtest/gtest.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <tl/expected.hpp>

#include "dataplane/conntrack/conntrack_table.h"
#include "tests/kernel/netns.h"

namespace kpx::testing {

// Like TestNetns (netns.h), but with a suite's own prefix (<prefix>-<pid>-<n>): created with
// `ip netns add`, entered by the calling thread (verified), left and deleted on destruction,
// also on failure.
class ScratchNetns {
 public:
  static tl::expected<ScratchNetns, std::string> create(const std::string& prefix = "kpxc");
  ScratchNetns(ScratchNetns&& o) noexcept;
  ScratchNetns& operator=(ScratchNetns&&) = delete;
  ~ScratchNetns();

  // Runs argv inside the namespace (`ip netns exec <name> ...`).
  CommandResult exec(std::vector<std::string> argv) const;

 private:
  ScratchNetns(std::string name, int original) : name_(std::move(name)), original_(original) {}
  std::string name_;
  int original_ = -1;
};

// One entry as `conntrack -L` prints it: the original tuple and who the reply comes from.
struct Listed {
  std::string protocol;
  std::string origSrc, origDst, replySrc;
  uint16_t sport = 0, dport = 0;
};
std::vector<Listed> parseListing(const std::string& text);

// RAII file descriptor for the tests' sockets.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&&) = delete;
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// Entries created through ctnetlink (as conntrackd does), for what real traffic cannot easily
// make: IPv6 DNAT without routes, zones, and tens of thousands of entries in a second.
struct Spec {
  int family = AF_INET;
  uint8_t protocol = IPPROTO_UDP;
  std::string src, dst;
  uint16_t sport = 0, dport = 0;
  std::string replySrc;  // the endpoint; the reply goes back to src:sport
  uint16_t replySport = 0;
  uint16_t zone = 0;
};
// Creates them all in the calling thread's namespace; "" or what failed.
std::string createEntries(const std::vector<Spec>& specs);

// Takes CAP_NET_ADMIN out of the calling thread's effective set (capabilities are per thread)
// and puts it back on destruction: ctnetlink then refuses every request with EPERM.
class WithoutNetAdmin {
 public:
  WithoutNetAdmin();
  WithoutNetAdmin(const WithoutNetAdmin&) = delete;
  WithoutNetAdmin& operator=(const WithoutNetAdmin&) = delete;
  ~WithoutNetAdmin();
  bool dropped() const { return dropped_; }

 private:
  __user_cap_header_struct header_{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data_[2]{};
  uint32_t saved_ = 0;
  bool dropped_ = false;
};

// Each test in a fresh namespace entered by the test's thread, with a ConntrackTable opened
// there. Skips without root, `ip`, `conntrack` or `nft`, or without ctnetlink.
class ConntrackKernelTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  void run(std::vector<std::string> argv);
  // The node: address 192.168.50.1 on one end of a veth pair whose other end has no address,
  // so what goes out is dropped there and no answer ever disturbs an entry (this kernel has no
  // dummy driver); the service and pod ranges routed out through a gateway with a permanent
  // neighbour entry (no ARP); `rules` as the body of an nft nat output chain.
  void setUpNode(const std::string& rules);
  // Replaces the body of that chain.
  void loadRules(const std::string& rules);
  // The first packet of a flow from 192.168.50.1:sport (SOCK_DGRAM or SOCK_STREAM); the socket
  // stays open until TearDown.
  void send(int type, const std::string& dst, uint16_t dport, uint16_t sport);
  void sendUdp(const std::string& dst, uint16_t dport, uint16_t sport) {
    send(SOCK_DGRAM, dst, dport, sport);
  }
  // `conntrack -L -f <family>` in the namespace.
  std::vector<Listed> list(const std::string& family = "ipv4");
  // "udp/40001" for every listed IPv4 entry: the tests give each flow its own source port.
  std::set<std::string> flowsBySourcePort();
  // nf_conntrack_count of the namespace.
  size_t tableCount();

  std::optional<ScratchNetns> ns_;
  std::optional<conntrack::ConntrackTable> table_;
  std::vector<Fd> sockets_;
};

}  // namespace kpx::testing
