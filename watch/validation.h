// Checks that mirror the API server's validation (pkg/apis/core/validation, discovery
// validation) for the fields a proxy reads. A failed check rejects the whole object: kpx never
// programs half a Service. Only what the API server would reject is rejected, so that anything
// a cluster can hold loads here too (a few rules the API server has are left out where being
// lenient cannot mislead the proxy; none is stricter).
//
// Each error names the object, the field path ("spec.ports[1].port"), the value and the reason.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "proxy/object_error.h"
#include "watch/field_reader.h"
#include "watch/manifest_kind.h"

namespace kpx::watch {

// Validate one object of the given kind; `root` reads the object's top-level JSON and collects
// the errors. Run them on objects whose fields have the right JSON types (object_parser does so
// after converting); a wrong type met here is reported like any other problem.
void validateService(const FieldReader& root);
void validateEndpointSlice(const FieldReader& root);
void validateEndpoints(const FieldReader& root);  // legacy core/v1 Endpoints
void validateNode(const FieldReader& root);
void validateManifest(ManifestKind kind, const FieldReader& root);

// Standalone form: the problems of `object`, read as `kind` (empty when it is valid).
std::vector<ObjectError> validateObject(ManifestKind kind, const nlohmann::json& object);

}  // namespace kpx::watch
