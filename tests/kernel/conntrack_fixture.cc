#include "tests/kernel/conntrack_fixture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_tcp.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "tests/kernel/state_builder.h"

namespace kpx::testing {

using conntrack::ConntrackTable;

namespace {

std::atomic<int> gNetnsCounter{0};

sockaddr_in v4(const std::string& address, uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  inet_pton(AF_INET, address.c_str(), &sa.sin_addr);
  return sa;
}

}  // namespace

tl::expected<ScratchNetns, std::string> ScratchNetns::create(const std::string& prefix) {
  const std::string name =
      prefix + "-" + std::to_string(getpid()) + "-" + std::to_string(gNetnsCounter.fetch_add(1));
  const int original = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (original < 0) return tl::unexpected(std::string("open own netns: ") + strerror(errno));
  const CommandResult added = runCommand({"ip", "netns", "add", name});
  if (added.status != 0) {
    close(original);
    return tl::unexpected("ip netns add " + name + ": " + added.output);
  }
  ScratchNetns ns(name, original);  // deletes the namespace from here on, whatever happens
  const std::string path = "/run/netns/" + name;
  const int target = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (target < 0) return tl::unexpected("open " + path + ": " + strerror(errno));
  const int rc = setns(target, CLONE_NEWNET);
  close(target);
  if (rc != 0) return tl::unexpected("setns " + path + ": " + strerror(errno));
  struct stat now {};
  struct stat want {};
  if (stat("/proc/thread-self/ns/net", &now) != 0 || stat(path.c_str(), &want) != 0 ||
      now.st_ino != want.st_ino || now.st_dev != want.st_dev) {
    return tl::unexpected("thread is not in " + name + " after setns");
  }
  return ns;
}

ScratchNetns::ScratchNetns(ScratchNetns&& o) noexcept
    : name_(std::move(o.name_)), original_(o.original_) {
  o.name_.clear();
  o.original_ = -1;
}

ScratchNetns::~ScratchNetns() {
  if (original_ >= 0) {
    setns(original_, CLONE_NEWNET);
    close(original_);
  }
  if (!name_.empty()) runCommand({"ip", "netns", "delete", name_});
}

CommandResult ScratchNetns::exec(std::vector<std::string> argv) const {
  std::vector<std::string> full = {"ip", "netns", "exec", name_};
  full.insert(full.end(), argv.begin(), argv.end());
  return runCommand(full);
}

std::vector<Listed> parseListing(const std::string& text) {
  std::vector<Listed> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    Listed e;
    words >> e.protocol;
    if (e.protocol != "udp" && e.protocol != "tcp") continue;  // the summary line, warnings
    int srcs = 0;
    std::string w;
    while (words >> w) {
      const auto eq = w.find('=');
      if (eq == std::string::npos) continue;
      const std::string k = w.substr(0, eq), v = w.substr(eq + 1);
      if (k == "src") (srcs++ == 0 ? e.origSrc : e.replySrc) = v;
      if (k == "dst" && e.origDst.empty()) e.origDst = v;
      if (k == "sport" && e.sport == 0) e.sport = static_cast<uint16_t>(std::stoi(v));
      if (k == "dport" && e.dport == 0) e.dport = static_cast<uint16_t>(std::stoi(v));
    }
    out.push_back(e);
  }
  return out;
}

