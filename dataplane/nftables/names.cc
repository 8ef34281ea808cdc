#include "dataplane/nftables/names.h"

#include <cstdio>

#include <cstdint>

namespace kpx::nftables {

std::string shortHash(std::string_view text) {
  // FNV-1a 64: stable across builds and platforms; collisions only cost readability since the
  // full service name follows the hash.
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string out(8, 'A');
  for (char& c : out) {
    c = kAlphabet[h & 31];
    h >>= 5;
  }
  return out;
}

namespace {

std::string portChain(std::string_view kind, const ServicePortKey& key) {
  const std::string suffix = key.chainSuffix();
  return std::string(kind) + "-" + shortHash(suffix) + "-" + suffix;
}

}  // namespace

std::string serviceChain(const ServicePortKey& key) { return portChain("service", key); }
std::string externalChain(const ServicePortKey& key) { return portChain("external", key); }
std::string firewallChain(const ServicePortKey& key) { return portChain("firewall", key); }

std::string endpointChain(const ServicePortKey& key, const EndpointState& ep) {
  const std::string suffix =
      key.chainSuffix() + "__" + ep.ip.str() + "/" + std::to_string(ep.port);
  return "endpoint-" + shortHash(suffix) + "-" + suffix;
}

ParsedChainName parseChainName(std::string_view name) {
  ParsedChainName out;
  const auto dash = name.find('-');
  if (dash == std::string_view::npos) return out;
  const std::string_view kind = name.substr(0, dash);
  if (kind != "service" && kind != "external" && kind != "firewall" && kind != "endpoint")
    return out;
  const std::string_view rest = name.substr(dash + 1);
  if (rest.size() < 10 || rest[8] != '-') return out;
  std::string_view body = rest.substr(9);
  if (kind == "endpoint") {
    const auto sep = body.rfind("__");
    if (sep == std::string_view::npos) return out;
    out.endpoint = std::string(body.substr(sep + 2));
    body = body.substr(0, sep);
  }
  out.kind = std::string(kind);
  out.port = std::string(body);
  return out;
}

std::string endpointMap(uint32_t shard) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "endpoints-%02u", shard);
  return buf;
}

}  // namespace kpx::nftables
