// The daemon's handlers for the control commands, and the dispatch of one request line.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "control/command.h"
#include "control/protocol.h"

namespace bpfr::control {

using Handler = std::function<Reply(const Command&)>;

// What the server keeps per connection.
struct ClientState {
  bool restricted = false;  // after `restrict`: show commands only
};

class Registry {
 public:
  // path is a command_specs() path ("show route"); an unknown path throws (start-up only).
  void on(std::string_view path, Handler handler);
  bool handles(std::string_view path) const { return handlers_.contains(path); }

  // Parses and runs one request line. Never throws: a bad request is a 9xxx reply, a command
  // without a handler 8090, a refused one 8007.
  Reply dispatch(std::string_view line, ClientState& client) const;

 private:
  std::map<std::string, Handler, std::less<>> handlers_;
};

}  // namespace bpfr::control
