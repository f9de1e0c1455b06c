// BGP in the daemon: sessions from the `protocol bgp` blocks, their accepted routes in the RIB
// (one protocol instance per session, attributes shared), and the RIB's best routes offered back
// to every session's export policy.
#include <spdlog/spdlog.h>

#include "bgp/decision.h"
#include "bgp/peer_config.h"
#include "daemon/daemon.h"

namespace bpfr::daemon {

namespace {

bgp::RouteSource route_source(rib::Source s) {
  switch (s) {
    case rib::Source::direct:
      return bgp::RouteSource::direct;
    case rib::Source::static_:
      return bgp::RouteSource::static_;
    case rib::Source::bgp:
      return bgp::RouteSource::bgp;
    case rib::Source::kernel:
      return bgp::RouteSource::kernel;
  }
  return bgp::RouteSource::static_;
}

}  // namespace

// BIRD's choice when the configuration names none: the lowest IPv4 address, loopback aside.
uint32_t Daemon::router_id() const {
  if (config_.router_id && config_.router_id->is_v4())
    return config_.router_id->v4_host_order();
  uint32_t best = 0;
  for (const auto& a : addresses_) {
    if (!a.address.is_v4())
      continue;
    uint32_t v = a.address.v4_host_order();
    if ((v >> 24) == 127)
      continue;
    if (best == 0 || v < best)
      best = v;
  }
  return best;
}

// Called once the kernel's addresses are known, so the router id and next hops can be chosen.
void Daemon::start_bgp() {
  if (config_.bgp.empty() || speaker_)
    return;
  bgp::SpeakerSettings s;
  s.router_id = router_id();
  s.restarting = options_.graceful_restart_recovery;
  if (s.router_id == 0)
    spdlog::error(
        "bgp: no router id configured and no IPv4 address to take it from, "
        "sessions will be refused by peers");
  speaker_ = std::make_unique<bgp::Speaker>(io_, s, *this);
  if (auto ec = speaker_->open())
    spdlog::warn("bgp: cannot listen on port {}: {}, sessions only connect out", s.port,
                 ec.message());

  rib_->set_bgp_better([this](const rib::Route& a, const rib::Route& b) {
    bgp::Candidate ca{static_cast<const bgp::PathAttributes*>(a.attrs.get()), bgp_peer(a.proto)};
    bgp::Candidate cb{static_cast<const bgp::PathAttributes*>(b.attrs.get()), bgp_peer(b.proto)};
    if (!ca.attrs || !cb.attrs || !ca.peer || !cb.peer)
      return false;
    return bgp::better(ca, cb);
  });

  for (const auto& p : config_.bgp) {
    rib::ProtoId id = protocol_id(p.name, rib::Source::bgp);
    auto& session = speaker_->add_peer(bgp::peer_config(p));
    bgp_sessions_[id] = &session;
    if (!p.disabled)
      session.start();
  }

  // What the RIB already holds (direct and static routes) is offered for export.
  std::vector<Prefix> prefixes;
  rib_->for_each([&prefixes](const rib::PrefixEntry& e) {
    if (e.in_fib)
      prefixes.push_back(e.prefix);
  });
  for (const auto& p : prefixes)
    export_best(p);
}

// `configure`: sessions whose settings did not change are left alone, new ones start and removed
// ones stop. Changed filters are swapped in and re-run (route refresh or the kept Adj-RIB-In
// inward, a full resend outward) with the session up; other changed settings restart only that
// session.
void Daemon::reconfigure_bgp(const config::ConfigDiff& d) {
  if (!speaker_) {
    if (synced_)
      start_bgp();
    return;
  }
  if (d.router_id_changed)
    spdlog::warn("bgp: router id change takes effect after a restart of bpfrouterd");
  for (const auto& name : d.removed)
    if (speaker_->disable(name, "protocol removed from the configuration"))
      spdlog::info("bgp {}: removed from the configuration, session stopped", name);

  auto listed = [](const std::vector<std::string>& list, const std::string& name) {
    return std::find(list.begin(), list.end(), name) != list.end();
  };
  for (const auto& p : config_.bgp) {
    if (listed(d.refiltered, p.name)) {
      speaker_->reconfigure(bgp::peer_config(p), true);
      continue;
    }
    if (listed(d.restarted, p.name) && speaker_->find(p.name)) {
      speaker_->reconfigure(bgp::peer_config(p), false, !p.disabled);
      continue;
    }
    if (!listed(d.added, p.name) && !listed(d.restarted, p.name))
      continue;
    if (speaker_->find(p.name)) {  // removed earlier, back again
      speaker_->reconfigure(bgp::peer_config(p), false, !p.disabled);
      continue;
    }
    rib::ProtoId id = protocol_id(p.name, rib::Source::bgp);
    auto& session = speaker_->add_peer(bgp::peer_config(p));
    bgp_sessions_[id] = &session;
    if (!p.disabled)
      session.start();
    spdlog::info("bgp {}: added by reconfiguration, session started", p.name);
  }
}

const bgp::PeerInfo* Daemon::bgp_peer(rib::ProtoId proto) const {
  auto it = bgp_sessions_.find(proto);
  return it == bgp_sessions_.end() ? nullptr : &it->second->info();
}

void Daemon::announce(const bgp::PeerInfo& peer, const Prefix& prefix, bgp::AttrsRef attrs,
                      const bgp::RouteNextHop& next_hop) {
  auto it = protocols_.find(peer.name);
  if (it == protocols_.end())
    return;
  rib::RouteSpec s;
  s.kind = rib::RouteKind::gateway;
  s.gateway = next_hop.global;
  if (next_hop.link_local && peer.ifindex) {
    s.gateway = *next_hop.link_local;
    s.ifindex = peer.ifindex;
  }
  s.attrs = std::move(attrs);
  rib_->update(prefix, it->second, s);
  after_change();
}

void Daemon::withdraw(const bgp::PeerInfo& peer, const Prefix& prefix) {
  auto it = protocols_.find(peer.name);
  if (it == protocols_.end())
    return;
  rib_->withdraw(prefix, it->second);
  after_change();
}

// The session withdraws what it accepted; anything left is dropped here unless graceful restart
// keeps it stale.
void Daemon::peer_down(const bgp::PeerInfo& peer) {
  auto it = protocols_.find(peer.name);
  if (it == protocols_.end())
    return;
  auto s = bgp_sessions_.find(it->second);
  if (s != bgp_sessions_.end() && s->second->graceful_restart_pending())
    return;
  rib_->withdraw_all(it->second);
  after_change();
}

void Daemon::on_fib_update(const Prefix& prefix, const rib::FibEntry&) {
  export_best(prefix);
}

void Daemon::on_fib_withdraw(const Prefix& prefix) {
  if (speaker_)
    speaker_->export_withdraw(prefix);
}

// The prefix's best route as the export policies see it. Host routes of our own addresses, the
// kernel's routes and BGP routes whose next hop does not resolve are not offered.
void Daemon::export_best(const Prefix& prefix) {
  if (!speaker_)
    return;
  const rib::Route* r = rib_->best(prefix);
  auto fib = rib_->fib(prefix);
  if (!r || !fib || r->proto == local_proto_ || r->proto == kernel_proto_ ||
      (fib->source == rib::Source::bgp && fib->action == rib::Action::kernel)) {
    speaker_->export_withdraw(prefix);
    return;
  }
  bgp::ExportRoute e;
  const auto& proto = rib_->protocol(r->proto);
  e.proto = proto.name;
  e.source = route_source(proto.source);
  if (proto.source == rib::Source::bgp) {
    e.attrs = std::static_pointer_cast<const bgp::PathAttributes>(r->attrs);
    e.from = bgp_peer(r->proto);
  }
  if (r->kind == rib::RouteKind::gateway && r->gateway)
    e.next_hop = bgp::RouteNextHop{r->gateway->address, std::nullopt};
  speaker_->export_update(prefix, std::move(e));
}

}  // namespace bpfr::daemon
