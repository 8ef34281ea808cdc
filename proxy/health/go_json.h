// JSON pieces written exactly as Go's encoding/json writes them, so kpx's health bodies read
// byte for byte like kube-proxy's.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace kpx::health {

// time.Time's JSON form: RFC 3339 with nanoseconds, trailing zeros trimmed, in UTC ("Z"):
// "2024-05-01T10:00:00.5Z". nullopt is Go's zero time, "0001-01-01T00:00:00Z".
std::string formatRFC3339Nano(std::optional<std::chrono::system_clock::time_point> t);

// A quoted JSON string as encoding/json escapes it (", \, control characters, and <, >, & as
// \u003c, \u003e, \u0026).
std::string jsonQuote(std::string_view s);

}  // namespace kpx::health
