#include "bgp/session.h"

#include <net/if.h>
#include <spdlog/spdlog.h>

#include <map>
#include <tuple>

namespace bpfr::bgp {
namespace {

// Two messages of the largest size: enough to always hold one whole message plus a partial.
constexpr size_t kReadBufferSize = 2 * kMaxExtendedMessageSize;
// Messages handled before yielding to other sessions and timers.
constexpr int kMessagesPerTurn = 64;
// UPDATEs are generated only while less than this is waiting for the socket.
constexpr size_t kMaxQueuedBytes = 1 << 20;
// A closing connection drops what it has not written beyond this (a peer that stopped reading).
constexpr size_t kMaxLingerBytes = 64 << 10;
constexpr size_t kPrefixesPerBatch = 4096;
constexpr auto kReadRetry = std::chrono::milliseconds(20);
// A peer's new connection this soon after the session came up is a collision, not a restart.
constexpr auto kCollisionWindow = std::chrono::seconds(3);

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
// Clang 14 lacks C++20's implicit deduction for aggregates.
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

size_t slot(Conn c) {
  return static_cast<size_t>(c);
}

}  // namespace

Session::Session(asio::io_context& io, PeerConfig config, const SpeakerContext& ctx)
    : io_(io),
      config_(std::move(config)),
      ctx_(ctx),
      fsm_(FsmSettings{}),
      fsm_timer_(io),
      gr_timer_(io) {
  info_.name = config_.name;
  info_.address = config_.neighbor;
  info_.local_as = config_.local_as;
  info_.peer_as = config_.peer_as;
  if (!config_.interface.empty())
    info_.ifindex = if_nametoindex(config_.interface.c_str());
  fsm_.set_settings(fsm_settings());
}

Session::~Session() {
  *alive_ = false;
  for (auto& link : links_)
    if (link && link->socket) {
      asio::error_code ec;
      link->socket->close(ec);
    }
}

FsmSettings Session::fsm_settings() const {
  FsmSettings s;
  s.local_as = config_.local_as;
  s.peer_as = config_.peer_as;
  s.router_id = ctx_.router_id;
  s.hold_time = config_.hold_time;
  s.keepalive_time = config_.keepalive_time;
  s.connect_retry_time = config_.connect_retry_time;
  s.connect_delay_time = config_.connect_delay_time;
  s.passive = config_.passive;

  auto& caps = s.capabilities;
  for (auto f : {Family::v4, Family::v6})
    if (config_.channel(f))
      caps.multiprotocol.push_back(afi_safi_of(f));
  if (config_.enable_as4)
    caps.four_octet_as = config_.local_as;
  caps.route_refresh = config_.enable_route_refresh;
  caps.enhanced_route_refresh = config_.enable_route_refresh;
  caps.extended_message = config_.enable_extended_messages;
  if (config_.graceful_restart) {
    GracefulRestart gr;
    gr.restarting = ctx_.restarting;
    gr.restart_time = config_.graceful_restart_time;
    for (const auto& f : caps.multiprotocol)
      gr.families.push_back({f, ctx_.restarting});
    caps.graceful_restart = gr;
  }
  return s;
}

bool Session::family_active(Family f) const {
  const auto& n = fsm_.negotiated();
  return config_.channel(f) && n && n->has(afi_safi_of(f));
}

void Session::start() {
  fsm_.set_settings(fsm_settings());
  feed(EvStart{});
}

void Session::stop(std::string message) {
  feed(EvStop{cease::admin_shutdown, std::move(message)});
  if (gr_timer_active_)
    drop_all_routes();  // an operator's stop ends the peer's graceful restart too
}

void Session::restart(std::string message) {
  feed(EvStop{cease::admin_reset, std::move(message)});
  start();
}

// ---- FSM plumbing ------------------------------------------------------------------------

void Session::feed(const FsmEvent& event) {
  State before = fsm_.state();
  apply(fsm_.handle(event, Clock::now()));
  log_transition(before);
  arm_timer();
}

void Session::log_transition(State before) const {
  State after = fsm_.state();
  if (before == after)
    return;
  const auto& why = fsm_.last_error();
  bool notable =
      before == State::established || after == State::established || after == State::idle;
  spdlog::log(notable ? spdlog::level::info : spdlog::level::debug, "{}: {} -> {}{}{}", info_,
              before, after, why.empty() ? "" : ": ", why);
}

void Session::apply(std::vector<FsmAction> actions) {
  for (auto& action : actions) {
    std::visit(Overloaded{
                   [&](DoConnect&) { connect(); },
                   [&](DoSend& a) { send_message(a.conn, a.message); },
                   [&](DoClose& a) { close_link(a.conn); },
                   [&](DoEstablished& a) { on_established(a.negotiated); },
                   [&](DoDeliver& a) {
                     if (auto* u = std::get_if<Update>(&a.message))
                       on_update(*u);
                     else if (auto* rr = std::get_if<RouteRefresh>(&a.message))
                       on_route_refresh(*rr);
                   },
                   [&](DoDown& a) { on_down(a); },
               },
               action);
  }
}

void Session::arm_timer() {
  auto deadline = fsm_.next_deadline();
  if (!deadline) {
    fsm_timer_.cancel();
    return;
  }
  fsm_timer_.expires_at(*deadline);
  std::weak_ptr<bool> alive = alive_;
  fsm_timer_.async_wait([this, alive](const asio::error_code& ec) {
    if (ec || alive.expired())
      return;
    State before = fsm_.state();
    apply(fsm_.advance(Clock::now()));
    log_transition(before);
    arm_timer();
  });
}

// ---- sockets -----------------------------------------------------------------------------

void Session::configure_socket(Tcp::socket& s) {
  bool v6 = s.local_endpoint().protocol() == Tcp::v6();
  int fd = s.native_handle();
  auto ttl = ttl_policy(config_);
  if (auto ec = set_ttl(fd, v6, ttl.send_ttl))
    spdlog::warn("{}: cannot set TTL {}: {}", info_, ttl.send_ttl, ec.message());
  if (ttl.min_ttl)
    if (auto ec = set_min_ttl(fd, v6, ttl.min_ttl))
      spdlog::error("{}: cannot set minimum TTL {}: {}, GTSM not enforced", info_, ttl.min_ttl,
                    ec.message());
}

void Session::connect() {
  auto link = std::make_shared<Link>(io_);
  links_[slot(Conn::outgoing)] = link;
  auto ep = make_endpoint(config_.neighbor, config_.port, info_.ifindex);

  asio::error_code ec;
  Tcp::socket s(io_);
  s.open(ep.protocol(), ec);
  bool v6 = ep.protocol() == Tcp::v6();
  if (!ec && !config_.password.empty())
    ec = set_md5_key(s.native_handle(), v6, config_.neighbor, info_.ifindex, config_.password);
  if (!ec) {
    auto local = config_.source_address ? make_endpoint(*config_.source_address, 0, info_.ifindex)
                                        : Tcp::endpoint(ep.protocol(), 0);
    s.bind(local, ec);
  }
  if (!ec)
    configure_socket(s);
  if (ec) {
    spdlog::warn("{}: cannot open connection: {}, retrying later", info_, ec.message());
    std::weak_ptr<bool> alive = alive_;
    asio::post(io_, [this, alive, link, reason = ec.message()] {
      if (!alive.expired() && current(Conn::outgoing, link))
        feed(EvTcpFailed{Conn::outgoing, reason});
    });
    return;
  }

  link->socket = std::move(s);
  std::weak_ptr<bool> alive = alive_;
  link->socket->async_connect(ep, [this, alive, link](const asio::error_code& err) {
    if (alive.expired() || !current(Conn::outgoing, link))
      return;
    if (err) {
      feed(EvTcpFailed{Conn::outgoing, "connect: " + err.message()});
      return;
    }
    link->rbuf.resize(kReadBufferSize);
    feed(EvTcpConnected{});
    if (current(Conn::outgoing, link))
      read_more(Conn::outgoing, link);
  });
}

void Session::accept(Tcp::socket socket) {
  asio::error_code ec;
  auto remote = socket.remote_endpoint(ec);

  // RFC 4724 4.2: the peer's new connection while we still hold its session means it restarted.
  // Not in the first moments of the session, though: then it is the peer's side of a connection
  // collision, opened before our KEEPALIVE reached it, and RFC 4271 6.8 keeps the established
  // connection (seen with BIRD when both sides connect at once).
  if (auto c = fsm_.established_conn();
      c && fsm_.negotiated() && fsm_.negotiated()->peer_graceful_restart) {
    if (Clock::now() - established_at_ < kCollisionWindow) {
      spdlog::debug("{}: connection from {} just after the session came up, closed as a "
                    "collision",
                    info_, address_of(remote));
      socket.close(ec);
      return;
    }
    feed(EvTcpFailed{*c, "peer reconnected"});
  }

  if (!fsm_.accepts_incoming()) {
    spdlog::debug("{}: connection from {} refused in state {}", info_, address_of(remote),
                  fsm_.state());
    socket.close(ec);
    return;
  }
  configure_socket(socket);
  auto link = std::make_shared<Link>(io_);
  link->socket = std::move(socket);
  link->rbuf.resize(kReadBufferSize);
  links_[slot(Conn::incoming)] = link;
  feed(EvTcpAccepted{});
  if (current(Conn::incoming, link))
    read_more(Conn::incoming, link);
}

bool Session::current(Conn c, const std::shared_ptr<Link>& link) const {
  return links_[slot(c)] == link && !link->closing;
}

void Session::close_link(Conn c) {
  auto link = links_[slot(c)];
  links_[slot(c)].reset();
  if (!link || !link->socket)
    return;
  link->closing = true;
  asio::error_code ec;
  if (link->wqueue.empty() || link->wbytes > kMaxLingerBytes) {
    link->socket->close(ec);
    return;
  }
  // What is queued (typically the NOTIFICATION) goes out first; write_next closes after it.
  if (!link->writing)
    write_next(link);
}

DecodeContext Session::decode_context(Conn c) const {
  if (fsm_.established_conn() == c && fsm_.negotiated())
    return fsm_.negotiated()->decode_context(info_.external());
  DecodeContext ctx;
  ctx.external = info_.external();
  return ctx;
}

// Moves the undecoded tail to the front once per read rather than once per message: a
// buffer full of small UPDATEs was otherwise copied again for each one.
void Session::compact_read_buffer(Link& link) {
  if (link.rpos == 0)
    return;
  std::copy(link.rbuf.begin() + static_cast<ptrdiff_t>(link.rpos),
            link.rbuf.begin() + static_cast<ptrdiff_t>(link.rlen), link.rbuf.begin());
  link.rlen -= link.rpos;
  link.rpos = 0;
}

void Session::read_more(Conn c, const std::shared_ptr<Link>& link) {
  if (link->reading || !current(c, link))
    return;
  link->reading = true;
  compact_read_buffer(*link);
  std::weak_ptr<bool> alive = alive_;
  auto space = asio::buffer(link->rbuf.data() + link->rlen, link->rbuf.size() - link->rlen);
  link->socket->async_read_some(
      space, [this, alive, c, link](const asio::error_code& ec, size_t n) {
        link->reading = false;
        if (alive.expired() || !current(c, link))
          return;
        if (ec) {
          feed(EvTcpFailed{c, ec == asio::error::eof ? "connection closed by peer" : ec.message()});
          return;
        }
        link->rlen += n;
        process_buffer(c, link);
      });
}

void Session::process_buffer(Conn c, const std::shared_ptr<Link>& link) {
  // Back-pressure: while the sink cannot take routes, buffered messages wait and the socket
  // stays unread, so the peer's TCP window closes instead of our memory growing. The peer's
  // KEEPALIVEs wait too: a pause longer than the hold time takes the session down.
  if (ctx_.sink && !ctx_.sink->ready() && fsm_.established_conn() == c) {
    std::weak_ptr<bool> alive = alive_;
    link->retry.expires_after(kReadRetry);
    link->retry.async_wait([this, alive, c, link](const asio::error_code& ec) {
      if (!ec && !alive.expired() && current(c, link))
        process_buffer(c, link);
    });
    return;
  }

  for (int handled = 0; handled < kMessagesPerTurn; ++handled) {
    std::span<const uint8_t> buffered(link->rbuf.data() + link->rpos, link->rlen - link->rpos);
    auto ctx = decode_context(c);
    auto frame = peek_frame(buffered, ctx);
    if (frame.error) {
      feed(EvDecodeError{c, *frame.error});
      return;
    }
    if (frame.length == 0 || frame.length > buffered.size()) {
      read_more(c, link);
      return;
    }

    auto result = decode_message(buffered.first(frame.length), ctx);
    link->rpos += frame.length;
    if (link->rpos == link->rlen && !link->reading)  // a pending read writes at rlen
      link->rpos = link->rlen = 0;
    FsmEvent event = result.ok() ? FsmEvent{EvMessage{c, std::move(*result.message)}}
                                 : FsmEvent{EvDecodeError{c, result.error}};
    feed(event);
    if (!current(c, link))
      return;
  }

  // Yield, so that one busy peer does not starve the others and the timers.
  std::weak_ptr<bool> alive = alive_;
  asio::post(io_, [this, alive, c, link] {
    if (!alive.expired() && current(c, link))
      process_buffer(c, link);
  });
}

void Session::send_message(Conn c, const Message& m) {
  EncodeContext ctx;
  if (fsm_.established_conn() == c && fsm_.negotiated())
    ctx = fsm_.negotiated()->encode_context();
  if (auto* n = std::get_if<Notification>(&m)) {
    ++stats_.notifications_sent;
    spdlog::warn("{}: sending NOTIFICATION {}", info_, notification_name(n->code, n->subcode));
  }
  send(c, encode_message(m, ctx));
}

void Session::send(Conn c, std::vector<uint8_t> bytes) {
  auto& link = links_[slot(c)];
  if (!link || !link->socket || bytes.empty())
    return;
  link->wbytes += bytes.size();
  link->wqueue.push_back(std::move(bytes));
  if (!link->writing)
    write_next(link);
}

void Session::write_next(const std::shared_ptr<Link>& link) {
  if (link->wqueue.empty()) {
    link->writing = false;
    if (link->closing) {
      asio::error_code ec;
      link->socket->shutdown(Tcp::socket::shutdown_both, ec);
      link->socket->close(ec);
    } else if (rib_out_.has_pending() || !eor_to_send_.empty() || !eorr_to_send_.empty()) {
      schedule_flush();
    }
    return;
  }
  link->writing = true;
  std::weak_ptr<bool> alive = alive_;
  asio::async_write(*link->socket, asio::buffer(link->wqueue.front()),
                    [this, alive, link](const asio::error_code& ec, size_t) {
                      if (alive.expired())
                        return;
                      if (ec) {
                        link->writing = false;
                        asio::error_code ignored;
                        link->socket->close(ignored);
                        for (auto c : {Conn::outgoing, Conn::incoming})
                          if (current(c, link))
                            feed(EvTcpFailed{c, "write: " + ec.message()});
                        return;
                      }
                      link->wbytes -= link->wqueue.front().size();
                      link->wqueue.pop_front();
                      write_next(link);
                    });
}

// ---- session up and down -----------------------------------------------------------------

void Session::on_established(const Negotiated& n) {
  auto c = fsm_.established_conn();
  if (c && links_[slot(*c)] && links_[slot(*c)]->socket) {
    asio::error_code ec;
    auto ep = links_[slot(*c)]->socket->local_endpoint(ec);
    if (!ec)
      local_address_ = address_of(ep);
  }
  established_at_ = Clock::now();
  info_.router_id = n.remote.bgp_id;
  peer_restart_time_ = n.peer_graceful_restart ? n.peer_graceful_restart->restart_time : 0;
  spdlog::info("{}: session up, hold time {}s, families {}", info_, n.hold_time,
               fmt::join(n.families, " "));
  if (ctx_.sink)
    ctx_.sink->peer_up(info_);

  // RFC 4724 4.2: stale routes of a family the peer did not keep forwarding go at once; the
  // others wait for its End-of-RIB.
  if (gr_timer_active_) {
    for (auto f : {Family::v4, Family::v6}) {
      bool kept = false;
      if (n.peer_graceful_restart)
        for (const auto& g : n.peer_graceful_restart->families)
          kept |= g.afi_safi == afi_safi_of(f) && g.forwarding_preserved;
      if (!kept)
        sweep_stale(f);
    }
  }

  for (auto f : {Family::v4, Family::v6}) {
    if (!family_active(f))
      continue;
    eor_to_send_.insert(f);
    dump_exports(f);
  }
  schedule_flush();
}

void Session::on_down(const DoDown& down) {
  rib_out_.clear();
  eor_to_send_.clear();
  eorr_to_send_.clear();
  refresh_in_progress_.clear();
  limit_hit_ = false;

  if (down.graceful && peer_restart_time_ > 0) {
    // RFC 4724 4.2: keep the routes, stale, for the restart time the peer announced.
    spdlog::info("{}: session down ({}), keeping {} routes stale for {}s", info_, down.reason,
                 rib_in_.size(), peer_restart_time_);
    for (auto f : {Family::v4, Family::v6})
      rib_in_.mark_stale(f);
    gr_timer_active_ = true;
    gr_timer_.expires_after(Seconds(peer_restart_time_));
    std::weak_ptr<bool> alive = alive_;
    gr_timer_.async_wait([this, alive](const asio::error_code& ec) {
      if (!ec && !alive.expired())
        gr_expired();
    });
  } else {
    spdlog::info("{}: session down ({}), withdrawing {} routes", info_, down.reason,
                 rib_in_.accepted_count());
    drop_all_routes();
  }
  if (ctx_.sink)
    ctx_.sink->peer_down(info_);
}

void Session::gr_expired() {
  gr_timer_active_ = false;
  spdlog::info("{}: graceful restart time over, withdrawing stale routes", info_);
  sweep_stale(Family::v4);
  sweep_stale(Family::v6);
}

// ---- import ------------------------------------------------------------------------------

void Session::on_update(const Update& u) {
  ++stats_.updates_received;
  if (auto eor = u.end_of_rib()) {
    auto f = family_of(*eor);
    if (!f)
      return;
    spdlog::debug("{}: End-of-RIB for {}", info_, *eor);
    sweep_stale(*f);
    if (gr_timer_active_ && rib_in_.stale(Family::v4).empty() &&
        rib_in_.stale(Family::v6).empty()) {
      gr_timer_active_ = false;
      gr_timer_.cancel();
    }
    if (ctx_.sink)
      ctx_.sink->end_of_rib(info_, *f);
    return;
  }

  for (const auto& p : u.all_withdrawn())
    withdraw_in(p);

  auto announced = u.announced();
  if (announced.empty())
    return;
  stats_.prefixes_received += announced.size();

  // RFC 4271 9.1.2: a route whose AS_PATH holds our own AS is a loop and is not used.
  if (u.attrs.as_path && u.attrs.as_path->contains(config_.local_as)) {
    spdlog::debug("{}: {} routes with our AS in the path, ignored", info_, announced.size());
    stats_.prefixes_rejected += announced.size();
    for (const auto& p : announced)
      withdraw_in(p);
    return;
  }

  auto attrs = ctx_.attrs->intern(u.attrs);
  for (const auto& p : announced) {
    RouteNextHop nh;
    if (u.mp_reach && family_of(u.mp_reach->afi_safi) == p.family()) {
      nh.global = u.mp_reach->next_hop;
      nh.link_local = u.mp_reach->link_local;
    } else if (u.attrs.next_hop) {
      nh.global = *u.attrs.next_hop;
    }
    import_route(p, attrs, nh);
  }
}

void Session::import_route(const Prefix& p, const AttrsRef& attrs, const RouteNextHop& nh) {
  if (!family_active(p.family()))
    return;
  auto old = rib_in_.update(p, InRoute{attrs, nh, false, false});
  if (old && old->accepted)
    rib_in_.set_accepted(p, true);  // counted as before until run_import decides
  run_import(p, *rib_in_.find(p));
}

bool Session::run_import(const Prefix& p, const InRoute& r) {
  const auto& ch = config_.channel(p.family());
  bool was_accepted = r.accepted;
  PolicyRoute pr{p, *r.attrs, r.next_hop, &info_, config_.name, RouteSource::bgp};
  bool accept = ch && ch->import_policy.run(pr, info_.external());

  if (accept && !was_accepted && ch->import_limit &&
      rib_in_.accepted_count() >= ch->import_limit->limit) {
    check_import_limit(p.family());
    accept = ch->import_limit->action == ImportLimit::Action::warn;
  }

  if (!accept) {
    ++stats_.prefixes_rejected;
    if (was_accepted) {
      rib_in_.set_accepted(p, false);
      ctx_.sink->withdraw(info_, p);
    }
    return false;
  }
  auto attrs = pr.attrs == *r.attrs ? r.attrs : ctx_.attrs->intern(pr.attrs);
  rib_in_.set_accepted(p, true);
  ctx_.sink->announce(info_, p, std::move(attrs), pr.next_hop.value_or(r.next_hop));
  return true;
}

void Session::check_import_limit(Family f) {
  const auto& limit = *config_.channel(f)->import_limit;
  if (limit_hit_)
    return;
  limit_hit_ = true;
  using A = ImportLimit::Action;
  auto what = limit.action == A::warn      ? "warning only"
              : limit.action == A::block   ? "new routes blocked"
              : limit.action == A::restart ? "restarting the session"
                                           : "disabling the session";
  spdlog::warn("{}: import limit {} reached, {}", info_, limit.limit, what);
  if (limit.action != A::restart && limit.action != A::disable)
    return;

  // RFC 4486: Cease / Maximum Number of Prefixes Reached; not from inside the UPDATE loop.
  std::weak_ptr<bool> alive = alive_;
  asio::post(io_, [this, alive, restart = limit.action == A::restart] {
    if (alive.expired())
      return;
    feed(EvStop{cease::max_prefixes, "import limit reached"});
    if (restart)
      start();
  });
}

void Session::withdraw_in(const Prefix& p) {
  auto old = rib_in_.remove(p);
  if (old && old->accepted)
    ctx_.sink->withdraw(info_, p);
}

void Session::sweep_stale(Family f) {
  auto stale = rib_in_.stale(f);
  if (!stale.empty())
    spdlog::info("{}: {} stale routes withdrawn", info_, stale.size());
  for (const auto& p : stale)
    withdraw_in(p);
}

void Session::drop_all_routes() {
  for (const auto& [p, r] : rib_in_.routes())
    if (r.accepted)
      ctx_.sink->withdraw(info_, p);
  rib_in_.clear();
  gr_timer_active_ = false;
  gr_timer_.cancel();
}

void Session::on_route_refresh(const RouteRefresh& rr) {
  auto f = family_of(rr.afi_safi);
  if (!f || !family_active(*f))
    return;  // RFC 2918 4: a family not negotiated is ignored
  const auto& n = *fsm_.negotiated();
  switch (rr.subtype) {
    case RouteRefresh::normal:
      spdlog::info("{}: route refresh requested for {}, resending", info_, rr.afi_safi);
      if (n.enhanced_route_refresh) {
        send_message(*fsm_.established_conn(), RouteRefresh{rr.afi_safi, RouteRefresh::begin});
        eorr_to_send_.insert(*f);
      }
      rib_out_.resend(*f);
      schedule_flush();
      break;
    case RouteRefresh::begin:  // RFC 7313 4: what is not re-sent before EoRR goes away
      rib_in_.mark_stale(*f);
      refresh_in_progress_.insert(*f);
      break;
    case RouteRefresh::end:
      if (refresh_in_progress_.erase(*f))
        sweep_stale(*f);
      break;
    default:
      break;
  }
}

void Session::reload_in() {
  auto c = fsm_.established_conn();
  if (!c)
    return;
  if (fsm_.negotiated()->route_refresh) {
    for (auto f : {Family::v4, Family::v6})
      if (family_active(f))
        send_message(*c, RouteRefresh{afi_safi_of(f), RouteRefresh::normal});
    return;
  }
  std::vector<Prefix> prefixes;
  for (const auto& [p, r] : rib_in_.routes())
    prefixes.push_back(p);
  for (const auto& p : prefixes)
    if (const auto* r = rib_in_.find(p))
      run_import(p, *r);
}

void Session::replace_policies(const PeerConfig& next) {
  for (auto f : {Family::v4, Family::v6}) {
    auto& mine = f == Family::v4 ? config_.ipv4 : config_.ipv6;
    const auto& theirs = next.channel(f);
    if (!mine || !theirs)
      continue;
    mine->import_policy = theirs->import_policy;
    mine->export_policy = theirs->export_policy;
  }
  spdlog::info("{}: filters changed, re-running them on the routes in and out", info_);
  reload_in();
  reload_out();
}

void Session::replace_settings(PeerConfig next, bool start_again) {
  if (fsm_.state() != State::idle)
    feed(EvStop{cease::admin_reset, "configuration changed"});
  if (gr_timer_active_)
    drop_all_routes();  // the stale routes were learned under the old settings
  config_ = std::move(next);
  info_.address = config_.neighbor;
  info_.local_as = config_.local_as;
  info_.peer_as = config_.peer_as;
  info_.ifindex = config_.interface.empty() ? 0 : if_nametoindex(config_.interface.c_str());
  warned_next_hop_[0] = warned_next_hop_[1] = false;
  spdlog::info("{}: settings changed, session {}", info_,
               start_again ? "restarting" : "stays down");
  if (start_again)
    start();
}

// ---- export ------------------------------------------------------------------------------

std::optional<RouteNextHop> Session::own_next_hop(Family f) const {
  const auto& ch = config_.channel(f);
  if (ch && ch->next_hop_address)
    return RouteNextHop{*ch->next_hop_address, std::nullopt};
  if (local_address_ && local_address_->family == f)
    return RouteNextHop{*local_address_, std::nullopt};
  return std::nullopt;
}

std::optional<OutRoute> Session::export_route(const Prefix& p, const ExportRoute& r) const {
  auto f = p.family();
  const auto& ch = config_.channel(f);
  if (!ch || !family_active(f) || r.from == &info_)
    return std::nullopt;
  // RFC 4271 9.1.1: routes from internal peers are not sent to internal peers.
  if (r.from && !r.from->external() && !info_.external())
    return std::nullopt;

  PolicyRoute pr{p,       r.attrs ? *r.attrs : PathAttributes{}, r.next_hop, r.from,
                 r.proto, r.from ? RouteSource::bgp : r.source};
  if (!ch->export_policy.run(pr, info_.external()))
    return std::nullopt;

  auto& a = pr.attrs;
  if (!a.origin)
    a.origin = Origin::incomplete;  // a route from another protocol
  if (!a.as_path)
    a.as_path = AsPath{};
  a.next_hop.reset();
  a.originator_id.reset();
  a.cluster_list.clear();
  if (info_.external()) {
    // RFC 4271 5.1.2, 5.1.4, 5.1.5: prepend our AS; no LOCAL_PREF; a neighbour AS's MED stays.
    a.as_path = a.as_path->prepended(config_.local_as);
    a.local_pref.reset();
    if (r.from && r.from->external())
      a.med.reset();
  } else if (!a.local_pref) {
    a.local_pref = 100;
  }

  std::optional<RouteNextHop> nh = pr.next_hop;
  if (info_.external() || ch->next_hop_self || !nh || nh->global.family != f)
    nh = own_next_hop(f);
  if (!nh) {
    auto& warned = warned_next_hop_[f == Family::v4 ? 0 : 1];
    if (!warned)
      spdlog::warn("{}: no {} next hop of ours for this session, such routes not exported", info_,
                   f == Family::v4 ? "IPv4" : "IPv6");
    warned = true;
    return std::nullopt;
  }
  return OutRoute{ctx_.attrs->intern(a), *nh};
}

void Session::dump_exports(Family f) {
  if (!ctx_.exports)
    return;
  for (const auto& [p, r] : *ctx_.exports)
    if (p.family() == f)
      rib_out_.set(p, export_route(p, r));
}

void Session::export_update(const Prefix& prefix, const ExportRoute& route) {
  if (!family_active(prefix.family()))
    return;
  rib_out_.set(prefix, export_route(prefix, route));
  schedule_flush();
}

void Session::export_withdraw(const Prefix& prefix) {
  if (!family_active(prefix.family()))
    return;
  rib_out_.set(prefix, std::nullopt);
  schedule_flush();
}

void Session::reload_out() {
  for (auto f : {Family::v4, Family::v6}) {
    if (!family_active(f))
      continue;
    dump_exports(f);
    rib_out_.resend(f);
  }
  schedule_flush();
}

void Session::schedule_flush() {
  if (flush_scheduled_)
    return;
  flush_scheduled_ = true;
  std::weak_ptr<bool> alive = alive_;
  asio::post(io_, [this, alive] {
    if (alive.expired())
      return;
    flush_scheduled_ = false;
    flush();
  });
}

void Session::flush() {
  auto c = fsm_.established_conn();
  if (!c || !links_[slot(*c)])
    return;
  auto link = links_[slot(*c)];
  auto ctx = fsm_.negotiated()->encode_context();

  while (link->wbytes < kMaxQueuedBytes && rib_out_.has_pending()) {
    // Prefixes sharing attributes and next hop go in one UPDATE (as many as fit).
    using Key = std::tuple<const PathAttributes*, Family, Address, std::optional<Address>>;
    std::map<Key, std::pair<OutRoute, std::vector<Prefix>>> announce;
    std::vector<Prefix> withdraw[2];
    for (auto& [p, r] : rib_out_.take_pending(kPrefixesPerBatch)) {
      if (!r) {
        withdraw[p.family() == Family::v4 ? 0 : 1].push_back(p);
        continue;
      }
      auto& slot_entry =
          announce[{r->attrs.get(), p.family(), r->next_hop.global, r->next_hop.link_local}];
      slot_entry.first = *r;
      slot_entry.second.push_back(p);
    }
    for (auto& w : withdraw)
      if (!w.empty())
        for (auto& msg : pack_withdrawals(w, ctx)) {
          ++stats_.updates_sent;
          send(*c, std::move(msg));
        }
    for (auto& [key, entry] : announce) {
      NextHop nh{entry.first.next_hop.global, entry.first.next_hop.link_local};
      for (auto& msg : pack_announcements(*entry.first.attrs, nh, entry.second, ctx)) {
        ++stats_.updates_sent;
        send(*c, std::move(msg));
      }
    }
  }
  if (rib_out_.has_pending())
    return;  // write_next resumes when the queue drains

  for (auto f : eorr_to_send_)
    send_message(*c, RouteRefresh{afi_safi_of(f), RouteRefresh::end});
  eorr_to_send_.clear();
  for (auto f : eor_to_send_)
    send(*c, encode_end_of_rib(afi_safi_of(f)));
  eor_to_send_.clear();
}

}  // namespace bpfr::bgp
