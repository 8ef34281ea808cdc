#include "watch/object_readers.h"

namespace kpx::watch {

ObjectMeta readMeta(const FieldReader& root, bool namespaced) {
  const FieldReader metadata = root.object("metadata");
  ObjectMeta meta;
  meta.name = metadata.string("name").value_or("");
  // A cluster-scoped object's namespace is meaningless; the API server drops it.
  if (namespaced) meta.namespace_ = metadata.string("namespace").value_or("");
  if (namespaced && meta.namespace_.empty()) meta.namespace_ = "default";
  meta.uid = metadata.string("uid").value_or("");
  meta.resourceVersion = metadata.string("resourceVersion").value_or("");
  meta.labels = metadata.stringMap("labels");
  meta.annotations = metadata.stringMap("annotations");
  return meta;
}

uint16_t toPort(int64_t value) {
  return value >= 0 && value <= 65535 ? static_cast<uint16_t>(value) : 0;
}

}  // namespace kpx::watch
