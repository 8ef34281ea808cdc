// Durations as Go writes and reads them (docs/cli.md): kube-proxy's flags and its
// KubeProxyConfiguration spell periods "1s", "250ms", "1m30s", so kpx accepts and prints exactly
// what Go's time.ParseDuration and time.Duration.String do.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

namespace kpx {

// Go's time.Duration: signed nanoseconds in 64 bits.
using Duration = std::chrono::nanoseconds;

// time.ParseDuration: an optional sign, then one or more decimal numbers each with a unit
// ("300ms", "-1.5h", "2h45m"); units ns, us (or µs, μs), ms, s, m, h; "0" alone needs no unit.
// Fails with Go's own messages (`time: invalid duration "x"`, `time: missing unit in duration
// "1"`, `time: unknown unit "d" in duration "1d"`), also when the value overflows 64 bits.
tl::expected<Duration, std::string> parseDuration(std::string_view text);

// time.Duration.String: "1h0m0s", "1m30s", "1.5s", "500ms", "1µs", "-2s", "0s".
std::string formatDuration(Duration d);

}  // namespace kpx
