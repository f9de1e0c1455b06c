#include "daemon/daemon.h"

#include <fnmatch.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <stdexcept>

#include "config/filter.h"
#include "config/parser.h"
#include "control/registry.h"
#include "control/server.h"
#include "daemon/logging.h"
#include "daemon/notify.h"
#include "dataplane/firewall.h"
#include "dataplane/link_facts.h"

namespace bpfr::daemon {

namespace {

constexpr auto heartbeat_interval = std::chrono::seconds(1);
// Netlink requests (kernel export) waiting for the kernel before BGP sessions stop reading.
constexpr size_t max_netlink_backlog = 16384;

dp::SlotPolicy slot_policy(const config::FastPathConfig& f) {
  dp::SlotPolicy p;
  p.slots = f.counters.max_prefixes + 1;  // plus the aggregate slot
  p.min_length_v4 = f.counters.min_length_v4;
  p.min_length_v6 = f.counters.min_length_v6;
  return p;
}

uint64_t realtime_ns() {
  return uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count());
}

bool same_spec(const rib::RouteSpec& a, const rib::RouteSpec& b) {
  return a.kind == b.kind && a.gateway == b.gateway && a.ifindex == b.ifindex && a.own == b.own;
}

}  // namespace

Daemon::Daemon(asio::io_context& io, Options options, config::Config config)
    : io_(io), options_(std::move(options)), config_(std::move(config)), heartbeat_timer_(io) {
  const auto& fp = config_.fast_path;
  dp::DataplaneOptions dpo;
  dpo.pin_root = options_.pin_root.value_or(fp.pin_root);
  dpo.slots = fp.counters.max_prefixes + 1;
  dpo.fast_lookup_v4 = dpo.fast_lookup_v6 = fp.fast_lookup;
  dp::route_libbpf_logs();
  dataplane_ = dp::Dataplane::load(dpo);

  spdlog::info("dataplane: {} prefixes get counters of their own, {:.1f} MiB of per-CPU counters",
               fp.counters.max_prefixes,
               double(dpo.slots) * sizeof(bpfr_counter) * dataplane_->cpus() / (1 << 20));
  nexthops_ = std::make_unique<dp::NextHopTable>(dpo.max_nexthops);
  slots_ = std::make_unique<dp::SlotAllocator>(slot_policy(fp), realtime_ns);
  for (const auto& [slot, row] : dataplane_->slot_rows())
    slots_->adopt(slot, row);
  sync_ = std::make_unique<dp::FibSync>(*dataplane_, *nexthops_, *slots_);

  rib_ = std::make_unique<rib::Rib>();
  rib_->add_listener(sync_.get());
  rib_->add_listener(this);  // best routes offered to BGP export
  local_proto_ = rib_->add_protocol("local", rib::Source::direct);
  kernel_proto_ = rib_->add_protocol("kernel", rib::Source::kernel);
  for (const auto& d : config_.direct)
    protocol_id(d.name, rib::Source::direct);
  for (const auto& s : config_.statics)
    protocol_id(s.name, rib::Source::static_);

  registry_ = std::make_unique<control::Registry>();
  register_commands();
  control::ServerOptions so;
  so.path = options_.socket_path;
  std::filesystem::create_directories(std::filesystem::path(so.path).parent_path());
  server_ = std::make_unique<control::Server>(io_, *registry_, so);

  netlink_ = std::make_unique<netlink::Netlink>(io_, *this);
  add_kernel_exporters();

  if (fp.metrics) {
    stats::MetricsOptions mo;
    mo.address = fp.metrics->address;
    mo.port = fp.metrics->port;
    mo.label_limit = fp.metrics->label_limit;
    mo.pin_root = dataplane_->pin_root();
    metrics_ = std::make_unique<stats::MetricsServer>(mo);
    metrics_->start();
    spdlog::info("metrics: serving http://{}:{}/metrics", mo.address, metrics_->port());
  }
}

