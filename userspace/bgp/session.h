// One BGP neighbour on the wire: the FSM fed from its sockets and timers, Adj-RIB-In through
// import policy into the route sink, best routes through export policy into Adj-RIB-Out.
#pragma once

#include <array>
#include <asio.hpp>
#include <deque>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bgp/adj_rib.h"
#include "bgp/fsm.h"
#include "bgp/peer.h"
#include "bgp/transport.h"

namespace bpfr::bgp {

// Where accepted routes go; the daemon wires this to the RIB. Called on the io_context thread.
class RouteSink {
 public:
  virtual ~RouteSink() = default;
  virtual void announce(const PeerInfo& peer, const Prefix& prefix, AttrsRef attrs,
                        const RouteNextHop& next_hop) = 0;
  virtual void withdraw(const PeerInfo& peer, const Prefix& prefix) = 0;
  virtual void end_of_rib(const PeerInfo&, Family) {}
  virtual void peer_up(const PeerInfo&) {}
  virtual void peer_down(const PeerInfo&) {}
  // Back-pressure: while false, sessions stop reading their sockets.
  virtual bool ready() const { return true; }
};

// A best route offered for export; `from` is the BGP peer it came from (nullptr if not BGP).
struct ExportRoute {
  AttrsRef attrs;
  std::optional<RouteNextHop> next_hop;
  const PeerInfo* from = nullptr;
  std::string proto;
  RouteSource source = RouteSource::static_;  // bgp when from is set
};

// What a session needs from the speaker that owns it.
struct SpeakerContext {
  uint32_t router_id = 0;
  bool restarting = false;  // RFC 4724: our OPENs carry the R bit
  AttrStore* attrs = nullptr;
  RouteSink* sink = nullptr;
  // The speaker's current export table, for initial and refresh dumps.
  const std::unordered_map<Prefix, ExportRoute, PrefixHash>* exports = nullptr;
};

struct SessionStats {
  uint64_t updates_received = 0;
  uint64_t updates_sent = 0;
  uint64_t prefixes_received = 0;
  uint64_t prefixes_rejected = 0;  // by loop detection or import policy
  uint64_t notifications_sent = 0;
};

class Session {
 public:
  Session(asio::io_context& io, PeerConfig config, const SpeakerContext& ctx);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start();
  void stop(std::string message = {});  // RFC 9003 shutdown communication
  void restart(std::string message = {});

  // A connection the listener matched to this neighbour; refused here unless the FSM takes it.
  void accept(Tcp::socket socket);

  void export_update(const Prefix& prefix, const ExportRoute& route);
  void export_withdraw(const Prefix& prefix);
  void reload_in();  // route refresh when negotiated, else import policy over Adj-RIB-In
  void reload_out();
  // `configure`: only the channels' import and export policies of `next` are taken, and re-run
  // on the routes both ways while the session stays up.
  void replace_policies(const PeerConfig& next);
  // `configure` with changed session settings: the session closes (Cease, administrative
  // reset), takes `next`, and opens again if `start_again`.
  void replace_settings(PeerConfig next, bool start_again);

  State state() const { return fsm_.state(); }
  std::optional<Conn> established_conn() const { return fsm_.established_conn(); }
  const PeerInfo& info() const { return info_; }
  const PeerConfig& config() const { return config_; }
  const AdjRibIn& rib_in() const { return rib_in_; }
  const AdjRibOut& rib_out() const { return rib_out_; }
  const SessionStats& stats() const { return stats_; }
  const std::string& last_error() const { return fsm_.last_error(); }
  const std::optional<Negotiated>& negotiated() const { return fsm_.negotiated(); }
  bool graceful_restart_pending() const { return gr_timer_active_; }

 private:
  struct Link {
    explicit Link(asio::io_context& io) : retry(io) {}
    std::optional<Tcp::socket> socket;
    asio::steady_timer retry;   // back-pressure: when to look at the sink again
    std::vector<uint8_t> rbuf;  // bounded: two maximum-size messages
    size_t rpos = 0;            // rbuf[rpos, rlen) is read and not yet decoded
    size_t rlen = 0;
    std::deque<std::vector<uint8_t>> wqueue;
    size_t wbytes = 0;
    bool writing = false;
    bool reading = false;
    bool closing = false;  // close once wqueue drains
  };

  void feed(const FsmEvent& event);
  void apply(std::vector<FsmAction> actions);
  void arm_timer();
  void log_transition(State before) const;
  void connect();
  void configure_socket(Tcp::socket& s);
  void attach(Conn c, Tcp::socket socket);
  void close_link(Conn c);
  void read_more(Conn c, const std::shared_ptr<Link>& link);
  static void compact_read_buffer(Link& link);
  void process_buffer(Conn c, const std::shared_ptr<Link>& link);
  void send(Conn c, std::vector<uint8_t> bytes);
  void send_message(Conn c, const Message& m);
  void write_next(const std::shared_ptr<Link>& link);
  bool current(Conn c, const std::shared_ptr<Link>& link) const;
  DecodeContext decode_context(Conn c) const;

  void on_established(const Negotiated& n);
  void on_down(const DoDown& down);
  void on_update(const Update& u);
  void on_route_refresh(const RouteRefresh& rr);
  void import_route(const Prefix& p, const AttrsRef& attrs, const RouteNextHop& nh);
  bool run_import(const Prefix& p, const InRoute& r);
  void withdraw_in(const Prefix& p);
  void sweep_stale(Family f);
  void drop_all_routes();
  void check_import_limit(Family f);

  std::optional<OutRoute> export_route(const Prefix& p, const ExportRoute& r) const;
  std::optional<RouteNextHop> own_next_hop(Family f) const;
  void dump_exports(Family f);
  void schedule_flush();
  void flush();

  FsmSettings fsm_settings() const;
  bool family_active(Family f) const;
  void gr_expired();

  asio::io_context& io_;
  PeerConfig config_;
  SpeakerContext ctx_;
  PeerInfo info_;
  Fsm fsm_;
  std::array<std::shared_ptr<Link>, 2> links_;
  asio::steady_timer fsm_timer_;
  asio::steady_timer gr_timer_;
  bool gr_timer_active_ = false;
  bool flush_scheduled_ = false;
  bool limit_hit_ = false;
  std::optional<Address> local_address_;  // of the established connection
  std::set<Family> eor_to_send_;
  std::set<Family> eorr_to_send_;
  std::set<Family> refresh_in_progress_;  // enhanced refresh from the peer: BoRR seen
  uint16_t peer_restart_time_ = 0;        // from the peer's last graceful restart capability
  Clock::time_point established_at_;
  mutable bool warned_next_hop_[2] = {false, false};
  AdjRibIn rib_in_;
  AdjRibOut rib_out_;
  SessionStats stats_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace bpfr::bgp
