#include "proxy/object_error.h"

namespace kpx {

std::string ObjectError::str() const {
  std::string out;
  auto part = [&out](const std::string& text) {
    if (!out.empty()) out += ": ";
    out += text;
  };
  if (!origin.empty()) part(origin);
  // A whole-file problem (a syntax error) has no object to name.
  if (!kind.empty() || !object.empty())
    part((kind.empty() ? std::string("object") : kind) + " " +
         (object.empty() ? std::string("<unnamed>") : object));
  if (!field.empty()) part(field);
  if (!value.empty()) part("invalid value \"" + value + "\"");
  if (!reason.empty()) part(reason);
  return out;
}

}  // namespace kpx