namespace {

filter::FilterRoute filter_route(const rib::FibEntry& e, const rib::Protocol& proto) {
  filter::FilterRoute r;
  r.net = e.prefix;
  r.proto = proto.name;
  r.preference = proto.preference;
  r.gw = e.gateway;
  switch (e.source) {
    case rib::Source::direct:
      r.source = filter::RouteSource::device;
      break;
    case rib::Source::static_:
      r.source = filter::RouteSource::static_;
      break;
    case rib::Source::bgp:
      r.source = filter::RouteSource::bgp;
      break;
    case rib::Source::kernel:
      r.source = filter::RouteSource::inherit;
      break;
  }
  switch (e.action) {
    case rib::Action::blackhole:
      r.dest = filter::RouteDest::blackhole;
      break;
    case rib::Action::unreachable:
      r.dest = filter::RouteDest::unreachable;
      break;
    case rib::Action::prohibit:
      r.dest = filter::RouteDest::prohibit;
      break;
    default:
      r.dest = filter::RouteDest::unicast;
      break;
  }
  return r;
}

}  // namespace

// `protocol kernel`: the chosen routes also go into the kernel's table, through the channel's
// export policy, so the kernel path agrees with the fast path.
void Daemon::add_kernel_exporters() {
  for (const auto& k : config_.kernel) {
    if (k.disabled)
      continue;
    rib::KernelExportOptions o;
    o.name = k.name;
    o.table = k.kernel_table;
    o.metric = k.metric;
    o.persist = k.persist;
    o.accept = [channels = k.channels, this](const rib::FibEntry& e, rib::KernelAttrs& attrs) {
      for (const auto& c : channels) {
        if (c.family != e.prefix.family())
          continue;
        switch (c.export_policy.kind) {
          case config::Policy::Kind::all:
            return true;
          case config::Policy::Kind::none:
            return false;
          case config::Policy::Kind::filter: {
            if (!c.export_policy.filter)
              return false;
            auto r = filter_route(e, rib_->protocol(e.proto));
            if (filter::run(*c.export_policy.filter, r) != filter::Verdict::accept)
              return false;
            attrs.prefsrc = r.krt_prefsrc;
            attrs.metric = r.krt_metric;
            return true;
          }
        }
      }
      return false;
    };
    if (k.merge_paths)
      spdlog::warn("kernel {}: merge paths: multipath routes are not supported yet, each route "
                   "goes to the kernel with one next hop",
                   k.name);
    exporters_.push_back(std::make_unique<rib::KernelExporter>(
        rib::netlink_writer(*netlink_, k.name), std::move(o)));
    rib_->add_listener(exporters_.back().get());
  }
}

Daemon::~Daemon() = default;

void Daemon::start() {
  std::string error;
  if (!netlink_->start(&error))
    throw std::runtime_error("netlink: " + error);
  spdlog::info("bpfrouterd: started, reading the kernel's links, addresses and neighbours");
}

rib::ProtoId Daemon::protocol_id(const std::string& name, rib::Source source) {
  auto it = protocols_.find(name);
  if (it != protocols_.end())
    return it->second;
  rib::ProtoId id = rib_->add_protocol(name, source);
  protocols_.emplace(name, id);
  return id;
}

uint32_t Daemon::ifindex_of(const std::string& name) const {
  for (const auto& [ifindex, l] : links_)
    if (l.name == name)
      return ifindex;
  return 0;
}

// ---- static and connected routes ----

std::optional<rib::RouteSpec> Daemon::static_spec(const config::StaticRoute& r) const {
  rib::RouteSpec s;
  using K = config::StaticRoute::Kind;
  switch (r.kind) {
    case K::via: {
      if (r.next_hops.empty())
        return std::nullopt;
      const auto& nh = r.next_hops.front();
      s.kind = rib::RouteKind::gateway;
      s.gateway = nh.via;
      if (!nh.interface.empty()) {
        s.ifindex = ifindex_of(nh.interface);
        if (s.ifindex == 0)
          return std::nullopt;
      }
      return s;
    }
    case K::interface:
      s.kind = rib::RouteKind::interface;
      s.ifindex = ifindex_of(r.interface);
      if (s.ifindex == 0)
        return std::nullopt;
      return s;
    case K::blackhole:
      s.kind = rib::RouteKind::blackhole;
      return s;
    case K::unreachable:
      s.kind = rib::RouteKind::unreachable;
      return s;
    case K::prohibit:
      s.kind = rib::RouteKind::prohibit;
      return s;
  }
  return std::nullopt;
}

