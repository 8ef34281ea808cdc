#include "watch/legacy_endpoints.h"
#include "watch/object_readers.h"

namespace kpx::watch {
namespace {

// The labels anything after parsing reads: the two that hand a service or slice to another
// proxy (proxy/build_state.cc, proxy/endpoint_collection.cc), the slice's service, the node's
// zone (proxy/model.h), and the mark of slices converted from legacy Endpoints.
bool isKeptLabel(std::string_view key) {
  return key == kServiceProxyNameLabel || key == kHeadlessLabel || key == kServiceNameLabel ||
         key == kZoneLabel || key == kManagedByLabel;
}

}  // namespace

ObjectMeta readMeta(const FieldReader& root, bool namespaced,
                    std::map<std::string, std::string>* annotations) {
  const FieldReader metadata = root.object("metadata");
  ObjectMeta meta;
  meta.name = metadata.string("name").value_or("");
  // A cluster-scoped object's namespace is meaningless; the API server drops it.
  if (namespaced) meta.namespace_ = metadata.string("namespace").value_or("");
  if (namespaced && meta.namespace_.empty()) meta.namespace_ = "default";
  meta.resourceVersion = metadata.string("resourceVersion").value_or("");
  // Read (a value of the wrong type makes the object invalid, as kubectl rejects it) but not
  // kept: the sink holds every object for as long as it exists, and nothing reads the uid,
  // the annotations or the other labels (annotations can be kilobytes: kubectl's
  // last-applied-configuration).
  (void)metadata.string("uid");
  std::map<std::string, std::string> labels = metadata.stringMap("labels");
  for (auto it = labels.begin(); it != labels.end();) {
    if (isKeptLabel(it->first)) {
      meta.labels.insert(labels.extract(it++));
    } else {
      ++it;
    }
  }
  std::map<std::string, std::string> read = metadata.stringMap("annotations");
  if (annotations) *annotations = std::move(read);
  return meta;
}

uint16_t toPort(int64_t value) {
  return value >= 0 && value <= 65535 ? static_cast<uint16_t>(value) : 0;
}

}  // namespace kpx::watch