std::string createEntries(const std::vector<Spec>& specs) {
  conntrack::MnlSocketPtr sock(mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC));
  if (!sock || mnl_socket_bind(sock.get(), 0, MNL_SOCKET_AUTOPID) < 0) return "open socket";
  int one = 1;
  if (mnl_socket_setsockopt(sock.get(), NETLINK_CAP_ACK, &one, sizeof(one)) < 0) {
    return "NETLINK_CAP_ACK: " + std::string(strerror(errno));
  }
  std::vector<char> send(64 * 512), recv(conntrack::kReceiveBufferSize);
  uint32_t seq = 0;
  for (size_t start = 0; start < specs.size(); start += 64) {
    size_t len = 0, count = 0;
    for (size_t i = start; i < specs.size() && i < start + 64; ++i, ++count) {
      const Spec& s = specs[i];
      conntrack::EntryPtr ct(nfct_new());
      const bool is4 = s.family == AF_INET;
      uint8_t a[16], b[16], r[16];
      if (inet_pton(s.family, s.src.c_str(), a) != 1 ||
          inet_pton(s.family, s.dst.c_str(), b) != 1 ||
          inet_pton(s.family, s.replySrc.c_str(), r) != 1) {
        return "bad address in spec";
      }
      nfct_set_attr_u8(ct.get(), ATTR_ORIG_L3PROTO, static_cast<uint8_t>(s.family));
      nfct_set_attr_u8(ct.get(), ATTR_REPL_L3PROTO, static_cast<uint8_t>(s.family));
      nfct_set_attr(ct.get(), is4 ? ATTR_ORIG_IPV4_SRC : ATTR_ORIG_IPV6_SRC, a);
      nfct_set_attr(ct.get(), is4 ? ATTR_ORIG_IPV4_DST : ATTR_ORIG_IPV6_DST, b);
      nfct_set_attr(ct.get(), is4 ? ATTR_REPL_IPV4_SRC : ATTR_REPL_IPV6_SRC, r);
      nfct_set_attr(ct.get(), is4 ? ATTR_REPL_IPV4_DST : ATTR_REPL_IPV6_DST, a);
      nfct_set_attr_u8(ct.get(), ATTR_ORIG_L4PROTO, s.protocol);
      nfct_set_attr_u8(ct.get(), ATTR_REPL_L4PROTO, s.protocol);
      nfct_set_attr_u16(ct.get(), ATTR_ORIG_PORT_SRC, htons(s.sport));
      nfct_set_attr_u16(ct.get(), ATTR_ORIG_PORT_DST, htons(s.dport));
      nfct_set_attr_u16(ct.get(), ATTR_REPL_PORT_SRC, htons(s.replySport));
      nfct_set_attr_u16(ct.get(), ATTR_REPL_PORT_DST, htons(s.sport));
      nfct_set_attr_u32(ct.get(), ATTR_TIMEOUT, 600);
      if (s.protocol == IPPROTO_TCP) {
        nfct_set_attr_u8(ct.get(), ATTR_TCP_STATE, TCP_CONNTRACK_ESTABLISHED);
      }
      if (s.zone != 0) nfct_set_attr_u16(ct.get(), ATTR_ZONE, s.zone);
      nlmsghdr* nlh = mnl_nlmsg_put_header(send.data() + len);
      nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
      nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
      nlh->nlmsg_seq = ++seq;
      auto* nfh = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
      nfh->nfgen_family = static_cast<uint8_t>(s.family);
      nfh->version = NFNETLINK_V0;
      nfh->res_id = 0;
      if (nfct_nlmsg_build(nlh, ct.get()) != 0) return "build entry";
      len += MNL_ALIGN(nlh->nlmsg_len);
    }
    if (mnl_socket_sendto(sock.get(), send.data(), len) < 0)
      return "send: " + std::string(strerror(errno));
    while (count > 0) {
      const ssize_t n = mnl_socket_recvfrom(sock.get(), recv.data(), recv.size());
      if (n < 0) return "receive acks: " + std::string(strerror(errno));
      int left = static_cast<int>(n);
      for (auto* nlh = reinterpret_cast<const nlmsghdr*>(recv.data()); mnl_nlmsg_ok(nlh, left);
           nlh = mnl_nlmsg_next(nlh, &left)) {
        if (nlh->nlmsg_type != NLMSG_ERROR) continue;
        const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
        if (err->error != 0) return "create entry: " + std::string(strerror(-err->error));
        --count;
      }
    }
  }
  return "";
}

