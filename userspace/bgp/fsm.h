// The BGP finite state machine of RFC 4271 section 8 as a pure value: events go in with the
// current time, actions come out. No sockets, no clocks of its own, so tests drive it with rows.
//
// One session may have two TCP connections at once, the one we opened (outgoing) and the one
// the peer opened (incoming), until collision detection (RFC 4271 6.8) keeps one of them.
#pragma once

#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "bgp/message.h"

namespace bpfr::bgp {

using Clock = std::chrono::steady_clock;
using Seconds = std::chrono::seconds;

enum class State : uint8_t { idle, connect, active, open_sent, open_confirm, established };

enum class Conn : uint8_t { outgoing = 0, incoming = 1 };

// Cease subcodes (RFC 4486, 8203, 9003).
namespace cease {
inline constexpr uint8_t max_prefixes = 1;
inline constexpr uint8_t admin_shutdown = 2;
inline constexpr uint8_t peer_deconfigured = 3;
inline constexpr uint8_t admin_reset = 4;
inline constexpr uint8_t connection_rejected = 5;
inline constexpr uint8_t other_config_change = 6;
inline constexpr uint8_t connection_collision = 7;
inline constexpr uint8_t out_of_resources = 8;
inline constexpr uint8_t hard_reset = 9;  // RFC 8538
}  // namespace cease

struct FsmSettings {
  uint32_t local_as = 0;
  uint32_t peer_as = 0;
  uint32_t router_id = 0;  // our BGP identifier, host order
  uint16_t hold_time = 240;
  uint16_t keepalive_time = 0;  // 0: a third of the negotiated hold time
  uint16_t connect_retry_time = 120;
  uint16_t connect_delay_time = 5;  // first connect attempt after start
  bool passive = false;
  Capabilities capabilities;  // what our OPEN offers; four_octet_as set means we speak AS4
};

// What both OPENs agreed on (RFC 4271 4.2, RFC 5492).
struct Negotiated {
  Open local;
  Open remote;
  uint16_t hold_time = 0;  // 0: no keepalives, no hold timer
  uint16_t keepalive_time = 0;
  bool four_octet_as = false;
  bool extended_message = false;
  bool route_refresh = false;
  bool enhanced_route_refresh = false;
  std::vector<AfiSafi> families;  // both sides; IPv4 unicast when neither sent multiprotocol
  std::optional<GracefulRestart> peer_graceful_restart;  // the peer's, if both sent one

  bool has(AfiSafi f) const;
  DecodeContext decode_context(bool external) const;
  EncodeContext encode_context() const;
};

// Events.
struct EvStart {};
struct EvStop {
  uint8_t subcode = cease::admin_shutdown;
  std::string message;  // RFC 9003 shutdown communication, at most 255 octets of UTF-8
};
struct EvTcpConnected {  // our outgoing connection is up
};
struct EvTcpAccepted {  // the peer's connection is up (the listener checked the address)
};
struct EvTcpFailed {  // a connection failed to open, or closed, or a read/write failed
  Conn conn = Conn::outgoing;
  std::string reason;
};
struct EvMessage {
  Conn conn = Conn::outgoing;
  Message message;
};
struct EvDecodeError {  // the codec refused a message: its NOTIFICATION goes out
  Conn conn = Conn::outgoing;
  DecodeError error;
};
using FsmEvent = std::variant<EvStart, EvStop, EvTcpConnected, EvTcpAccepted, EvTcpFailed,
                              EvMessage, EvDecodeError>;

// Actions.
struct DoConnect {};  // open the outgoing connection
struct DoSend {
  Conn conn = Conn::outgoing;
  Message message;
};
struct DoClose {  // close after what was sent is flushed
  Conn conn = Conn::outgoing;
};
struct DoEstablished {
  Negotiated negotiated;
};
struct DoDeliver {  // an UPDATE or ROUTE-REFRESH in Established, for the session to process
  Message message;
};
// The session left Established. graceful: the peer announced graceful restart and the TCP
// connection simply ended, so its routes stay, marked stale, for its restart time (RFC 4724 4.2).
struct DoDown {
  std::string reason;
  bool graceful = false;
};
using FsmAction = std::variant<DoConnect, DoSend, DoClose, DoEstablished, DoDeliver, DoDown>;

class Fsm {
 public:
  explicit Fsm(FsmSettings settings) : settings_(std::move(settings)) {}

