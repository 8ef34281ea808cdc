#include "watch/formats.h"

namespace kpx::watch {
namespace {

constexpr size_t kMaxLabelLength = 63;
constexpr size_t kMaxSubdomainLength = 253;
constexpr size_t kMaxIanaSvcNameLength = 15;

bool isLowerAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool isLower(char c) {
  return c >= 'a' && c <= 'z';
}

// [a-z0-9]([-a-z0-9]*[a-z0-9])? without a length limit: the subdomain regex does not limit
// its labels, only the whole name.
bool matchesLabelPattern(std::string_view text) {
  if (text.empty() || !isLowerAlnum(text.front()) || !isLowerAlnum(text.back())) return false;
  for (char c : text)
    if (!isLowerAlnum(c) && c != '-') return false;
  return true;
}

}  // namespace

bool isDns1123Label(std::string_view text) {
  return text.size() <= kMaxLabelLength && matchesLabelPattern(text);
}

bool isDns1123Subdomain(std::string_view text) {
  if (text.empty() || text.size() > kMaxSubdomainLength) return false;
  size_t start = 0;
  while (true) {
    const size_t dot = text.find('.', start);
    if (!matchesLabelPattern(text.substr(start, dot - start))) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

bool isDns1035Label(std::string_view text) {
  return isDns1123Label(text) && isLower(text.front());
}

bool isIanaSvcName(std::string_view text) {
  if (text.empty() || text.size() > kMaxIanaSvcNameLength) return false;
  if (text.front() == '-' || text.back() == '-') return false;
  if (text.find("--") != std::string_view::npos) return false;
  bool hasLetter = false;
  for (char c : text) {
    if (!isLowerAlnum(c) && c != '-') return false;
    hasLetter = hasLetter || isLower(c);
  }
  return hasLetter;
}

bool isValidPort(int64_t port) {
  return port >= kMinPort && port <= kMaxPort;
}

std::string specialIPReason(const IPAddr& ip) {
  if (ip.isUnspecified()) return "may not be unspecified (" + ip.str() + ")";
  if (ip.isLoopback()) return "may not be in the loopback range (127.0.0.0/8, ::1/128)";
  if (ip.isLinkLocal()) return "may not be in the link-local range (169.254.0.0/16, fe80::/10)";
  const auto& b = ip.bytes();
  // Link-local multicast, as Go's IP.IsLinkLocalMulticast: 224.0.0.0/24 and ff02::/16.
  const bool linkLocalMulticast =
      ip.isV4() ? (b[0] == 224 && b[1] == 0 && b[2] == 0) : (b[0] == 0xff && (b[1] & 0x0f) == 0x02);
  if (linkLocalMulticast)
    return "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)";
  return {};
}

std::string_view trimSpace(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  const size_t first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  const size_t last = text.find_last_not_of(kSpace);
  return text.substr(first, last - first + 1);
}

}  // namespace kpx::watch