// Brings the RIB's static routes in line with the configuration; routes through devices that
// do not exist yet wait for them.
void Daemon::apply_statics() {
  std::map<StaticKey, rib::RouteSpec> want;
  for (const auto& proto : config_.statics) {
    if (proto.disabled)
      continue;
    rib::ProtoId id = protocol_id(proto.name, rib::Source::static_);
    for (const auto& r : proto.routes) {
      if (r.next_hops.size() > 1)
        spdlog::warn("static {}: route {}: multipath is not supported yet, first next hop used",
                     proto.name, r.prefix);
      if (auto spec = static_spec(r))
        want[{id, r.prefix}] = *spec;
    }
  }

  for (const auto& [key, spec] : statics_)
    if (!want.count(key))
      rib_->withdraw(key.prefix, key.proto);
  for (const auto& [key, spec] : want) {
    auto old = statics_.find(key);
    if (old == statics_.end() || !same_spec(old->second, spec))
      rib_->update(key.prefix, key.proto, spec);
  }
  statics_ = std::move(want);
  after_change();
}

bool Daemon::direct_covers(const config::DirectProtocol& d, const std::string& ifname,
                           const Prefix& network) const {
  if (d.disabled || !d.channel(network.family()))
    return false;
  if (d.interfaces.empty())
    return true;
  for (const auto& pat : d.interfaces) {
    if (fnmatch(pat.glob.c_str(), ifname.c_str(), 0) != 0)
      continue;
    if (pat.range && !pat.range->contains(network))
      continue;
    return !pat.negative;
  }
  return false;
}

// An interface address: its network for resolving gateways, and a local route so the fast path
// hands our own traffic to the kernel.
void Daemon::apply_connected(const netlink::InterfaceAddress& addr, bool added) {
  Prefix network = addr.network();
  Prefix host = Prefix::make(addr.address, addr.address.bits());
  bool link_local = addr.address.is_link_local();

  if (added) {
    rib_->add_connected(network, addr.ifindex);
    if (!link_local) {
      rib::RouteSpec s;
      s.kind = rib::RouteKind::local;
      rib_->update(host, local_proto_, s);
    }
  } else {
    rib_->remove_connected(network, addr.ifindex);
    bool same_host = false;
    for (const auto& a : addresses_)
      same_host = same_host || (!(a == addr) && a.address == addr.address);
    if (!same_host && !link_local)
      rib_->withdraw(host, local_proto_);
  }
  refresh_direct();
}

// Direct routes: the connected networks `protocol direct` asks for, on-link out of their device.
void Daemon::refresh_direct() {
  std::set<DirectKey> want;
  for (const auto& a : addresses_) {
    Prefix network = a.network();
    auto link = links_.find(a.ifindex);
    if (a.address.is_link_local() || link == links_.end())
      continue;
    for (const auto& d : config_.direct)
      if (direct_covers(d, link->second.name, network))
        want.insert({protocol_id(d.name, rib::Source::direct), network, a.ifindex});
  }
  for (const auto& k : direct_)
    if (!want.count(k))
      rib_->withdraw(std::get<1>(k), std::get<0>(k));
  for (const auto& k : want) {
    if (direct_.count(k))
      continue;
    rib::RouteSpec s;
    s.kind = rib::RouteKind::interface;
    s.ifindex = std::get<2>(k);
    rib_->update(std::get<1>(k), std::get<0>(k), s);
  }
  direct_ = std::move(want);
  after_change();
}

// ---- netlink ----

