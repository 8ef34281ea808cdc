#include "watch/validation.h"

#include <set>

#include "watch/enum_values.h"
#include "watch/formats.h"
#include "watch/validation_rules.h"

namespace kpx::watch {

void checkName(ErrorList& errors, const std::string& field, std::string_view text, NameRule rule) {
  switch (rule) {
    case NameRule::Dns1123Label:
      if (!isDns1123Label(text))
        errors.add(field, std::string(text), std::string(kDns1123LabelReason));
      return;
    case NameRule::Dns1123Subdomain:
      if (!isDns1123Subdomain(text))
        errors.add(field, std::string(text), std::string(kDns1123SubdomainReason));
      return;
    case NameRule::Dns1035Label:
      if (!isDns1035Label(text))
        errors.add(field, std::string(text), std::string(kDns1035LabelReason));
      return;
  }
}

void checkMetadata(const FieldReader& root, NameRule nameRule, bool namespaced) {
  const FieldReader metadata = root.object("metadata");
  const std::string name = metadata.string("name").value_or("");
  if (name.empty()) {
    root.errors().add(metadata.pathOf("name"), "", "required value");
  } else {
    checkName(root.errors(), metadata.pathOf("name"), name, nameRule);
  }
  if (!namespaced) return;
  if (auto ns = metadata.string("namespace"); ns && !ns->empty())
    checkName(root.errors(), metadata.pathOf("namespace"), *ns, NameRule::Dns1123Label);
}

void checkPort(const FieldReader& item, std::string_view key, bool required) {
  const auto port = item.integer(key);
  if (!port) {
    if (required && !item.has(key)) item.invalid(key, "", "required value");
    return;
  }
  if (!isValidPort(*port)) item.invalid(key, std::to_string(*port), std::string(kPortRangeReason));
}

void checkProtocol(const FieldReader& item) {
  if (auto text = item.string("protocol"); text && !parseProtocol(*text))
    item.invalid("protocol", *text, "unsupported value: " + std::string(kProtocolValues));
}

void checkPortNames(const std::vector<FieldReader>& ports, bool requireNames) {
  std::set<std::string> seen;
  for (const FieldReader& item : ports) {
    const std::string name = item.string("name").value_or("");
    if (name.empty() && requireNames) {
      item.invalid("name", "", "required value: every port must be named when there are several");
      continue;
    }
    if (!name.empty() && !isDns1123Label(name)) {
      item.invalid("name", name, std::string(kDns1123LabelReason));
      continue;
    }
    if (!seen.insert(name).second)
      item.invalid("name", name, "duplicate value: another port has the same name");
  }
}

std::optional<IPAddr> checkProxyIP(ErrorList& errors, const std::string& field,
                                   const std::string& text, std::optional<IPFamily> family) {
  const auto ip = IPAddr::parse(text);
  if (!ip || (family && ip->family() != *family)) {
    errors.add(field, text,
               family ? "must be a valid " + std::string(toString(*family)) + " address"
                      : std::string("must be a valid IP address"));
    return std::nullopt;
  }
  if (std::string reason = specialIPReason(*ip); !reason.empty()) {
    errors.add(field, text, std::move(reason));
    return std::nullopt;
  }
  return ip;
}

std::optional<CIDR> checkCIDR(ErrorList& errors, const std::string& field, std::string_view text) {
  auto cidr = text.find('/') == std::string_view::npos ? std::nullopt : CIDR::parse(text);
  if (!cidr) errors.add(field, std::string(text), "must be a valid CIDR, such as 10.0.0.0/8");
  return cidr;
}

void checkMaxItems(const FieldReader& parent, std::string_view key, size_t max) {
  const size_t size = parent.listSize(key);
  if (size > max)
    parent.invalid(key, std::to_string(size) + " items",
                   "too many: must have at most " + std::to_string(max) + " items");
}

void validateNode(const FieldReader& root) {
  checkMetadata(root, NameRule::Dns1123Subdomain, /*namespaced=*/false);
  ErrorList& errors = root.errors();
  const FieldReader spec = root.object("spec");
  const std::vector<std::string> cidrs = spec.strings("podCIDRs");
  if (auto single = spec.string("podCIDR"); single && !single->empty()) {
    if (cidrs.empty())
      checkCIDR(errors, spec.pathOf("podCIDR"), *single);
    else if (cidrs.front() != *single)
      errors.add(indexPath(spec.pathOf("podCIDRs"), 0), cidrs.front(),
                 "must be equal to spec.podCIDR (" + *single + ")");
  }
  checkMaxItems(spec, "podCIDRs", 2);
  std::set<IPFamily> families;
  for (size_t i = 0; i < cidrs.size(); ++i) {
    const std::string field = indexPath(spec.pathOf("podCIDRs"), i);
    auto cidr = checkCIDR(errors, field, cidrs[i]);
    if (cidr && !families.insert(cidr->family()).second)
      errors.add(field, cidrs[i], "may hold at most one CIDR of each IP family");
  }
  // The proxy takes NodePort addresses from these: an address that is not an IP is a broken node.
  for (const FieldReader& item : root.object("status").objects("addresses")) {
    const std::string type = item.string("type").value_or("");
    if (type.empty()) item.invalid("type", "", "required value");
    if (type != "InternalIP" && type != "ExternalIP") continue;
    const std::string address = item.string("address").value_or("");
    if (!IPAddr::parse(address)) item.invalid("address", address, "must be a valid IP address");
  }
}

void validateManifest(ManifestKind kind, const FieldReader& root) {
  switch (kind) {
    case ManifestKind::Service:
      return validateService(root);
    case ManifestKind::EndpointSlice:
      return validateEndpointSlice(root);
    case ManifestKind::Endpoints:
      return validateEndpoints(root);
    case ManifestKind::Node:
      return validateNode(root);
  }
}

std::vector<ObjectError> validateObject(ManifestKind kind, const nlohmann::json& object) {
  ErrorList errors(std::string(toString(kind)), displayName(object, isNamespaced(kind)));
  validateManifest(kind, FieldReader(object, "", errors));
  return errors.take();
}

}  // namespace kpx::watch
