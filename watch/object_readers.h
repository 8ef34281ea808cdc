// JSON -> model for each kind, one function per kind. These only convert: a field of the wrong
// JSON type is reported through the reader's ErrorList, and a value that does not parse (an IP,
// a CIDR, a port out of range) is left out, because validation rejects the object anyway and
// names the field. Callers run validation after a conversion without errors (object_parser.cc).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/model.h"
#include "watch/field_reader.h"

namespace kpx::watch {

// metadata: name, namespace ("default" for namespaced kinds when unset, as kubectl applies it;
// none for cluster-scoped kinds), resourceVersion, and the labels kpx reads (see read_meta.cc).
// uid, annotations and other labels are type-checked but not kept; the annotations go to
// `annotations` when given.
ObjectMeta readMeta(const FieldReader& root, bool namespaced,
                    std::map<std::string, std::string>* annotations = nullptr);

Service readService(const FieldReader& root);
EndpointSlice readEndpointSlice(const FieldReader& root);
Node readNode(const FieldReader& root);

// A port number already validated (or about to be rejected): out-of-range values become 0.
uint16_t toPort(int64_t value);

// spec.clusterIPs, or spec.clusterIP alone (manifests written before dual stack). "None" stays
// in the list: it marks a headless service.
std::vector<std::string> clusterIPTexts(const FieldReader& spec);

inline constexpr std::string_view kSourceRangesAnnotation =
    "service.beta.kubernetes.io/load-balancer-source-ranges";

// One loadBalancerSourceRanges entry, trimmed, and the field it came from.
struct SourceRangeText {
  std::string field;
  std::string text;
};
// spec.loadBalancerSourceRanges; when that is empty, the comma-separated annotation, as
// kube-proxy reads it (GetLoadBalancerSourceRanges).
std::vector<SourceRangeText> sourceRangeTexts(
    const FieldReader& spec, const std::map<std::string, std::string>& annotations);

}  // namespace kpx::watch
