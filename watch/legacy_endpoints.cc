#include "watch/legacy_endpoints.h"

#include <algorithm>
#include <set>

#include "watch/enum_values.h"
#include "watch/object_readers.h"

namespace kpx::watch {
namespace {

std::vector<EndpointPort> readPorts(const FieldReader& subset) {
  std::vector<EndpointPort> ports;
  for (const FieldReader& item : subset.objects("ports")) {
    EndpointPort port;
    port.name = item.string("name").value_or("");
    if (auto text = item.string("protocol"))
      port.protocol = parseProtocol(*text).value_or(Protocol::TCP);
    if (auto number = item.integer("port")) port.port = toPort(*number);
    ports.push_back(std::move(port));
  }
  return ports;
}

// Adds each address of `list` ("addresses" or "notReadyAddresses") to the endpoints of its family.
void readAddresses(const FieldReader& subset, std::string_view list, bool ready,
                   std::vector<Endpoint>& v4, std::vector<Endpoint>& v6) {
  for (const FieldReader& item : subset.objects(list)) {
    const std::string ip = item.string("ip").value_or("");
    const auto parsed = IPAddr::parse(ip);
    if (!parsed) continue;  // validation rejects the object
    Endpoint endpoint;
    endpoint.address = ip;
    endpoint.conditions.ready = ready;
    endpoint.nodeName = item.string("nodeName").value_or("");
    (parsed->isV4() ? v4 : v6).push_back(std::move(endpoint));
  }
}

}  // namespace

std::vector<EndpointSlice> readLegacyEndpoints(const FieldReader& root) {
  const ObjectMeta meta = readMeta(root, /*namespaced=*/true);
  std::vector<EndpointSlice> slices;
  for (const FieldReader& subset : root.objects("subsets")) {
    std::vector<Endpoint> v4, v6;
    readAddresses(subset, "addresses", true, v4, v6);
    readAddresses(subset, "notReadyAddresses", false, v4, v6);
    const std::vector<EndpointPort> ports = readPorts(subset);
    for (auto [family, endpoints] :
         {std::pair{AddressType::IPv4, &v4}, std::pair{AddressType::IPv6, &v6}}) {
      if (endpoints->empty()) continue;
      EndpointSlice slice;
      slice.meta.namespace_ = meta.namespace_;
      slice.meta.name = meta.name + "-legacy-" + std::to_string(slices.size());
      slice.meta.resourceVersion = meta.resourceVersion;
      slice.meta.labels = meta.labels;
      slice.meta.labels[std::string(kServiceNameLabel)] = meta.name;
      slice.meta.labels[std::string(kManagedByLabel)] = std::string(kLegacyManagedBy);
      slice.serviceName = meta.name;
      slice.addressType = family;
      slice.ports = ports;
      slice.endpoints = std::move(*endpoints);
      slices.push_back(std::move(slice));
    }
  }
  return slices;
}

bool isLegacySlice(const EndpointSlice& slice) {
  auto it = slice.meta.labels.find(std::string(kManagedByLabel));
  return it != slice.meta.labels.end() && it->second == kLegacyManagedBy;
}

void dropShadowedLegacySlices(std::vector<Object>& objects) {
  std::set<std::string> servicesWithSlices;  // "namespace/service"
  for (const Object& object : objects) {
    const auto* slice = std::get_if<EndpointSlice>(&object);
    if (slice && !slice->serviceName.empty() && !isLegacySlice(*slice))
      servicesWithSlices.insert(slice->meta.namespace_ + "/" + slice->serviceName);
  }
  std::erase_if(objects, [&](const Object& object) {
    const auto* slice = std::get_if<EndpointSlice>(&object);
    return slice && isLegacySlice(*slice) &&
           servicesWithSlices.count(slice->meta.namespace_ + "/" + slice->serviceName) > 0;
  });
}

}  // namespace kpx::watch
