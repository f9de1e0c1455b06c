// The control socket: a unix stream socket speaking BIRD's reply-code protocol, served on the
// daemon's io_context. Requests are lines; each gets one reply, in order.
#pragma once

#include <sys/types.h>

#include <asio.hpp>
#include <memory>
#include <optional>
#include <string>

#include "control/registry.h"

namespace bpfr::control {

// The BIRD version bpfrouter's replies follow; tools that read the greeting or `show status`
// pick their parser by it.
inline constexpr std::string_view kBirdCompatVersion = "2.0.12";

struct ServerOptions {
  std::string path = "/run/bpfrouter/bpfrouter.ctl";
  mode_t mode = 0660;
  std::optional<std::string> group;  // group name owning the socket; unset: the daemon's
  size_t max_clients = 32;
  size_t max_line = 4096;                 // longer requests get 9000 and are skipped
  size_t max_pending_output = 64u << 20;  // a client that reads no replies is dropped
  std::string version = std::string(kBirdCompatVersion);  // in the greeting "0001 BIRD v ready."
};

class Server {
 public:
  // Binds and listens. Throws std::runtime_error naming the path when it cannot (start-up):
  // also when another daemon answers on the path. A stale socket file is replaced.
  Server(asio::io_context& io, const Registry& registry, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  size_t clients() const;
  const std::string& path() const;

  // Stops accepting, drops every client and removes the socket file.
  void close();

  struct Core;

 private:
  std::shared_ptr<Core> core_;
};

}  // namespace bpfr::control
