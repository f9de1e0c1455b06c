#include "control/registry.h"

#include <fmt/format.h>

#include <stdexcept>

namespace bpfr::control {

void Registry::on(std::string_view path, Handler handler) {
  for (const auto& spec : command_specs()) {
    if (spec.path == path) {
      handlers_[std::string(path)] = std::move(handler);
      return;
    }
  }
  throw std::invalid_argument(fmt::format("control: no command '{}' to register", path));
}

Reply Registry::dispatch(std::string_view line, ClientState& client) const {
  auto parsed = parse_command(line);
  if (auto* err = std::get_if<ParseError>(&parsed))
    return Reply::error(code::syntax_error, err->message);
  const Command& cmd = std::get<Command>(parsed);

  if (cmd.path() == "restrict") {
    client.restricted = true;
    return Reply::done(code::access_restricted, "Access restricted");
  }
  if (client.restricted && !cmd.spec->read_only)
    return Reply::error(code::access_denied, fmt::format("Access denied: '{}' on a restricted "
                                                         "connection",
                                                         cmd.path()));

  auto it = handlers_.find(cmd.path());
  if (it == handlers_.end())
    return Reply::error(code::not_implemented,
                        fmt::format("'{}' is not available in this daemon", cmd.path()));

  // Handlers report errors as replies; this guard only keeps a bug from ending the daemon.
  try {
    Reply r = it->second(cmd);
    if (!r.finished())
      r.finish(code::ok);
    return r;
  } catch (const std::exception& e) {
    return Reply::error(code::internal_error,
                        fmt::format("internal error in '{}': {}", cmd.path(), e.what()));
  }
}

}  // namespace bpfr::control
