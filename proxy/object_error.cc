#include "proxy/object_error.h"

namespace kpx {

std::string ObjectError::str() const {
  std::string out;
  if (!origin.empty()) out += origin + ": ";
  out += kind.empty() ? "object" : kind;
  out += " " + (object.empty() ? std::string("<unnamed>") : object);
  if (!field.empty()) out += ": " + field;
  if (!value.empty()) out += ": invalid value \"" + value + "\"";
  if (!reason.empty()) out += ": " + reason;
  return out;
}

}  // namespace kpx