void Daemon::on_link(netlink::Change change, const netlink::Link& link) {
  if (change == netlink::Change::removed) {
    links_.erase(link.ifindex);
    sync_->on_link_removed(link.ifindex);
    if (attached_.count(link.ifindex)) {
      spdlog::info("dataplane {}: device removed, its attachment is gone", link.name);
      dataplane_->detach(link.ifindex);
      dataplane_->remove_iface(link.ifindex);
      dataplane_->remove_tx_port(link.ifindex);
      attached_.erase(link.ifindex);
    }
  } else {
    auto old = links_.find(link.ifindex);
    bool renamed = old == links_.end() || old->second.name != link.name;
    links_[link.ifindex] = link;
    // dataplane (issue 3): the bpfrouter block's `kind` overrides what the device says.
    sync_->on_link(dp::link_facts(link, config_.fast_path.interface(link.name)));
    if (renamed && synced_) {
      apply_statics();
      refresh_direct();
    }
  }
  after_change();
}

void Daemon::on_address(netlink::Change change, const netlink::InterfaceAddress& addr) {
  if (change == netlink::Change::added) {
    if (std::find(addresses_.begin(), addresses_.end(), addr) != addresses_.end())
      return;
    addresses_.push_back(addr);
    apply_connected(addr, true);
  } else {
    auto it = std::find(addresses_.begin(), addresses_.end(), addr);
    if (it == addresses_.end())
      return;
    addresses_.erase(it);
    apply_connected(addr, false);
  }
}

void Daemon::on_neighbour(netlink::Change change, const netlink::Neighbour& n) {
  std::optional<dp::Mac> mac;
  if (change == netlink::Change::added && n.usable())
    mac = n.mac;
  else if (change == netlink::Change::added && !n.failed())
    return;  // still resolving: keep what we had
  sync_->on_neighbour(n.ifindex, n.address, mac);
  after_change();
}

void Daemon::on_route(netlink::Change change, const netlink::KernelRoute& route) {
  for (auto& e : exporters_)
    e->on_kernel_route(change, route);
  learn_kernel_route(change, route);
}

void Daemon::on_synced() {
  if (synced_) {
    schedule_replan();
    return;
  }
  synced_ = true;
  apply_statics();
  start_bgp();
  for (auto& e : exporters_)
    e->prune();

  // Entries a previous run left in the pinned maps that this one does not have.
  size_t swept = dataplane_->sweep_routes([this](const Prefix& p) { return sync_->find(p); });
  if (swept)
    spdlog::info("dataplane: {} routes of a previous run removed", swept);

  const auto& fp = config_.fast_path;
  // dataplane (issue 3): what forward or NAT rules concern stays on the kernel path.
  auto firewall = dp::firewall_kernel_path({fp.firewall_respect, fp.firewall_ignore});
  if (!dataplane_->write_settings(firewall.fast_path,
                                  fp.no_route == config::FastPathConfig::NoRoute::drop,
                                  fp.stale_after))
    spdlog::error("dataplane: cannot write settings, the fast path stays disabled");
  dataplane_->configure_filters(config_, firewall);  // dataplane (issue 3): prefix filters
  replan();
  heartbeat();
  spdlog::info("bpfrouterd: ready, {} routes in the fast path", sync_->routes().size());
  notify::ready(fmt::format("{} routes in the fast path", sync_->routes().size()));
}

// Gateways whose MAC the kernel should find, and a new attachment plan if devices matter.
void Daemon::after_change() {
  for (const auto& key : sync_->take_resolve_requests())
    netlink_->resolve_neighbour(key.ifindex, key.gateway);
  if (synced_)
    schedule_replan();
}

// ---- attachments ----

// The devices through which BGP neighbours and static next hops are reached, following gateways
// through the kernel's routes as far as a multihop neighbour needs.
std::set<uint32_t> Daemon::next_hop_devices() const {
  auto routes = path_routes();
  std::set<uint32_t> out;
  for (const auto& [address, given_ifindex] : next_hop_addresses())
    if (uint32_t ifindex = given_ifindex ? given_ifindex : dp::egress_device(address, routes))
      out.insert(ifindex);
  return out;
}

