#include "watch/object_hash.h"

#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kpx::watch {
namespace {

// Every field of the model is hashed below: a field added to the model without being added here
// would make FileSource miss changes to it (object_hash_test.cc checks the model's layout).

// Words mixed in one at a time (a multiply-xorshift round each); every variable-length value is
// preceded by its length, so that ("ab", "c") and ("a", "bc") differ.
class Digest {
 public:
  uint64_t value() const { return mix(state_ ^ count_); }

  void word(uint64_t v) { state_ = mix(state_ ^ mix(v + 0x9e3779b97f4a7c15ULL * ++count_)); }
  void text(std::string_view s) {
    word(s.size());
    size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
      uint64_t chunk;
      std::memcpy(&chunk, s.data() + i, 8);
      word(chunk);
    }
    if (i < s.size()) {
      uint64_t chunk = 0;
      std::memcpy(&chunk, s.data() + i, s.size() - i);
      word(chunk);
    }
  }

  void add(const std::string& s) { text(s); }
  void add(bool v) { word(v ? 1 : 0); }
  void add(uint8_t v) { word(v); }
  void add(uint16_t v) { word(v); }
  void add(int32_t v) { word(static_cast<uint32_t>(v)); }
  template <typename E>
  requires std::is_enum_v<E>
  void add(E v) { word(static_cast<uint64_t>(v)); }
  void add(const IPAddr& ip) {
    add(ip.family());
    const auto& bytes = ip.bytes();
    text(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  }
  void add(const CIDR& cidr) {
    add(cidr.addr());
    add(cidr.prefixLen());
  }
  template <typename T>
  void add(const std::optional<T>& v) {
    add(v.has_value());
    if (v) add(*v);
  }
  template <typename T>
  void add(const std::vector<T>& v) {
    word(v.size());
    for (const T& item : v) add(item);
  }
  void add(const std::map<std::string, std::string>& m) {
    word(m.size());
    for (const auto& [key, value] : m) {
      add(key);
      add(value);
    }
  }
  void add(const IntOrString& v) {
    add(v.isName());
    if (v.isName())
      add(v.name());
    else
      add(v.number());
  }
  void add(const ObjectMeta& m) {
    add(m.namespace_);
    add(m.name);
    add(m.resourceVersion);
    add(m.labels);
  }
  void add(const ServicePort& p) {
    add(p.name);
    add(p.protocol);
    add(p.port);
    add(p.targetPort);
    add(p.nodePort);
  }
  void add(const LoadBalancerIngress& i) {
    add(i.ip);
    add(i.hostname);
    add(i.ipMode);
  }
  void add(const Service& s) {
    add(s.meta);
    add(s.type);
    add(s.headless);
    add(s.clusterIPs);
    add(s.ipFamilies);
    add(s.ports);
    add(s.externalIPs);
    add(s.sessionAffinity);
    add(s.affinityTimeoutSeconds);
    add(s.externalTrafficPolicy);
    add(s.internalTrafficPolicy);
    add(s.healthCheckNodePort);
    add(s.loadBalancerSourceRanges);
    add(s.loadBalancerIngress);
    add(s.trafficDistribution);
    add(s.externalName);
  }
  void add(const EndpointPort& p) {
    add(p.name);
    add(p.protocol);
    add(p.port);
  }
  void add(const Endpoint& e) {
    add(e.address);
    add(e.conditions.ready);
    add(e.conditions.serving);
    add(e.conditions.terminating);
    add(e.nodeName);
    add(e.hintZones());
    add(e.hintNodes());
  }
  void add(const EndpointSlice& s) {
    add(s.meta);
    add(s.serviceName);
    add(s.addressType);
    add(s.ports);
    add(s.endpoints);
  }
  void add(const NodeAddress& a) {
    add(a.type);
    add(a.address);
  }
  void add(const Node& n) {
    add(n.meta);
    add(n.addresses);
    add(n.podCIDRs);
    add(n.deleting);
    add(n.taintKeys);
  }

 private:
  static uint64_t mix(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
  }

  uint64_t state_ = 0x6a09e667f3bcc909ULL;
  uint64_t count_ = 0;
};

}  // namespace

uint64_t contentHash(const Object& object) {
  Digest digest;
  digest.word(object.index());
  std::visit([&](const auto& typed) { digest.add(typed); }, object);
  return digest.value();
}

uint64_t textHash(std::string_view text) {
  Digest digest;
  digest.text(text);
  return digest.value();
}

}  // namespace kpx::watch
