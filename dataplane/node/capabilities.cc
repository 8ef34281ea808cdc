#include "dataplane/node/capabilities.h"

#include <libmnl/libmnl.h>
#include <linux/capability.h>
#include <linux/genetlink.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <ctime>
#include <memory>
#include <vector>

#include "dataplane/netlink/reader.h"
#include "dataplane/netlink/socket.h"

namespace kpx::node {

bool hasNetAdmin() {
  if (geteuid() == 0) return true;
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
  if (syscall(SYS_capget, &header, data) != 0) return false;
  return (data[CAP_NET_ADMIN / 32].effective & (1u << (CAP_NET_ADMIN % 32))) != 0;
}

bool kernelHasNfTables() {
  auto socket = nft::Socket::open();
  if (!socket) return false;
  nft::Reader reader(*socket);
  return reader.generation().has_value();
}

bool kernelHasIPVS() {
  std::unique_ptr<mnl_socket, decltype(&mnl_socket_close)> nl(mnl_socket_open(NETLINK_GENERIC),
                                                              &mnl_socket_close);
  if (!nl || mnl_socket_bind(nl.get(), 0, MNL_SOCKET_AUTOPID) < 0) return false;
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = GENL_ID_CTRL;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  nlh->nlmsg_seq = static_cast<uint32_t>(time(nullptr));
  auto* genl = static_cast<genlmsghdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(genlmsghdr)));
  genl->cmd = CTRL_CMD_GETFAMILY;
  genl->version = 1;
  mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "IPVS");
  if (mnl_socket_sendto(nl.get(), nlh, nlh->nlmsg_len) < 0) return false;
  // The answer is the family (found) or an error ack (ENOENT: not registered); either way the
  // first message says which.
  const ssize_t n = mnl_socket_recvfrom(nl.get(), buf.data(), buf.size());
  if (n <= 0) return false;
  const auto* reply = reinterpret_cast<const nlmsghdr*>(buf.data());
  if (!mnl_nlmsg_ok(reply, static_cast<int>(n))) return false;
  if (reply->nlmsg_type == NLMSG_ERROR) return false;
  return reply->nlmsg_type == GENL_ID_CTRL;
}

}  // namespace kpx::node
