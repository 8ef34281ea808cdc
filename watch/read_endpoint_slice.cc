#include "watch/enum_values.h"
#include "watch/object_readers.h"

namespace kpx::watch {
namespace {

std::vector<EndpointPort> readPorts(const FieldReader& root) {
  std::vector<EndpointPort> ports;
  for (const FieldReader& item : root.objects("ports")) {
    EndpointPort port;
    port.name = item.string("name");
    if (auto text = item.string("protocol"))
      port.protocol = parseProtocol(*text).value_or(Protocol::TCP);
    if (auto number = item.integer("port")) port.port = toPort(*number);
    ports.push_back(std::move(port));
  }
  return ports;
}

// hints.forZones[].name or hints.forNodes[].name.
std::vector<std::string> readHintNames(const FieldReader& hints, std::string_view key) {
  std::vector<std::string> names;
  for (const FieldReader& item : hints.objects(key))
    if (auto name = item.string("name")) names.push_back(*name);
  return names;
}

Endpoint readEndpoint(const FieldReader& item) {
  Endpoint endpoint;
  std::vector<std::string> addresses = item.strings("addresses");
  if (!addresses.empty()) endpoint.address = std::move(addresses.front());
  const FieldReader conditions = item.object("conditions");
  endpoint.conditions.ready = conditions.boolean("ready");
  endpoint.conditions.serving = conditions.boolean("serving");
  endpoint.conditions.terminating = conditions.boolean("terminating");
  endpoint.nodeName = item.string("nodeName").value_or("");
  (void)item.string("zone");  // type-checked, not kept (see Endpoint)
  const FieldReader hints = item.object("hints");
  endpoint.setHints(readHintNames(hints, "forZones"), readHintNames(hints, "forNodes"));
  return endpoint;
}

}  // namespace

EndpointSlice readEndpointSlice(const FieldReader& root) {
  EndpointSlice slice;
  slice.meta = readMeta(root, /*namespaced=*/true);
  auto label = slice.meta.labels.find(std::string(kServiceNameLabel));
  if (label != slice.meta.labels.end()) slice.serviceName = label->second;
  if (auto text = root.string("addressType"))
    slice.addressType = parseAddressType(*text).value_or(AddressType::IPv4);
  slice.ports = readPorts(root);
  for (const FieldReader& item : root.objects("endpoints"))
    slice.endpoints.push_back(readEndpoint(item));
  return slice;
}

Node readNode(const FieldReader& root) {
  Node node;
  node.meta = readMeta(root, /*namespaced=*/false);
  for (const FieldReader& item : root.object("status").objects("addresses")) {
    node.addresses.push_back(NodeAddress{.type = item.string("type").value_or(""),
                                         .address = item.string("address").value_or("")});
  }
  const FieldReader spec = root.object("spec");
  std::vector<std::string> cidrs = spec.strings("podCIDRs");
  // spec.podCIDR alone: nodes written before dual stack (it always equals podCIDRs[0]).
  if (cidrs.empty()) {
    if (auto single = spec.string("podCIDR"); single && !single->empty()) cidrs.push_back(*single);
  }
  for (const std::string& text : cidrs)
    if (auto cidr = CIDR::parse(text)) node.podCIDRs.push_back(*cidr);
  // Any deletionTimestamp means "being deleted" (Go's !DeletionTimestamp.IsZero()); its value
  // does not matter. Of the taints only the keys count (ToBeDeletedByClusterAutoscaler).
  node.deleting = root.object("metadata").string("deletionTimestamp").has_value();
  for (const FieldReader& taint : spec.objects("taints"))
    node.taintKeys.push_back(taint.string("key").value_or(""));
  return node;
}

}  // namespace kpx::watch
