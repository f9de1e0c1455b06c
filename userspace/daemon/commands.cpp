// The show and protocol commands of the control socket: the daemon's values gathered into the
// control library's models, which print them as BIRD 2 does or as JSON.
#include <spdlog/spdlog.h>

#include "control/registry.h"
#include "control/route_query.h"
#include "control/show.h"
#include "daemon/daemon.h"

namespace bpfr::daemon {

namespace {

control::ProtocolInfo common_info(const config::ProtocolCommon& p, std::string proto,
                                  control::Time since) {
  control::ProtocolInfo info;
  info.name = p.name;
  info.proto = std::move(proto);
  info.state = p.disabled ? "down" : "up";
  info.since = since;
  return info;
}

std::string_view route_dest(rib::RouteKind k) {
  switch (k) {
    case rib::RouteKind::blackhole:
      return "blackhole";
    case rib::RouteKind::unreachable:
      return "unreachable";
    case rib::RouteKind::prohibit:
      return "prohibited";
    default:
      return "unicast";
  }
}

}  // namespace

std::vector<control::ProtocolInfo> Daemon::protocol_infos() const {
  std::vector<control::ProtocolInfo> out;
  for (const auto& p : config_.device)
    out.push_back(common_info(p, "Device", boot_));
  for (const auto& p : config_.direct)
    out.push_back(common_info(p, "Direct", boot_));
  for (const auto& p : config_.kernel)
    out.push_back(common_info(p, "Kernel", boot_));
  for (const auto& p : config_.statics)
    out.push_back(common_info(p, "Static", boot_));
  for (const auto& p : config_.bgp) {
    auto info = common_info(p, "BGP", boot_);
    const bgp::Session* s = speaker_ ? speaker_->find(p.name) : nullptr;
    control::BgpDetails d;
    d.neighbor = p.neighbor_address.value_or(Address{});
    d.neighbor_as = p.neighbor_as;
    d.local_as = p.local_as;
    if (s) {
      d.state = std::string(bgp::state_name(s->state()));
      bool up = s->state() == bgp::State::established;
      info.state = p.disabled ? "down" : up ? "up" : "start";
      if (!s->last_error().empty())
        d.last_error = s->last_error();
      info.info = control::bgp_info(d.state, s->last_error());
      info.updates_received = s->stats().updates_received;
      if (up && s->info().router_id)
        d.neighbor_id = Address::v4(s->info().router_id);
    } else {
      d.state = p.disabled ? "Down" : "Idle";
      info.info = control::bgp_info(d.state);
    }
    info.bgp = std::move(d);
    out.push_back(std::move(info));
  }
  return out;
}

std::vector<control::RouteTable> Daemon::route_tables() const {
  std::vector<control::RouteTable> tables{{"master4", {}}, {"master6", {}}};
  rib_->for_each([&](const rib::PrefixEntry& e) {
    auto& table = tables[e.prefix.family() == Family::v4 ? 0 : 1];
    auto add = [&](const rib::Route& r, bool primary) {
      if (r.proto == local_proto_)
        return;
      const auto& proto = rib_->protocol(r.proto);
      control::RouteInfo info;
      info.net = e.prefix;
      info.table = table.name;
      info.dest = std::string(route_dest(r.kind));
      info.protocol = proto.name;
      info.since = boot_;
      info.primary = primary;
      info.preference = proto.preference;
      if (r.kind == rib::RouteKind::gateway && r.gateway) {
        control::NextHop nh;
        nh.gateway = r.gateway->address;
        auto link = links_.find(r.gateway->ifindex);
        if (link != links_.end())
          nh.iface = link->second.name;
        info.nexthops.push_back(nh);
        if (proto.source == rib::Source::bgp)
          info.from = bgp_peer(r.proto) ? std::optional(bgp_peer(r.proto)->address) : std::nullopt;
      } else if (r.kind == rib::RouteKind::interface) {
        control::NextHop nh;
        auto link = links_.find(r.aux);
        if (link != links_.end())
          nh.iface = link->second.name;
        info.nexthops.push_back(nh);
      }
      table.routes.push_back(std::move(info));
    };
    if (e.best >= 0)
      add(e.routes[size_t(e.best)], true);
    for (size_t i = 0; i < e.routes.size(); ++i)
      if (int(i) != e.best)
        add(e.routes[i], false);
  });
  return tables;
}

std::vector<control::InterfaceInfo> Daemon::interface_infos() const {
  std::vector<control::InterfaceInfo> out;
  for (const auto& [ifindex, l] : links_) {
    control::InterfaceInfo info;
    info.name = l.name;
    info.index = ifindex;
    info.up = l.up();
    info.mtu = l.mtu;
    info.flags.push_back(l.up() ? "LinkUp" : "LinkDown");
    for (const auto& a : addresses_)
      if (a.ifindex == ifindex)
        info.addresses.push_back({a.address,
                                  a.network().len,
                                  {"Preferred"},
                                  a.address.is_link_local() ? "link" : "univ"});
    out.push_back(std::move(info));
  }
  return out;
}

std::vector<std::string> Daemon::protocol_names() const {
  std::vector<std::string> out;
  for (const auto& p : protocol_infos())
    out.push_back(p.name);
  return out;
}

// enable, disable, restart, reload: acted on for BGP sessions; other protocols have no session.
control::ActionResult Daemon::protocol_action(const std::string& verb, const std::string& name,
                                              const control::Command& cmd) {
  if (!speaker_ || !speaker_->find(name))
    return {control::Outcome::failed, "not a BGP session"};
  bool ok = false;
  if (verb == "enable")
    ok = speaker_->enable(name);
  else if (verb == "disable")
    ok = speaker_->disable(name);
  else if (verb == "restart")
    ok = speaker_->restart(name);
  else if (verb == "reload") {
    bool in = cmd.has("in"), out = cmd.has("out");
    ok = true;
    if (in || !out)
      ok = speaker_->reload_in(name) && ok;
    if (out || !in)
      ok = speaker_->reload_out(name) && ok;
  }
  spdlog::info("bgp {}: {} by operator", name, verb);
  return {ok ? control::Outcome::done : control::Outcome::already, {}};
}

void Daemon::register_show_commands() {
  registry_->on("show status", [this](const control::Command& cmd) {
    control::StatusInfo s;
    s.version = "bpfrouter";
    s.router_id = Address::v4(router_id());
    s.now = std::chrono::system_clock::now();
    s.boot = boot_;
    s.reconfigured = reconfigured_;
    return control::show_status(s, cmd);
  });
  registry_->on("show protocols", [this](const control::Command& cmd) {
    auto infos = protocol_infos();
    return control::show_protocols(infos, cmd, std::chrono::system_clock::now());
  });
  registry_->on("show route", [this](const control::Command& cmd) {
    auto q = control::route_query(cmd);
    if (auto* reply = std::get_if<control::Reply>(&q))
      return std::move(*reply);
    auto tables = route_tables();
    return control::show_route(tables, std::get<control::RouteQuery>(q),
                               std::chrono::system_clock::now());
  });
  registry_->on("show interfaces", [this](const control::Command& cmd) {
    auto infos = interface_infos();
    return control::show_interfaces(infos, cmd);
  });
  for (std::string verb : {"enable", "disable", "restart", "reload"}) {
    registry_->on(verb, [this, verb](const control::Command& cmd) {
      auto names = protocol_names();
      return control::protocol_command(
          cmd, names, [&](const std::string& name) { return protocol_action(verb, name, cmd); });
    });
  }
}

}  // namespace bpfr::daemon
