// `kpx plan` output: a ProxyState shown per service port, as a table for people or JSON for tools.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "proxy/state.h"

namespace kpx {

std::string renderPlanTable(const ProxyState& state);
nlohmann::json planToJson(const ProxyState& state);

// "10.96.0.10:80", "[fd00::10]:80"
std::string hostPort(const IPAddr& ip, uint16_t port);

}  // namespace kpx