WithoutNetAdmin::WithoutNetAdmin() {
  if (syscall(SYS_capget, &header_, data_) != 0) return;
  saved_ = data_[0].effective;
  data_[0].effective &= ~(1u << CAP_NET_ADMIN);
  dropped_ = syscall(SYS_capset, &header_, data_) == 0;
}
WithoutNetAdmin::~WithoutNetAdmin() {
  if (!dropped_) return;
  data_[0].effective = saved_;
  syscall(SYS_capset, &header_, data_);
}
void ConntrackKernelTest::SetUp() {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces, ctnetlink)";
  for (const char* tool : {"ip", "conntrack", "nft"}) {
    if (!haveExecutable(tool)) GTEST_SKIP() << "needs `" << tool << "` on PATH";
  }
  auto ns = ScratchNetns::create();
  ASSERT_TRUE(ns) << ns.error();
  ns_.emplace(std::move(*ns));
  auto table = ConntrackTable::open();
  ASSERT_TRUE(table) << table.error().str();
  table_.emplace(std::move(*table));
  // Probe ctnetlink with a filter that matches nothing: a kernel without conntrack netlink
  // (module missing, not loadable here) is a skip, not a failure.
  const ConntrackFilter nothing{.family = IPFamily::V4,
                                .protocol = Protocol::UDP,
                                .origDst = addr("192.0.2.1"),
                                .origDstPort = 1,
                                .replySrc = std::nullopt};
  auto probe = table_->deleteMatching({nothing});
  if (!probe && (probe.error().errnum == EOPNOTSUPP || probe.error().errnum == EPROTONOSUPPORT)) {
    GTEST_SKIP() << "no ctnetlink: " << probe.error().str();
  }
  ASSERT_TRUE(probe) << probe.error().str();
  ASSERT_EQ(*probe, 0u);
}
void ConntrackKernelTest::TearDown() {
  table_.reset();
  sockets_.clear();
  ns_.reset();
}

void ConntrackKernelTest::run(std::vector<std::string> argv) {
  const CommandResult r = ns_->exec(argv);
  std::string joined;
  for (const auto& a : argv) joined += a + " ";
  ASSERT_EQ(r.status, 0) << joined << "\n" << r.output;
}

void ConntrackKernelTest::setUpNode(const std::string& rules) {
  run({"ip", "link", "set", "lo", "up"});
  run({"ip", "link", "add", "kpxc0", "type", "veth", "peer", "name", "kpxc1"});
  run({"ip", "link", "set", "kpxc1", "up"});
  run({"ip", "link", "set", "kpxc0", "up"});
  run({"ip", "addr", "add", "192.168.50.1/24", "dev", "kpxc0"});
  run({"ip", "neigh", "add", "192.168.50.2", "lladdr", "02:00:00:00:00:02", "dev", "kpxc0", "nud",
       "permanent"});
  run({"ip", "route", "add", "10.96.0.0/16", "via", "192.168.50.2"});
  run({"ip", "route", "add", "10.244.0.0/16", "via", "192.168.50.2"});
  loadRules(rules);
}

void ConntrackKernelTest::loadRules(const std::string& rules) {
  const std::string path = "/tmp/kpxc-rules-" + std::to_string(getpid()) + ".nft";
  {
    std::ofstream f(path);
    f << "table ip kpxc\nflush table ip kpxc\ntable ip kpxc {\n"
      << "  chain out {\n    type nat hook output priority -100; policy accept;\n"
      << rules << "  }\n}\n";
  }
  const CommandResult r = ns_->exec({"nft", "-f", path});
  std::remove(path.c_str());
  ASSERT_EQ(r.status, 0) << r.output;
}

void ConntrackKernelTest::send(int type, const std::string& dst, uint16_t dport, uint16_t sport) {
  Fd fd(socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  const int one = 1;
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  const sockaddr_in local = v4("0.0.0.0", sport);
  ASSERT_EQ(bind(fd.get(), reinterpret_cast<const sockaddr*>(&local), sizeof(local)), 0)
      << strerror(errno);
  const sockaddr_in to = v4(dst, dport);
  if (type == SOCK_DGRAM) {
    ASSERT_EQ(sendto(fd.get(), "x", 1, 0, reinterpret_cast<const sockaddr*>(&to), sizeof(to)), 1)
        << strerror(errno);
  } else {
    const int rc = connect(fd.get(), reinterpret_cast<const sockaddr*>(&to), sizeof(to));
    ASSERT_TRUE(rc == 0 || errno == EINPROGRESS) << strerror(errno);
  }
  sockets_.push_back(std::move(fd));
}
std::vector<Listed> ConntrackKernelTest::list(const std::string& family) {
  const CommandResult r = ns_->exec({"conntrack", "-L", "-f", family});
  EXPECT_EQ(r.status, 0) << r.output;
  return parseListing(r.output);
}
std::set<std::string> ConntrackKernelTest::flowsBySourcePort() {
  std::set<std::string> out;
  for (const Listed& e : list()) out.insert(e.protocol + "/" + std::to_string(e.sport));
  return out;
}
size_t ConntrackKernelTest::tableCount() {
  std::ifstream f("/proc/sys/net/netfilter/nf_conntrack_count");  // per namespace
  size_t n = 0;
  f >> n;
  return n;
}

}  // namespace kpx::testing
