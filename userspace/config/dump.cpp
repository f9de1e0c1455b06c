#include "config/dump.h"

#include <fmt/format.h>

#include "config/filter.h"

namespace bpfr::config {

namespace {

const char* on_off(bool b) { return b ? "on" : "off"; }

std::string classes(uint32_t c) {
  if (c == log_all)
    return "all";
  static const std::pair<uint32_t, const char*> names[] = {
      {log_debug, "debug"}, {log_trace, "trace"}, {log_info, "info"}, {log_remote, "remote"},
      {log_warning, "warning"}, {log_error, "error"}, {log_auth, "auth"}, {log_fatal, "fatal"},
      {log_bug, "bug"}};
  std::string out;
  for (auto& [bit, name] : names)
    if (c & bit)
      out += fmt::format("{}{}", out.empty() ? "" : ", ", name);
  return "{ " + out + " }";
}

std::string policy(const Policy& p) {
  switch (p.kind) {
    case Policy::Kind::all: return "all";
    case Policy::Kind::none: return "none";
    case Policy::Kind::filter: break;
  }
  if (!p.filter_name.empty())
    return "filter " + p.filter_name;
  if (p.text.rfind("where ", 0) == 0)
    return p.text;
  return "filter " + p.text;
}

std::string limit(const Limit& l) {
  static const char* actions[] = {"warn", "block", "restart", "disable"};
  return fmt::format("{} action {}", l.max, actions[size_t(l.action)]);
}

std::string patterns(const std::vector<InterfacePattern>& list) {
  std::string out;
  for (auto& p : list) {
    if (!out.empty())
      out += ", ";
    out += fmt::format("{}\"{}\"", p.negative ? "-" : "", p.glob);
    if (p.range)
      out += fmt::format(" {}", *p.range);
  }
  return out;
}

void common(std::string& out, const ProtocolCommon& p, bool bgp) {
  if (!p.description.empty())
    out += fmt::format("  description \"{}\";\n", p.description);
  if (p.disabled)
    out += "  disabled;\n";
  if (!p.vrf.empty())
    out += fmt::format("  vrf \"{}\";\n", p.vrf);
  for (auto& c : p.channels) {
    out += fmt::format("  {} {{\n", c.family == Family::v4 ? "ipv4" : "ipv6");
    out += fmt::format("    table {};\n", c.table);
    out += fmt::format("    import {};\n", policy(c.import_policy));
    out += fmt::format("    export {};\n", policy(c.export_policy));
    if (c.import_limit)
      out += fmt::format("    import limit {};\n", limit(*c.import_limit));
    if (c.receive_limit)
      out += fmt::format("    receive limit {};\n", limit(*c.receive_limit));
    if (c.export_limit)
      out += fmt::format("    export limit {};\n", limit(*c.export_limit));
    if (c.preference)
      out += fmt::format("    preference {};\n", c.preference);
    if (bgp) {
      out += fmt::format("    next hop self {};\n", on_off(c.next_hop_self));
      if (c.next_hop_keep)
        out += "    next hop keep;\n";
      if (c.next_hop_address)
        out += fmt::format("    next hop address {};\n", *c.next_hop_address);
      if (c.gateway_set)
        out += fmt::format("    gateway {};\n", c.gateway_recursive ? "recursive" : "direct");
      out += fmt::format("    import table {};\n", on_off(c.import_table));
      out += fmt::format("    extended next hop {};\n", on_off(c.extended_next_hop));
      if (c.add_paths_rx || c.add_paths_tx)
        out += fmt::format("    add paths {};\n", c.add_paths_rx && c.add_paths_tx ? "on"
                                                  : c.add_paths_rx           ? "rx"
                                                                             : "tx");
    }
    out += "  };\n";
  }
}

void static_route(std::string& out, const StaticRoute& r) {
  out += fmt::format("  route {}", r.prefix);
  switch (r.kind) {
    case StaticRoute::Kind::via:
      for (auto& nh : r.next_hops) {
        out += fmt::format(" via {}", nh.via);
        if (!nh.interface.empty())
          out += "%" + nh.interface;
        if (nh.onlink)
          out += " onlink";
        if (nh.weight != 1)
          out += fmt::format(" weight {}", nh.weight);
      }
      break;
    case StaticRoute::Kind::interface: out += fmt::format(" via \"{}\"", r.interface); break;
    case StaticRoute::Kind::blackhole: out += " blackhole"; break;
    case StaticRoute::Kind::unreachable: out += " unreachable"; break;
    case StaticRoute::Kind::prohibit: out += " prohibit"; break;
  }
  if (!r.attributes_text.empty())
    out += " " + r.attributes_text;
  out += ";\n";
}

void bgp(std::string& out, const BgpProtocol& p) {
  out += fmt::format("protocol bgp {} {{\n", p.name);
  common(out, p, true);
  out += p.local_address ? fmt::format("  local {} as {};\n", *p.local_address, p.local_as)
                         : fmt::format("  local as {};\n", p.local_as);
  out += fmt::format("  neighbor {}{}", *p.neighbor_address,
                     p.interface.empty() || !p.neighbor_address->is_link_local() ? ""
                                                                                 : "%" + p.interface);
  if (p.neighbor_port != 179)
    out += fmt::format(" port {}", p.neighbor_port);
  out += fmt::format(" as {};\n", p.neighbor_as);
  if (!p.interface.empty())
    out += fmt::format("  interface \"{}\";\n", p.interface);
  if (p.source_address)
    out += fmt::format("  source address {};\n", *p.source_address);
  out += p.multihop ? fmt::format("  multihop {};\n", *p.multihop) : "  direct;\n";
  if (!p.password.empty())
    out += fmt::format("  password \"{}\";\n", p.password);
  out += fmt::format("  passive {};\n", on_off(p.passive));
  out += fmt::format("  ttl security {};\n", on_off(p.ttl_security));
  out += fmt::format("  hold time {};\n", p.hold_time);
  out += fmt::format("  startup hold time {};\n", p.startup_hold_time);
  out += fmt::format("  keepalive time {};\n", p.keepalive_time);
  out += fmt::format("  connect retry time {};\n", p.connect_retry_time);
  out += fmt::format("  connect delay time {};\n", p.connect_delay_time);
  out += fmt::format("  error wait time {}, {};\n", p.error_wait_time_min, p.error_wait_time_max);
  static const char* gr[] = {"off", "aware", "on"};
  out += fmt::format("  graceful restart {};\n", gr[size_t(p.graceful_restart)]);
  out += fmt::format("  graceful restart time {};\n", p.graceful_restart_time);
  out += fmt::format("  rr client {};\n", on_off(p.rr_client));
  if (p.rr_cluster_id)
    out += fmt::format("  rr cluster id {};\n", *p.rr_cluster_id);
  out += fmt::format("  rs client {};\n", on_off(p.rs_client));
  out += fmt::format("  enable route refresh {};\n", on_off(p.enable_route_refresh));
  out += fmt::format("  enable as4 {};\n", on_off(p.enable_as4));
  out += fmt::format("  enable extended messages {};\n", on_off(p.enable_extended_messages));
  out += fmt::format("  capabilities {};\n", on_off(p.capabilities));
  out += fmt::format("  advertise ipv4 {};\n", on_off(p.advertise_ipv4));
  out += fmt::format("  interpret communities {};\n", on_off(p.interpret_communities));
  if (p.allow_local_as)
    out += fmt::format("  allow local as {};\n", p.allow_local_as_count);
  out += fmt::format("  allow bgp_local_pref {};\n", on_off(p.allow_local_pref));
  out += fmt::format("  deterministic med {};\n", on_off(p.deterministic_med));
  out += fmt::format("  igp metric {};\n", on_off(p.igp_metric));
  out += fmt::format("  prefer older {};\n", on_off(p.prefer_older));
  out += fmt::format("  med metric {};\n", on_off(p.med_metric));
  out += fmt::format("  check link {};\n", on_off(p.check_link));
  out += fmt::format("  default bgp_local_pref {};\n", p.default_local_pref);
  if (p.default_med)
    out += fmt::format("  default bgp_med {};\n", *p.default_med);
  out += "}\n\n";
}

void fast_path(std::string& out, const FastPathConfig& f) {
  using I = FastPathInterface;
  out += "bpfrouter {\n";
  out += fmt::format("  pin root \"{}\";\n", f.pin_root);
  for (auto& i : f.interfaces) {
    out += fmt::format("  interface \"{}\" {{", i.glob);
    if (i.role)
      out += fmt::format(" role {};", *i.role == I::Role::upstream ? "upstream" : "internal");
    if (i.kind) {
      static const char* kinds[] = {"ethernet", "l3", "dummy"};
      out += fmt::format(" kind {};", kinds[size_t(*i.kind)]);
    }
    if (i.mode) {
      static const char* modes[] = {"native", "generic", "off"};
      out += fmt::format(" mode {};", modes[size_t(*i.mode)]);
    }
    if (i.urpf) {
      static const char* urpf[] = {"off", "loose", "strict"};
      out += fmt::format(" urpf {};", urpf[size_t(*i.urpf)]);
    }
    out += " };\n";
  }
  auto& b = f.bogons;
  out += fmt::format(
      "  bogons {{ invalid {}; own {}; documentation {}; private {}; unallocated {}; }};\n",
      on_off(b.invalid), on_off(b.own), on_off(b.documentation), on_off(b.private_),
      on_off(b.unallocated));
  auto list = [&](const char* name, const std::vector<Prefix>& l) {
    out += fmt::format("  {} [ {} ];\n", name, fmt::join(l, ", "));
  };
  list("source drop", f.lists.source_drop);
  list("source allow", f.lists.source_allow);
  list("destination drop", f.lists.destination_drop);
  list("destination allow", f.lists.destination_allow);
  out += fmt::format("  no route {};\n", f.no_route == FastPathConfig::NoRoute::drop ? "drop" : "pass");
  out += fmt::format("  firewall respect {};\n", on_off(f.firewall_respect));
  if (!f.firewall_ignore.empty()) {
    std::vector<std::string> quoted;
    for (const auto& id : f.firewall_ignore)
      quoted.push_back(fmt::format("\"{}\"", id));
    out += fmt::format("  firewall ignore {};\n", fmt::join(quoted, ", "));
  }
  out += fmt::format("  stale after {};\n", f.stale_after);
  out += fmt::format("  leave running {};\n", on_off(f.leave_running));
  out += fmt::format("  fast lookup {};\n", on_off(f.fast_lookup));
  if (f.metrics)
    out += fmt::format("  metrics {{ address {}; port {}; label limit {}; }};\n",
                       f.metrics->address, f.metrics->port, f.metrics->label_limit);
  else
    out += "  metrics off;\n";
  out += fmt::format("  counters {{ max prefixes {}; min length v4 {}; min length v6 {}; }};\n",
                     f.counters.max_prefixes, f.counters.min_length_v4, f.counters.min_length_v6);
  out += "}\n";
}

}  // namespace

std::string dump(const Config& c) {
  std::string out;
  for (auto& l : c.log) {
    switch (l.kind) {
      case LogTarget::Kind::syslog:
        out += l.syslog_name.empty() ? "log syslog" : fmt::format("log syslog name \"{}\"", l.syslog_name);
        break;
      case LogTarget::Kind::stderr_: out += "log stderr"; break;
      case LogTarget::Kind::file:
        out += fmt::format("log \"{}\"", l.path);
        if (l.size_limit)
          out += fmt::format(" {} \"{}\"", l.size_limit, l.backup_path);
        break;
    }
    out += fmt::format(" {};\n", classes(l.classes));
  }
  if (c.router_id)
    out += fmt::format("router id {};\n", *c.router_id);
  out += "\n";
  for (auto& [name, f] : c.filters)
    out += fmt::format("filter {} {}\n\n", name, f->text);

  for (auto& p : c.device) {
    out += fmt::format("protocol device {} {{\n", p.name);
    common(out, p, false);
    out += fmt::format("  scan time {};\n", p.scan_time);
    if (!p.interfaces.empty())
      out += fmt::format("  interface {};\n", patterns(p.interfaces));
    out += "}\n\n";
  }
  for (auto& p : c.direct) {
    out += fmt::format("protocol direct {} {{\n", p.name);
    common(out, p, false);
    if (!p.interfaces.empty())
      out += fmt::format("  interface {};\n", patterns(p.interfaces));
    out += fmt::format("  check link {};\n", on_off(p.check_link));
    out += "}\n\n";
  }
  for (auto& p : c.kernel) {
    out += fmt::format("protocol kernel {} {{\n", p.name);
    common(out, p, false);
    out += fmt::format("  learn {};\n  persist {};\n  scan time {};\n  kernel table {};\n",
                       on_off(p.learn), on_off(p.persist), p.scan_time, p.kernel_table);
    out += fmt::format("  metric {};\n  merge paths {} limit {};\n  graceful restart {};\n",
                       p.metric, on_off(p.merge_paths), p.merge_paths_limit,
                       on_off(p.graceful_restart));
    out += "}\n\n";
  }
  for (auto& p : c.statics) {
    out += fmt::format("protocol static {} {{\n", p.name);
    common(out, p, false);
    out += fmt::format("  check link {};\n", on_off(p.check_link));
    for (auto& r : p.routes)
      static_route(out, r);
    out += "}\n\n";
  }
  for (auto& p : c.bgp)
    bgp(out, p);
  fast_path(out, c.fast_path);
  return out;
}

}  // namespace bpfr::config
