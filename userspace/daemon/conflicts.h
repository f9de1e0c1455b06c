// Another routing daemon on this host: bpfrouterd replaces BIRD, it cannot run beside it. Both
// would answer BGP on port 179 and both would write the kernel's routes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace bpfr::daemon {

struct ConflictCheck {
  bool bgp_port = true;  // the configuration has BGP sessions, so bpfrouterd will listen
  uint16_t port = 179;
  std::string bird_socket = "/run/bird/bird.ctl";  // BIRD's control socket; empty: not checked
};

// Why bpfrouterd must not start now, naming the socket and the process that holds it, or
// nullopt. Reads /proc of the calling network namespace; connects to the control socket.
std::optional<std::string> start_conflict(const ConflictCheck& check);

}  // namespace bpfr::daemon
