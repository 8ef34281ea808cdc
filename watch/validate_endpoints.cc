// EndpointSlice validation (discovery/validation) and legacy Endpoints validation
// (ValidateEndpoints): addresses that can be proxied to, valid ports.
#include "watch/enum_values.h"
#include "watch/formats.h"
#include "watch/validation.h"
#include "watch/validation_rules.h"

namespace kpx::watch {
namespace {

// Limits of discovery/v1 (maxEndpoints, maxPorts, maxAddresses).
constexpr size_t kMaxSliceEndpoints = 1000;
constexpr size_t kMaxSlicePorts = 100;
constexpr size_t kMaxEndpointAddresses = 100;

void checkSliceAddress(ErrorList& errors, const std::string& field, const std::string& address,
                       AddressType type) {
  switch (type) {
    case AddressType::IPv4:
      checkProxyIP(errors, field, address, IPFamily::V4);
      return;
    case AddressType::IPv6:
      checkProxyIP(errors, field, address, IPFamily::V6);
      return;
    // FQDN slices are accepted (the API server allows them) and left unused by the proxy.
    case AddressType::FQDN:
      checkName(errors, field, address, NameRule::Dns1123Subdomain);
      return;
  }
}

void checkSliceEndpoint(const FieldReader& item, std::optional<AddressType> type) {
  const std::vector<std::string> addresses = item.strings("addresses");
  if (addresses.empty() && item.listSize("addresses") == 0)
    item.invalid("addresses", "", "required value: must contain at least 1 address");
  checkMaxItems(item, "addresses", kMaxEndpointAddresses);
  if (type) {
    for (size_t i = 0; i < addresses.size(); ++i)
      checkSliceAddress(item.errors(), indexPath(item.pathOf("addresses"), i), addresses[i], *type);
  }
  if (auto nodeName = item.string("nodeName"); nodeName && !nodeName->empty())
    checkName(item.errors(), item.pathOf("nodeName"), *nodeName, NameRule::Dns1123Subdomain);
  if (auto hostname = item.string("hostname"); hostname && !hostname->empty())
    checkName(item.errors(), item.pathOf("hostname"), *hostname, NameRule::Dns1123Label);
}

// One entry of subsets[].addresses or subsets[].notReadyAddresses.
void checkLegacyAddress(const FieldReader& item) {
  const auto ip = item.string("ip");
  if (!ip || ip->empty())
    item.invalid("ip", "", "required value");
  else
    checkProxyIP(item.errors(), item.pathOf("ip"), *ip, std::nullopt);
  if (auto hostname = item.string("hostname"); hostname && !hostname->empty())
    checkName(item.errors(), item.pathOf("hostname"), *hostname, NameRule::Dns1123Label);
  if (auto nodeName = item.string("nodeName"); nodeName && !nodeName->empty())
    checkName(item.errors(), item.pathOf("nodeName"), *nodeName, NameRule::Dns1123Subdomain);
}

}  // namespace

void validateEndpointSlice(const FieldReader& root) {
  checkMetadata(root, NameRule::Dns1123Subdomain, /*namespaced=*/true);
  std::optional<AddressType> type;
  if (auto text = root.string("addressType"); !text || text->empty()) {
    root.invalid("addressType", "", "required value");
  } else if (!(type = parseAddressType(*text))) {
    root.invalid("addressType", *text, "unsupported value: " + std::string(kAddressTypeValues));
  }
  checkMaxItems(root, "endpoints", kMaxSliceEndpoints);
  for (const FieldReader& item : root.objects("endpoints")) checkSliceEndpoint(item, type);

  checkMaxItems(root, "ports", kMaxSlicePorts);
  const std::vector<FieldReader> ports = root.objects("ports");
  checkPortNames(ports, /*requireNames=*/false);
  for (const FieldReader& item : ports) {
    checkProtocol(item);
    checkPort(item, "port", /*required=*/false);  // unset: "all ports", legal but unusable
  }
}

void validateEndpoints(const FieldReader& root) {
  checkMetadata(root, NameRule::Dns1123Subdomain, /*namespaced=*/true);
  for (const FieldReader& subset : root.objects("subsets")) {
    for (const FieldReader& item : subset.objects("addresses")) checkLegacyAddress(item);
    for (const FieldReader& item : subset.objects("notReadyAddresses")) checkLegacyAddress(item);
    const std::vector<FieldReader> ports = subset.objects("ports");
    checkPortNames(ports, /*requireNames=*/ports.size() > 1);
    for (const FieldReader& item : ports) {
      checkProtocol(item);
      checkPort(item, "port", /*required=*/true);
    }
  }
}

}  // namespace kpx::watch
