// A per-object problem found while parsing or validating input (CONTRIBUTING.md): the object is
// skipped, the message names it, the rest of the cluster keeps working.
#pragma once

#include <string>

namespace kpx {

struct ObjectError {
  std::string kind;    // "Service", "EndpointSlice", ... or "" when unknown
  std::string object;  // "namespace/name", or "" when the object has no readable name
  std::string field;   // "spec.ports[1].port"
  std::string value;   // the offending value, as text
  std::string reason;  // "must be between 1 and 65535"
  std::string origin;  // where it came from: a file path, "watch", ...

  // "Service default/web: spec.ports[1].port: invalid value \"70000\": must be between 1 and 65535"
  std::string str() const;
};

}  // namespace kpx
