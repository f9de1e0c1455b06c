#include "bgp/fsm.h"

#include <algorithm>

namespace bpfr::bgp {
namespace {

// RFC 4271 8.2.2: the hold timer runs at a large value (4 minutes suggested) until the OPEN.
constexpr Seconds kOpenHoldTime{240};

// RFC 6608 subcodes of the FSM error.
constexpr uint8_t kFsmInOpenSent = 1;
constexpr uint8_t kFsmInOpenConfirm = 2;
constexpr uint8_t kFsmInEstablished = 3;

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
// Clang 14 lacks C++20's implicit deduction for aggregates.
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

Notification make_notification(uint8_t code, uint8_t subcode, std::vector<uint8_t> data = {}) {
  return Notification{code, subcode, std::move(data)};
}

std::vector<AfiSafi> families_or_ipv4(const Capabilities& caps) {
  if (caps.multiprotocol.empty())
    return {kIpv4Unicast};  // RFC 4760 8: no capability means IPv4 unicast only
  return caps.multiprotocol;
}

}  // namespace

std::string_view state_name(State s) {
  switch (s) {
    case State::idle:
      return "Idle";
    case State::connect:
      return "Connect";
    case State::active:
      return "Active";
    case State::open_sent:
      return "OpenSent";
    case State::open_confirm:
      return "OpenConfirm";
    case State::established:
      return "Established";
  }
  return "?";
}

bool Negotiated::has(AfiSafi f) const {
  return std::find(families.begin(), families.end(), f) != families.end();
}

DecodeContext Negotiated::decode_context(bool external) const {
  DecodeContext ctx;
  ctx.four_octet_as = four_octet_as;
  ctx.extended_message = extended_message;
  ctx.external = external;
  return ctx;
}

EncodeContext Negotiated::encode_context() const {
  EncodeContext ctx;
  ctx.four_octet_as = four_octet_as;
  ctx.extended_message = extended_message;
  return ctx;
}

Open make_open(const FsmSettings& s) {
  Open open;
  open.my_as =
      s.local_as > 0xffff ? static_cast<uint16_t>(kAsTrans) : static_cast<uint16_t>(s.local_as);
  open.hold_time = s.hold_time;
  open.bgp_id = s.router_id;
  open.caps = s.capabilities;
  if (open.caps.four_octet_as)
    open.caps.four_octet_as = s.local_as;
  return open;
}

Negotiated negotiate(const Open& local, const Open& remote) {
  Negotiated n;
  n.local = local;
  n.remote = remote;
  n.hold_time = std::min(local.hold_time, remote.hold_time);
  n.keepalive_time = n.hold_time / 3;
  n.four_octet_as = local.caps.four_octet_as && remote.caps.four_octet_as;
  n.extended_message = local.caps.extended_message && remote.caps.extended_message;
  n.route_refresh = local.caps.route_refresh && remote.caps.route_refresh;
  n.enhanced_route_refresh =
      local.caps.enhanced_route_refresh && remote.caps.enhanced_route_refresh;

  auto ours = families_or_ipv4(local.caps);
  auto theirs = families_or_ipv4(remote.caps);
  for (const auto& f : ours)
    if (std::find(theirs.begin(), theirs.end(), f) != theirs.end())
      n.families.push_back(f);

  if (local.caps.graceful_restart && remote.caps.graceful_restart)
    n.peer_graceful_restart = remote.caps.graceful_restart;
  return n;
}

std::vector<uint8_t> shutdown_data(std::string_view message) {
  // RFC 9003 2: a length octet and at most 255 octets of UTF-8; never cut inside a character.
  size_t len = std::min<size_t>(message.size(), 255);
  while (len > 0 && len < message.size() && (static_cast<uint8_t>(message[len]) & 0xc0) == 0x80)
    --len;
  std::vector<uint8_t> data(len + 1);
  data[0] = static_cast<uint8_t>(len);
  for (size_t i = 0; i < len; ++i)
    data[i + 1] = static_cast<uint8_t>(message[i]);
  return data;
}

State Fsm::state() const {
  auto best = ConnState::none;
  for (const auto& c : conns_)
    best = std::max(best, c.state);
  switch (best) {
    case ConnState::established:
      return State::established;
    case ConnState::open_confirm:
      return State::open_confirm;
    case ConnState::open_sent:
      return State::open_sent;
    case ConnState::connecting:
      return State::connect;
    case ConnState::none:
      break;
  }
  return started_ ? State::active : State::idle;
}

bool Fsm::accepts_incoming() const {
  if (!started_ || conns_[index(Conn::incoming)].state != ConnState::none)
    return false;
  if (conns_[index(Conn::outgoing)].state == ConnState::established)
    return negotiated_ && negotiated_->peer_graceful_restart.has_value();
  return true;
}

std::optional<Conn> Fsm::established_conn() const {
  for (auto c : {Conn::outgoing, Conn::incoming})
    if (conns_[index(c)].state == ConnState::established)
      return c;
  return std::nullopt;
}

std::vector<FsmAction> Fsm::handle(const FsmEvent& event, Clock::time_point now) {
  Out out;
  std::visit(Overloaded{
                 [&](const EvStart&) { on_start(out, now); },
                 [&](const EvStop& ev) { on_stop(ev, out); },
                 [&](const EvTcpConnected&) { on_tcp_connected(out, now); },
                 [&](const EvTcpAccepted&) { on_tcp_accepted(out, now); },
                 [&](const EvTcpFailed& ev) { on_tcp_failed(ev, out, now); },
                 [&](const EvMessage& ev) { on_message(ev, out, now); },
                 [&](const EvDecodeError& ev) {
                   if (conn(ev.conn).state == ConnState::none)
                     return;
                   fail(ev.conn, make_notification(ev.error.code, ev.error.subcode, ev.error.data),
                        ev.error.description, out, now);
                 },
             },
             event);
  return out;
}

std::vector<FsmAction> Fsm::advance(Clock::time_point now) {
  Out out;
  for (auto c : {Conn::outgoing, Conn::incoming}) {
    auto& x = conn(c);
    if (x.hold_deadline && *x.hold_deadline <= now) {
      fail(c, make_notification(err::hold_timer, 0), "hold timer expired", out, now);
      continue;
    }
    if (x.keepalive_deadline && *x.keepalive_deadline <= now) {
      out.push_back(DoSend{c, Keepalive{}});
      x.keepalive_deadline = now + Seconds(x.keepalive_time);
    }
  }

  // RFC 4271 8.2.2: ConnectRetryTimer expiry drops a pending attempt and starts a new one.
  if (connect_retry_deadline_ && *connect_retry_deadline_ <= now) {
    connect_retry_deadline_.reset();
    if (started_ && !settings_.passive && !established_conn()) {
      auto& o = conn(Conn::outgoing);
      if (o.state == ConnState::none || o.state == ConnState::connecting) {
        if (o.state == ConnState::connecting)
          out.push_back(DoClose{Conn::outgoing});
        o = Connection{};
        o.state = ConnState::connecting;
        out.push_back(DoConnect{});
      }
      start_connect_retry(now, settings_.connect_retry_time);
    }
  }
  return out;
}

std::optional<Clock::time_point> Fsm::next_deadline() const {
  std::optional<Clock::time_point> next = connect_retry_deadline_;
  auto consider = [&](const std::optional<Clock::time_point>& t) {
    if (t && (!next || *t < *next))
      next = t;
  };
  for (const auto& c : conns_) {
    consider(c.hold_deadline);
    consider(c.keepalive_deadline);
  }
  return next;
}

void Fsm::start_connect_retry(Clock::time_point now, uint16_t seconds) {
  if (!settings_.passive)
    connect_retry_deadline_ = now + Seconds(seconds);
}

void Fsm::on_start(Out&, Clock::time_point now) {
  if (started_)
    return;
  started_ = true;
  last_error_.clear();
  start_connect_retry(now, settings_.connect_delay_time);
}

void Fsm::on_stop(const EvStop& ev, Out& out) {
  bool was_established = established_conn().has_value();
  for (auto c : {Conn::outgoing, Conn::incoming}) {
    auto& x = conn(c);
    if (x.state == ConnState::none)
      continue;
    if (x.state >= ConnState::open_sent) {
      // RFC 8203/9003: administrative shutdown and reset carry the operator's message.
      std::vector<uint8_t> data;
      if (ev.subcode == cease::admin_shutdown || ev.subcode == cease::admin_reset)
        data = shutdown_data(ev.message);
      out.push_back(DoSend{c, make_notification(err::cease, ev.subcode, std::move(data))});
    }
    out.push_back(DoClose{c});
    x = Connection{};
  }
  started_ = false;
  connect_retry_deadline_.reset();
  last_error_ = ev.message.empty() ? "administratively down" : ev.message;
  if (was_established) {
    negotiated_.reset();
    out.push_back(DoDown{last_error_, false});
  }
}

void Fsm::on_tcp_connected(Out& out, Clock::time_point now) {
  if (conn(Conn::outgoing).state != ConnState::connecting) {
    out.push_back(DoClose{Conn::outgoing});
    return;
  }
  send_open(Conn::outgoing, out, now);
}

void Fsm::on_tcp_accepted(Out& out, Clock::time_point now) {
  if (!accepts_incoming()) {
    out.push_back(DoClose{Conn::incoming});
    return;
  }

  // RFC 4724 4.2: a new connection from a peer that can restart means it did restart.
  if (conn(Conn::outgoing).state == ConnState::established)
    drop(Conn::outgoing, "peer reconnected", true, out, now);
  send_open(Conn::incoming, out, now);
}

void Fsm::on_tcp_failed(const EvTcpFailed& ev, Out& out, Clock::time_point now) {
  auto& x = conn(ev.conn);
  if (x.state == ConnState::none)
    return;
  if (x.state == ConnState::connecting) {
    x = Connection{};
    last_error_ = ev.reason;
    return;  // the connect-retry timer makes the next attempt
  }
  bool graceful = x.state == ConnState::established && negotiated_ &&
                  negotiated_->peer_graceful_restart.has_value();
  drop(ev.conn, ev.reason, graceful, out, now);
}

void Fsm::send_open(Conn c, Out& out, Clock::time_point now) {
  auto& x = conn(c);
  x = Connection{};
  x.state = ConnState::open_sent;
  x.hold_deadline = now + kOpenHoldTime;
  out.push_back(DoSend{c, make_open(settings_)});
}

void Fsm::on_message(const EvMessage& ev, Out& out, Clock::time_point now) {
  if (conn(ev.conn).state < ConnState::open_sent)
    return;
  std::visit(Overloaded{
                 [&](const Open& m) { on_open(ev.conn, m, out, now); },
                 [&](const Keepalive&) { on_keepalive(ev.conn, out, now); },
                 [&](const Notification& m) { on_notification(ev.conn, m, out, now); },
                 [&](const auto&) { on_update_or_refresh(ev.conn, ev.message, out, now); },
             },
             ev.message);
}

std::optional<Notification> Fsm::check_open(const Open& open) const {
  // RFC 4271 6.2, in the order the RFC lists the checks.
  if (open.version != 4)
    return make_notification(err::open, err::unsupported_version, {0, 4});
  if (open.asn() != settings_.peer_as) {
    uint16_t field = open.my_as;
    return make_notification(err::open, err::bad_peer_as,
                             {static_cast<uint8_t>(field >> 8), static_cast<uint8_t>(field)});
  }
  // RFC 6286 2.2: any non-zero identifier, but an internal peer's must differ from ours.
  if (open.bgp_id == 0 ||
      (settings_.local_as == settings_.peer_as && open.bgp_id == settings_.router_id))
    return make_notification(err::open, err::bad_bgp_identifier);
  if (open.hold_time == 1 || open.hold_time == 2)
    return make_notification(err::open, err::unacceptable_hold_time);
  return std::nullopt;
}

void Fsm::on_open(Conn c, const Open& open, Out& out, Clock::time_point now) {
  auto& x = conn(c);
  if (x.state == ConnState::open_confirm) {
    fail(c, make_notification(err::fsm, kFsmInOpenConfirm), "OPEN in OpenConfirm", out, now);
    return;
  }
  if (x.state == ConnState::established) {
    fail(c, make_notification(err::fsm, kFsmInEstablished), "OPEN in Established", out, now);
    return;
  }

  if (auto n = check_open(open)) {
    auto reason = notification_name(n->code, n->subcode);
    fail(c, std::move(*n), reason, out, now);
    return;
  }
  if (!resolve_collision(c, open, out, now))
    return;

  // RFC 4271 4.2: the smaller hold time wins; zero means no keepalives at all.
  x.peer_open = open;
  x.hold_time = std::min(settings_.hold_time, open.hold_time);
  x.keepalive_time = x.hold_time / 3;
  if (settings_.keepalive_time && x.hold_time)
    x.keepalive_time = std::min<uint16_t>(settings_.keepalive_time, x.keepalive_time);
  if (x.hold_time && !x.keepalive_time)
    x.keepalive_time = 1;
  x.state = ConnState::open_confirm;
  x.hold_deadline.reset();
  x.keepalive_deadline.reset();
  if (x.hold_time) {
    x.hold_deadline = now + Seconds(x.hold_time);
    x.keepalive_deadline = now + Seconds(x.keepalive_time);
  }
  out.push_back(DoSend{c, Keepalive{}});
}

bool Fsm::resolve_collision(Conn c, const Open& open, Out& out, Clock::time_point now) {
  Conn other = c == Conn::outgoing ? Conn::incoming : Conn::outgoing;
  auto& o = conn(other);
  if (o.state == ConnState::established) {
    fail(c, make_notification(err::cease, cease::connection_collision),
         "connection collision with the established session", out, now);
    return false;
  }
  if (o.state != ConnState::open_confirm)
    return true;  // RFC 4271 6.8: the peer's identifier on the other connection is not known yet

  Conn keep = kept_by_identifier(open);
  Conn lose = keep == Conn::outgoing ? Conn::incoming : Conn::outgoing;
  fail(lose, make_notification(err::cease, cease::connection_collision),
       "connection collision resolved", out, now);
  return lose != c;
}

Conn Fsm::kept_by_identifier(const Open& peer_open) const {
  // RFC 4271 6.8: the connection opened by the speaker with the higher BGP identifier stays.
  return settings_.router_id < peer_open.bgp_id ? Conn::incoming : Conn::outgoing;
}

void Fsm::on_keepalive(Conn c, Out& out, Clock::time_point now) {
  auto& x = conn(c);
  if (x.state == ConnState::open_sent) {
    fail(c, make_notification(err::fsm, kFsmInOpenSent), "KEEPALIVE in OpenSent", out, now);
    return;
  }
  if (x.hold_time)
    x.hold_deadline = now + Seconds(x.hold_time);
  if (x.state != ConnState::open_confirm)
    return;

  // Our OPEN is out on the other connection too: the peer may hold both in OpenConfirm and keep
  // the other one by identifier. Then coming up here would have the peer close this connection
  // a moment later; wait for its OPEN there (or for that connection to fail) instead.
  Conn other = c == Conn::outgoing ? Conn::incoming : Conn::outgoing;
  if (conn(other).state == ConnState::open_sent && kept_by_identifier(*x.peer_open) != c) {
    x.keepalive_seen = true;
    return;
  }
  establish(c, out, now);
}

void Fsm::establish(Conn c, Out& out, Clock::time_point now) {
  auto& x = conn(c);
  x.state = ConnState::established;
  x.keepalive_seen = false;
  // RFC 4271 6.8: the other connection loses to the established one, whatever the identifiers.
  Conn other = c == Conn::outgoing ? Conn::incoming : Conn::outgoing;
  auto& o = conn(other);
  if (o.state >= ConnState::open_sent)
    fail(other, make_notification(err::cease, cease::connection_collision),
         "connection collision resolved", out, now);
  else if (o.state == ConnState::connecting) {
    out.push_back(DoClose{other});
    o = Connection{};
  }
  connect_retry_deadline_.reset();
  last_error_.clear();
  negotiated_ = negotiate(make_open(settings_), *x.peer_open);
  negotiated_->hold_time = x.hold_time;
  negotiated_->keepalive_time = x.keepalive_time;
  out.push_back(DoEstablished{*negotiated_});
}

void Fsm::on_update_or_refresh(Conn c, const Message& m, Out& out, Clock::time_point now) {
  auto& x = conn(c);
  if (x.state == ConnState::open_sent) {
    fail(c, make_notification(err::fsm, kFsmInOpenSent), "UPDATE in OpenSent", out, now);
    return;
  }
  // The peer's KEEPALIVE came while we waited for its choice: an UPDATE says it chose this one.
  if (x.state == ConnState::open_confirm && x.keepalive_seen)
    establish(c, out, now);
  if (x.state == ConnState::open_confirm) {
    fail(c, make_notification(err::fsm, kFsmInOpenConfirm), "UPDATE in OpenConfirm", out, now);
    return;
  }
  if (x.hold_time)
    x.hold_deadline = now + Seconds(x.hold_time);
  out.push_back(DoDeliver{m});
}

void Fsm::on_notification(Conn c, const Notification& n, Out& out, Clock::time_point now) {
  // RFC 8538 5: with the N bit on both sides, a NOTIFICATION other than Hard Reset is graceful.
  bool graceful = false;
  if (conn(c).state == ConnState::established && negotiated_ && negotiated_->peer_graceful_restart)
    graceful = negotiated_->peer_graceful_restart->notification &&
               settings_.capabilities.graceful_restart &&
               settings_.capabilities.graceful_restart->notification &&
               !(n.code == err::cease && n.subcode == cease::hard_reset);
  drop(c, "received " + notification_name(n.code, n.subcode), graceful, out, now);
}

void Fsm::fail(Conn c, Notification n, std::string reason, Out& out, Clock::time_point now) {
  out.push_back(DoSend{c, std::move(n)});
  drop(c, std::move(reason), false, out, now);
}

void Fsm::drop(Conn c, std::string reason, bool graceful, Out& out, Clock::time_point now) {
  auto& x = conn(c);
  bool was_established = x.state == ConnState::established;
  out.push_back(DoClose{c});
  x = Connection{};
  last_error_ = reason;
  if (was_established) {
    negotiated_.reset();
    out.push_back(DoDown{std::move(reason), graceful});
  }
  // The connection we held back for lost: the peer's KEEPALIVE on the other one stands.
  Conn other = c == Conn::outgoing ? Conn::incoming : Conn::outgoing;
  if (conn(other).state == ConnState::open_confirm && conn(other).keepalive_seen)
    establish(other, out, now);
  if (started_ && !connect_retry_deadline_ && !established_conn())
    start_connect_retry(now, settings_.connect_retry_time);
}

}  // namespace bpfr::bgp
