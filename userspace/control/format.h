// Prints the control model as BIRD 2 prints its show commands (same reply codes, columns and
// time formats, so birdc, bird_exporter and looking glasses read it), or as JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <span>
#include <string>

#include "control/model.h"
#include "control/protocol.h"

namespace bpfr::control {

// BIRD's default time formats: "14:06:18.682" within 20 hours of now, else "2026-12-01".
std::string short_time(Time t, Time now);
// "2026-12-03 14:06:18.682"
std::string long_time(Time t);
// "2026-12-03T14:06:18.682Z", for JSON
std::string iso_time(Time t);

Reply format_status(const StatusInfo& status);
Reply format_protocols(std::span<const ProtocolInfo> protocols, bool all, Time now);
Reply format_routes(std::span<const RouteTable> tables, bool all, Time now);
Reply format_route_counts(std::span<const RouteCount> counts);
Reply format_interfaces(std::span<const InterfaceInfo> interfaces);
Reply format_interfaces_summary(std::span<const InterfaceInfo> interfaces);

// The JSON forms (schema in docs/control.md).
nlohmann::json status_json(const StatusInfo& status);
nlohmann::json protocols_json(std::span<const ProtocolInfo> protocols);
nlohmann::json routes_json(std::span<const RouteTable> tables);
nlohmann::json route_counts_json(std::span<const RouteCount> counts);
nlohmann::json interfaces_json(std::span<const InterfaceInfo> interfaces);

// A JSON document as a reply: code::json lines, then "0000".
Reply json_reply(const nlohmann::json& document);

}  // namespace bpfr::control
