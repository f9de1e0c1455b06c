// Replies to the show and protocol commands from the daemon's values, as BIRD 2 gives them:
// the daemon's handlers only gather the values and act.
#pragma once

#include <functional>
#include <span>
#include <string>

#include "control/command.h"
#include "control/model.h"
#include "control/protocol.h"

namespace bpfr::control {

Reply show_status(const StatusInfo& status, const Command& cmd);

// NAME may be a name or a shell pattern ("up*"); none matching is 8003.
Reply show_protocols(std::span<const ProtocolInfo> protocols, const Command& cmd, Time now);

Reply show_interfaces(std::span<const InterfaceInfo> interfaces, const Command& cmd);

// What a protocol command did to one protocol.
enum class Outcome { done, already, failed };
struct ActionResult {
  Outcome outcome = Outcome::done;
  std::string error;  // for failed
};

// enable, disable, restart and reload: runs act on every protocol NAME matches (a name, a
// pattern, or `all`) and reports each as BIRD does ("static6: disabled", code 9).
Reply protocol_command(const Command& cmd, std::span<const std::string> protocol_names,
                       const std::function<ActionResult(const std::string& name)>& act);

// Whether NAME of a command selects the protocol: equal, `all`, or a matching pattern.
bool name_matches(std::string_view pattern, std::string_view name);

}  // namespace bpfr::control
