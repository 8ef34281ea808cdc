// Kubernetes JSON -> typed objects (docs/architecture.md): one object at a time, or a whole document with
// its Lists expanded. Every problem is a per-object ObjectError naming the object, the field and
// the value; nothing here throws, and one bad object never hides the others.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "proxy/object_error.h"
#include "proxy/store.h"

namespace kpx::watch {

struct ParseResult {
  enum class Status : uint8_t {
    Parsed,   // objects holds the result (validated)
    Ignored,  // a kind kpx does not read (ConfigMap, Deployment, a CRD): not an error
    Invalid,  // errors says why; the object is skipped as a whole
  };
  Status status = Status::Ignored;
  std::string kind;                 // the manifest's kind, or the hint it was read with
  std::vector<Object> objects;      // one; for legacy Endpoints one slice per subset and family
  std::vector<ObjectError> errors;  // origin left empty: the caller knows where it read from
};

// One manifest: a Service, EndpointSlice, Node, or legacy v1 Endpoints (converted to
// EndpointSlices, see legacy_endpoints.h). `kindHint` is the kind for an object without one, as
// the items of a typed List (ServiceList) arrive from the API server.
ParseResult parseObject(const nlohmann::json& object, std::string_view kindHint = {});

// What a document (or a set of files) holds: valid objects, and errors for the invalid ones.
struct ParsedObjects {
  std::vector<Object> objects;
  std::vector<ObjectError> errors;
  size_t ignored = 0;  // objects of kinds kpx does not read

  void append(ParsedObjects&& other);
};

// A whole document: one object, or a List (`kind: List` with kinds on each item, or a typed
// ServiceList / EndpointSliceList / EndpointsList / NodeList whose items may carry none).
// A null document (an empty YAML document) holds nothing. `origin` is set on every error.
ParsedObjects parseDocument(const nlohmann::json& document, std::string_view origin);

// The metadata of any object (kindOf and keyOf are in proxy/store.h).
const ObjectMeta& metaOf(const Object& object);

}  // namespace kpx::watch