std::set<uint32_t> Daemon::route_devices() const {
  std::set<uint32_t> out;
  for (const auto& [ifindex, count] : sync_->devices())
    if (count > 0)
      out.insert(ifindex);
  return out;
}

void Daemon::schedule_replan() {
  if (replan_pending_ || stopped_)
    return;
  replan_pending_ = true;
  asio::post(io_, [this] {
    replan_pending_ = false;
    if (!stopped_)
      replan();
  });
}

void Daemon::replan() {
  sync_kernel_routes();
  std::vector<dp::Device> devices;
  for (const auto& [ifindex, l] : links_) {
    dp::Device d{ifindex, l.name};
    d.up = l.up();
    d.loopback = l.loopback();
    d.l3 = l.l3();
    d.dummy = l.kind == netlink::LinkKind::dummy;
    d.bridge = l.kind == netlink::LinkKind::bridge;
    d.bridge_port = l.master != 0;
    devices.push_back(d);
  }
  const auto& fp = config_.fast_path;
  auto plan = dp::plan_attachments(
      devices, [&fp](const std::string& n) { return fp.interface(n); }, next_hop_devices(),
      route_devices());

  std::map<uint32_t, dp::Attach> want;
  for (auto& a : plan)
    want.emplace(a.ifindex, a);

  for (auto it = attached_.begin(); it != attached_.end();) {
    auto w = want.find(it->first);
    if (w != want.end() && w->second == it->second) {
      ++it;
      continue;
    }
    spdlog::info("dataplane {}: detached, no longer chosen", it->second.name);
    dataplane_->detach(it->first);
    dataplane_->remove_iface(it->first);
    dataplane_->remove_tx_port(it->first);
    it = attached_.erase(it);
  }

  for (const auto& [ifindex, a] : want) {
    if (attached_.count(ifindex))
      continue;
    if (!dataplane_->set_iface(ifindex, a.settings)) {
      spdlog::error("dataplane {}: no room in the interface table, not attached", a.name);
      continue;
    }
    if (a.hook == dp::Attach::Hook::tc_l3) {
      auto r = dataplane_->attach_tc(ifindex, a.name, true);
      if (!r.ok) {
        spdlog::error("dataplane {}: tc attach failed: {}, its traffic stays on the kernel path",
                      a.name, r.error);
        dataplane_->remove_iface(ifindex);
        continue;
      }
      spdlog::info("dataplane {}: tc attached{} ({})", a.name, r.adopted ? ", adopted" : "", a.why);
      attached_.emplace(ifindex, a);
      continue;
    }

    auto r = dataplane_->attach_xdp(ifindex, a.name, a.mode);
    if (!r.ok) {
      spdlog::error("dataplane {}: XDP attach failed: {}, its traffic stays on the kernel path",
                    a.name, r.error);
      dataplane_->remove_iface(ifindex);
      continue;
    }
    if (!r.fallback_reason.empty())
      spdlog::warn("dataplane {}: native XDP refused: {}; attached in generic mode, slower", a.name,
                   r.fallback_reason);
    else
      spdlog::info("dataplane {}: XDP attached ({}{}) ({})", a.name,
                   r.mode == dp::XdpMode::native ? "native" : "generic",
                   r.adopted ? ", adopted" : "", a.why);
    if (!dataplane_->set_tx_port(ifindex))
      spdlog::error("dataplane {}: cannot add to tx_ports, XDP cannot send out of it", a.name);
    // The hand-off from XDP to L3 next hops runs in tc on the arrival device.
    auto tc = dataplane_->attach_tc(ifindex, a.name, false);
    if (!tc.ok)
      spdlog::debug("dataplane {}: tc hand-off not attached: {}", a.name, tc.error);
    attached_.emplace(ifindex, a);
  }
}

bool Daemon::ready() const {
  return !netlink_ || netlink_->backlog() < max_netlink_backlog;
}

