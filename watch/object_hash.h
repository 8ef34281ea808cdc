// A 64-bit digest of an Object's whole content, so that FileSource can tell a changed object
// from an unchanged one without keeping a copy of it: equal objects have equal digests, and two
// different objects share one with odds of 2^-64.
#pragma once

#include <cstdint>
#include <string_view>

#include "proxy/store.h"

namespace kpx::watch {

// Every field of the object (operator== compares the same ones), its kind included.
uint64_t contentHash(const Object& object);

// The same digest of a string: EndpointSlices' "namespace/service", for the legacy-slice rule.
uint64_t textHash(std::string_view text);

}  // namespace kpx::watch
