// Building blocks shared by the per-kind validators (validate_*.cc). Internal to watch/.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/ip.h"
#include "watch/field_reader.h"

namespace kpx::watch {

enum class NameRule { Dns1123Label, Dns1123Subdomain, Dns1035Label };

// Records an error at `field` unless `text` follows `rule`.
void checkName(ErrorList& errors, const std::string& field, std::string_view text, NameRule rule);
// metadata.name (required) by `rule`; metadata.namespace, when set, a DNS-1123 label.
void checkMetadata(const FieldReader& root, NameRule nameRule, bool namespaced);
// item.key is a port number 1-65535; when unset, an error only if `required`.
void checkPort(const FieldReader& item, std::string_view key, bool required);
// item.protocol, when set, is TCP, UDP or SCTP (unset defaults to TCP).
void checkProtocol(const FieldReader& item);
// Port names: DNS-1123 labels, unique within the list, and required on each port when
// `requireNames` (a Service or Endpoints subset with several ports).
void checkPortNames(const std::vector<FieldReader>& ports, bool requireNames);
// An address traffic may be sent to: parses (in `family`, when given) and is not unspecified,
// loopback or link-local. Returns it when valid.
std::optional<IPAddr> checkProxyIP(ErrorList& errors, const std::string& field,
                                   const std::string& text, std::optional<IPFamily> family);
// A CIDR with an explicit prefix length ("10.0.0.0/8"; a bare address is not a CIDR here).
std::optional<CIDR> checkCIDR(ErrorList& errors, const std::string& field, std::string_view text);
// A list field has at most `max` items.
void checkMaxItems(const FieldReader& parent, std::string_view key, size_t max);

}  // namespace kpx::watch