void Daemon::heartbeat() {
  if (stopped_)
    return;
  if (!dataplane_->heartbeat())
    spdlog::warn("dataplane: heartbeat write failed, learned routes may be distrusted");
  if (metrics_)
    metrics_->publish(protocol_infos());
  heartbeat_timer_.expires_after(heartbeat_interval);
  heartbeat_timer_.async_wait([this](const asio::error_code& ec) {
    if (!ec)
      heartbeat();
  });
}

// ---- reload and stop ----

bool Daemon::reload(std::string* error) {
  notify::reloading();
  config::Config next;
  try {
    next = config::parse_config_file(options_.config_path);
  } catch (const std::exception& e) {
    *error = e.what();
    spdlog::error("bpfrouterd: reconfiguration failed, old configuration kept: {}", e.what());
    notify::ready("reconfiguration failed, old configuration kept");
    return false;
  }
  auto d = config::diff(config_, next);
  if (d.log_changed)
    setup_logging(next.log, false);
  if (next.kernel != config_.kernel)
    spdlog::warn("bpfrouterd: protocol kernel changes take effect after a restart");
  if (next.fast_path.pin_root != config_.fast_path.pin_root && !options_.pin_root)
    spdlog::warn("bpfrouterd: pin root change needs a restart, still using {}",
                 dataplane_->pin_root());
  if (next.fast_path.fast_lookup != config_.fast_path.fast_lookup)
    spdlog::warn("bpfrouterd: fast lookup {} takes effect after a restart",
                 next.fast_path.fast_lookup ? "on" : "off");

  config_ = std::move(next);
  reconfigure_bgp(d);
  apply_statics();
  refresh_direct();

  const auto& fp = config_.fast_path;
  // dataplane (issue 3): what forward or NAT rules concern stays on the kernel path.
  auto firewall = dp::firewall_kernel_path({fp.firewall_respect, fp.firewall_ignore});
  dataplane_->write_settings(firewall.fast_path,
                             fp.no_route == config::FastPathConfig::NoRoute::drop,
                             fp.stale_after);
  // dataplane (issue 3): prefix filters, no reattach
  dataplane_->configure_filters(config_, firewall);
  replan();
  reconfigured_ = std::chrono::system_clock::now();
  spdlog::info("bpfrouterd: reconfigured from {}", options_.config_path);
  notify::ready("reconfigured from " + options_.config_path);
  return true;
}

void Daemon::stop(const std::string& why) {
  if (stopped_)
    return;
  stopped_ = true;
  notify::stopping();
  heartbeat_timer_.cancel();
  if (metrics_)
    metrics_->stop();
  if (server_)
    server_->close();
  if (speaker_)
    speaker_->stop_all(options_.shutdown_message);
  for (auto& e : exporters_)
    e->shutdown();
  if (config_.fast_path.leave_running) {
    dataplane_->leave_running();
    spdlog::info("bpfrouterd: stopping ({}), fast path left running", why);
  } else {
    dataplane_->detach_all();
    spdlog::info("bpfrouterd: stopping ({}), fast path detached", why);
  }
  if (exporters_.empty() && !speaker_) {
    io_.stop();
    return;
  }
  // Give netlink a moment to send the kernel route removals, BGP its NOTIFICATIONs.
  heartbeat_timer_.expires_after(std::chrono::milliseconds(300));
  heartbeat_timer_.async_wait([this](const asio::error_code&) { io_.stop(); });
}

void Daemon::register_commands() {
  registry_->on("configure", [this](const control::Command& cmd) {
    if (cmd.has("check")) {
      try {
        config::parse_config_file(options_.config_path);
      } catch (const std::exception& e) {
        return control::Reply::error(control::code::config_error, e.what());
      }
      return control::Reply::done(control::code::config_ok, "Configuration OK");
    }
    std::string error;
    if (!reload(&error))
      return control::Reply::error(control::code::config_error, error);
    return control::Reply::done(control::code::reconfigured, "Reconfigured");
  });
  registry_->on("down", [this](const control::Command&) {
    asio::post(io_, [this] { stop("down command"); });
    return control::Reply::done(control::code::shutdown_ordered, "Shutdown requested");
  });
  register_show_commands();
}

}  // namespace bpfr::daemon
