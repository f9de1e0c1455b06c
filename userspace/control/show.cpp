#include "control/show.h"

#include <fmt/format.h>
#include <fnmatch.h>

#include "control/format.h"

namespace bpfr::control {

namespace {

struct Verb {
  std::string_view path;
  int done_code;
  std::string_view done;
  int already_code;
  std::string_view already;
};

constexpr Verb kVerbs[] = {
    {"enable", code::enabled, "enabled", code::already_enabled, "already enabled"},
    {"disable", code::disabled, "disabled", code::already_disabled, "already disabled"},
    {"restart", code::restarted, "restarted", code::already_disabled, "already disabled"},
    {"reload", code::reloading, "reloading", code::already_disabled, "already disabled"},
};

}  // namespace

bool name_matches(std::string_view pattern, std::string_view name) {
  if (pattern == "all" || pattern == name)
    return true;
  if (pattern.find_first_of("*?[") == std::string_view::npos)
    return false;
  return fnmatch(std::string(pattern).c_str(), std::string(name).c_str(), 0) == 0;
}

Reply show_status(const StatusInfo& status, const Command& cmd) {
  return cmd.json ? json_reply(status_json(status)) : format_status(status);
}

Reply show_protocols(std::span<const ProtocolInfo> protocols, const Command& cmd, Time now) {
  std::vector<ProtocolInfo> selected;
  for (const auto& p : protocols)
    if (!cmd.argument || name_matches(*cmd.argument, p.name))
      selected.push_back(p);
  if (cmd.argument && selected.empty())
    return Reply::error(code::no_protocols, "No protocols match");
  return cmd.json ? json_reply(protocols_json(selected))
                  : format_protocols(selected, cmd.has("all"), now);
}

Reply show_interfaces(std::span<const InterfaceInfo> interfaces, const Command& cmd) {
  if (cmd.json)
    return json_reply(interfaces_json(interfaces));
  return cmd.has("summary") ? format_interfaces_summary(interfaces) : format_interfaces(interfaces);
}

Reply protocol_command(const Command& cmd, std::span<const std::string> protocol_names,
                       const std::function<ActionResult(const std::string& name)>& act) {
  const Verb* verb = nullptr;
  for (const auto& v : kVerbs)
    if (v.path == cmd.path())
      verb = &v;
  if (!verb || !cmd.argument)
    return Reply::error(code::syntax_error,
                        fmt::format("syntax error: '{}' is not a protocol command", cmd.path()));

  Reply r;
  bool any = false;
  for (const auto& name : protocol_names) {
    if (!name_matches(*cmd.argument, name))
      continue;
    any = true;
    auto result = act(name);
    switch (result.outcome) {
      case Outcome::done:
        r.add(verb->done_code, fmt::format("{}: {}", name, verb->done));
        break;
      case Outcome::already:
        r.add(verb->already_code, fmt::format("{}: {}", name, verb->already));
        break;
      case Outcome::failed:
        r.add(code::reload_failed, fmt::format("{}: {}", name, result.error));
        break;
    }
  }
  if (!any)
    return Reply::error(code::no_protocols, "No protocols match");
  return r.finish(code::ok);
}

}  // namespace bpfr::control