  std::vector<FsmAction> handle(const FsmEvent& event, Clock::time_point now);
  // Runs every timer that is due at `now`.
  std::vector<FsmAction> advance(Clock::time_point now);
  std::optional<Clock::time_point> next_deadline() const;

  State state() const;
  // Whether a connection the peer opened may be taken now (Idle refuses; a second incoming
  // connection is refused; an Established session refuses unless the peer may be restarting).
  bool accepts_incoming() const;
  bool connection_open(Conn c) const { return conns_[index(c)].state != ConnState::none; }
  // The connection that carries (or will carry) the session once established.
  std::optional<Conn> established_conn() const;
  const std::optional<Negotiated>& negotiated() const { return negotiated_; }
  const std::string& last_error() const { return last_error_; }
  const FsmSettings& settings() const { return settings_; }
  void set_settings(FsmSettings s) { settings_ = std::move(s); }

 private:
  enum class ConnState : uint8_t { none, connecting, open_sent, open_confirm, established };
  struct Connection {
    ConnState state = ConnState::none;
    std::optional<Open> peer_open;
    std::optional<Clock::time_point> hold_deadline;
    std::optional<Clock::time_point> keepalive_deadline;
    uint16_t hold_time = 0;
    uint16_t keepalive_time = 0;
    bool keepalive_seen = false;  // in OpenConfirm, held back for the other connection's OPEN
  };
  using Out = std::vector<FsmAction>;

  static size_t index(Conn c) { return static_cast<size_t>(c); }
  Connection& conn(Conn c) { return conns_[index(c)]; }

  void on_start(Out& out, Clock::time_point now);
  void on_stop(const EvStop& ev, Out& out);
  void on_tcp_connected(Out& out, Clock::time_point now);
  void on_tcp_accepted(Out& out, Clock::time_point now);
  void on_tcp_failed(const EvTcpFailed& ev, Out& out, Clock::time_point now);
  void on_message(const EvMessage& ev, Out& out, Clock::time_point now);
  void on_open(Conn c, const Open& open, Out& out, Clock::time_point now);
  void on_keepalive(Conn c, Out& out, Clock::time_point now);
  void establish(Conn c, Out& out, Clock::time_point now);
  Conn kept_by_identifier(const Open& peer_open) const;
  void on_update_or_refresh(Conn c, const Message& m, Out& out, Clock::time_point now);
  void on_notification(Conn c, const Notification& n, Out& out, Clock::time_point now);

  void send_open(Conn c, Out& out, Clock::time_point now);
  std::optional<Notification> check_open(const Open& open) const;
  bool resolve_collision(Conn c, const Open& open, Out& out, Clock::time_point now);
  // Sends a NOTIFICATION on c, closes c; the session goes down if c carried it.
  void fail(Conn c, Notification n, std::string reason, Out& out, Clock::time_point now);
  // Closes c without NOTIFICATION.
  void drop(Conn c, std::string reason, bool graceful, Out& out, Clock::time_point now);
  void start_connect_retry(Clock::time_point now, uint16_t seconds);

  FsmSettings settings_;
  bool started_ = false;
  Connection conns_[2];
  std::optional<Clock::time_point> connect_retry_deadline_;
  std::optional<Negotiated> negotiated_;
  std::string last_error_;
};

std::string_view state_name(State s);  // "Idle", "Connect", ..., "Established"
Open make_open(const FsmSettings& s);
Negotiated negotiate(const Open& local, const Open& remote);
// RFC 9003: the shutdown communication as NOTIFICATION data, cut to 255 octets of valid UTF-8.
std::vector<uint8_t> shutdown_data(std::string_view message);

}  // namespace bpfr::bgp

template <>
struct fmt::formatter<bpfr::bgp::State> : fmt::formatter<std::string_view> {
  auto format(bpfr::bgp::State s, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(bpfr::bgp::state_name(s), ctx);
  }
};
