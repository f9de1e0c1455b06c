// The BGP speaker: every configured session, the listener in front of them, the attribute
// store they share and the table of best routes offered to them for export.
#pragma once

#include <asio.hpp>
#include <memory>
#include <string>
#include <system_error>
#include <unordered_map>
#include <vector>

#include "bgp/adj_rib.h"
#include "bgp/session.h"
#include "bgp/transport.h"

namespace bpfr::bgp {

struct SpeakerSettings {
  uint32_t router_id = 0;
  Address listen_address = Address{};  // :: listens on IPv6 and IPv4
  uint16_t port = 179;                 // 0: any free port (tests)
  bool listen = true;
  bool restarting = false;  // -R: our OPENs say we restarted (RFC 4724 restarting speaker)
};

class Speaker {
 public:
  Speaker(asio::io_context& io, SpeakerSettings settings, RouteSink& sink);
  ~Speaker();

  // Opens the listener; peers added before or after are keyed on it. Sessions start with
  // start_all() or enable().
  std::error_code open();
  Session& add_peer(PeerConfig config);
  void start_all();
  void stop_all(const std::string& message);

  Session* find(std::string_view name);
  bool enable(std::string_view name);
  bool disable(std::string_view name, std::string message = {});
  bool restart(std::string_view name, std::string message = {});
  bool reload_in(std::string_view name);
  bool reload_out(std::string_view name);
  // `configure` for one neighbour (found by next.name): with `policies_only`, its filters are
  // swapped and re-run and the session stays up; otherwise it restarts with the new settings
  // (or stays down unless `start_again`). False when there is no such neighbour.
  bool reconfigure(PeerConfig next, bool policies_only, bool start_again = true);
  // The restart is over (our RIB is rebuilt): OPENs stop carrying the R bit.
  void set_restarting(bool restarting) { context_.restarting = restarting; }

  // The daemon feeds best-route changes here; every session runs its export policy on them.
  void export_update(const Prefix& prefix, ExportRoute route);
  void export_withdraw(const Prefix& prefix);

  const std::vector<std::unique_ptr<Session>>& sessions() const { return sessions_; }
  AttrStore& attrs() { return attrs_; }
  uint16_t port() const { return listener_.port(); }

 private:
  void on_accept(Tcp::socket socket);
  void configure_listener(const Session& s);

  asio::io_context& io_;
  SpeakerSettings settings_;
  AttrStore attrs_;
  std::unordered_map<Prefix, ExportRoute, PrefixHash> exports_;
  SpeakerContext context_;
  Listener listener_;
  std::vector<std::unique_ptr<Session>> sessions_;
};

}  // namespace bpfr::bgp
