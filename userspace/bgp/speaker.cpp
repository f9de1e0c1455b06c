#include "bgp/speaker.h"

#include <spdlog/spdlog.h>

namespace bpfr::bgp {

Speaker::Speaker(asio::io_context& io, SpeakerSettings settings, RouteSink& sink)
    : io_(io),
      settings_(std::move(settings)),
      listener_(io, [this](Tcp::socket s) { on_accept(std::move(s)); }) {
  context_.router_id = settings_.router_id;
  context_.restarting = settings_.restarting;
  context_.attrs = &attrs_;
  context_.sink = &sink;
  context_.exports = &exports_;
}

Speaker::~Speaker() {
  listener_.close();
}

std::error_code Speaker::open() {
  if (!settings_.listen)
    return {};
  if (auto ec = listener_.open(settings_.listen_address, settings_.port))
    return ec;
  for (const auto& s : sessions_)
    configure_listener(*s);
  return {};
}

void Speaker::configure_listener(const Session& s) {
  const auto& c = s.config();
  if (!c.password.empty())
    if (auto ec = listener_.set_md5_key(c.neighbor, s.info().ifindex, c.password))
      spdlog::error("{}: cannot set TCP-MD5 key on the listener: {}, its connections fail",
                    s.info(), ec.message());

  // Data arriving with the handshake is read before the accepted socket gets the neighbour's
  // own minimum TTL; only the listener's own setting stops it from a too-far peer. With
  // neighbours without GTSM the listener cannot check, and a too-far peer's first OPEN gets
  // through; its later packets are dropped, so the session still never comes up.
  int min_ttl = 255;
  for (const auto& x : sessions_)
    min_ttl = std::min(min_ttl, ttl_policy(x->config()).min_ttl);
  if (auto ec = listener_.set_min_ttl(min_ttl))
    spdlog::error("bgp: cannot set minimum TTL {} on the listener: {}", min_ttl, ec.message());
}

Session& Speaker::add_peer(PeerConfig config) {
  sessions_.push_back(std::make_unique<Session>(io_, std::move(config), context_));
  auto& s = *sessions_.back();
  if (listener_.port())
    configure_listener(s);
  return s;
}

void Speaker::start_all() {
  for (auto& s : sessions_)
    s->start();
}

void Speaker::stop_all(const std::string& message) {
  for (auto& s : sessions_)
    s->stop(message);
}

Session* Speaker::find(std::string_view name) {
  for (auto& s : sessions_)
    if (s->config().name == name)
      return s.get();
  return nullptr;
}

bool Speaker::enable(std::string_view name) {
  auto* s = find(name);
  if (s)
    s->start();
  return s;
}

bool Speaker::disable(std::string_view name, std::string message) {
  auto* s = find(name);
  if (s)
    s->stop(std::move(message));
  return s;
}

bool Speaker::restart(std::string_view name, std::string message) {
  auto* s = find(name);
  if (s)
    s->restart(std::move(message));
  return s;
}

bool Speaker::reload_in(std::string_view name) {
  auto* s = find(name);
  if (s)
    s->reload_in();
  return s;
}

bool Speaker::reload_out(std::string_view name) {
  auto* s = find(name);
  if (s)
    s->reload_out();
  return s;
}

bool Speaker::reconfigure(PeerConfig next, bool policies_only, bool start_again) {
  auto* s = find(next.name);
  if (!s)
    return false;
  if (policies_only) {
    s->replace_policies(next);
    return true;
  }
  s->replace_settings(std::move(next), start_again);
  if (listener_.port())
    configure_listener(*s);  // a new password or GTSM setting
  return true;
}

void Speaker::export_update(const Prefix& prefix, ExportRoute route) {
  auto& stored = exports_[prefix] = std::move(route);
  for (auto& s : sessions_)
    s->export_update(prefix, stored);
}

void Speaker::export_withdraw(const Prefix& prefix) {
  if (!exports_.erase(prefix))
    return;
  for (auto& s : sessions_)
    s->export_withdraw(prefix);
}

void Speaker::on_accept(Tcp::socket socket) {
  // Only configured neighbours: anything else is closed before a byte of it is read.
  asio::error_code ec;
  auto remote = socket.remote_endpoint(ec);
  if (ec) {
    socket.close(ec);
    return;
  }
  auto addr = address_of(remote);
  auto scope = scope_of(remote);
  for (auto& s : sessions_) {
    const auto& info = s->info();
    if (info.address != addr || (addr.is_link_local() && info.ifindex && info.ifindex != scope))
      continue;
    s->accept(std::move(socket));
    return;
  }
  spdlog::warn("bgp: connection from unconfigured {} refused", addr);
  socket.close(ec);
}

}  // namespace bpfr::bgp
