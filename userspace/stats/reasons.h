// Names of the fast path's reasons (enum bpfr_reason) and the action each belongs to, as
// `bpfrouter stats`, the JSON output and the metrics print them.
#pragma once

#include <bpfrouter/maps.h>

#include <optional>
#include <string>
#include <string_view>

namespace bpfr::stats {

enum class Action : uint8_t { forward, pass, drop };

std::string_view action_name(Action a);

// "pass_no_neigh", or nullopt for an index maps.h does not define.
std::optional<std::string_view> reason_name(uint32_t reason);
Action reason_action(uint32_t reason);

}  // namespace bpfr::stats
