#include "control/format.h"

#include <fmt/format.h>

#include <ctime>

namespace bpfr::control {

namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

struct Split {
  std::tm tm;
  int ms;
};

Split split(Time t, bool utc) {
  auto ms_total = duration_cast<milliseconds>(t.time_since_epoch()).count();
  auto secs = std::time_t(ms_total / 1000);
  int ms = int(ms_total % 1000);
  if (ms < 0) {
    ms += 1000;
    secs -= 1;
  }
  Split s{};
  s.ms = ms;
  if (utc)
    gmtime_r(&secs, &s.tm);
  else
    localtime_r(&secs, &s.tm);
  return s;
}

std::string date(const std::tm& tm) {
  return fmt::format("{:04d}-{:02d}-{:02d}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

std::string clock(const Split& s) {
  return fmt::format("{:02d}:{:02d}:{:02d}.{:03d}", s.tm.tm_hour, s.tm.tm_min, s.tm.tm_sec, s.ms);
}

std::string join(const std::vector<std::string>& words, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < words.size(); i++) {
    if (i)
      out += sep;
    out += words[i];
  }
  return out;
}

std::string timer(const std::pair<double, uint32_t>& t) {
  return fmt::format("{:.3f}/{}", t.first, t.second);
}

std::string stat(const std::optional<uint64_t>& v) {
  return v ? std::to_string(*v) : "---";
}

void add_change_row(Reply& r, std::string_view label, const ChangeRow& row) {
  r.add(code::protocol_details,
        fmt::format("{:<25}{:>11}{:>11}{:>11}{:>11}{:>11}", label, stat(row.received),
                    stat(row.rejected), stat(row.filtered), stat(row.ignored), stat(row.accepted)));
}

void add_channel(Reply& r, const ChannelInfo& ch) {
  const int c = code::protocol_details;
  r.add(c, fmt::format("  Channel {}", ch.name));
  r.add(c, fmt::format("    State:          {}", ch.state));
  r.add(c, fmt::format("    Table:          {}", ch.table));
  r.add(c, fmt::format("    Preference:     {}", ch.preference));
  r.add(c, fmt::format("    Input filter:   {}", ch.input_filter));
  r.add(c, fmt::format("    Output filter:  {}", ch.output_filter));
  if (ch.state == "UP") {
    if (ch.filtered)
      r.add(c,
            fmt::format("    Routes:         {} imported, {} filtered, {} exported, {} preferred",
                        ch.imported, ch.filtered, ch.exported, ch.preferred));
    else
      r.add(c, fmt::format("    Routes:         {} imported, {} exported, {} preferred",
                           ch.imported, ch.exported, ch.preferred));
    r.add(c, fmt::format("{:<24}{:>12}{:>11}{:>11}{:>11}{:>11}", "    Route change stats:",
                         "received", "rejected", "filtered", "ignored", "accepted"));
    add_change_row(r, "      Import updates:", ch.import_updates);
    add_change_row(r, "      Import withdraws:", ch.import_withdraws);
    add_change_row(r, "      Export updates:", ch.export_updates);
    add_change_row(r, "      Export withdraws:", ch.export_withdraws);
  }
  if (ch.bgp_next_hop)
    r.add(c, fmt::format("    BGP Next hop:   {}", *ch.bgp_next_hop));
}

void add_bgp(Reply& r, const BgpDetails& b) {
  const int c = code::protocol_details;
  r.add(c, fmt::format("  BGP state:          {}", b.state));
  r.add(c, fmt::format("    Neighbor address: {}", b.neighbor));
  r.add(c, fmt::format("    Neighbor AS:      {}", b.neighbor_as));
  r.add(c, fmt::format("    Local AS:         {}", b.local_as));
  if (b.neighbor_id)
    r.add(c, fmt::format("    Neighbor ID:      {}", *b.neighbor_id));
  if (!b.local_capabilities.empty()) {
    r.add(c, "    Local capabilities");
    for (const auto& l : b.local_capabilities)
      r.add(c, "      " + l);
  }
  if (!b.neighbor_capabilities.empty()) {
    r.add(c, "    Neighbor capabilities");
    for (const auto& l : b.neighbor_capabilities)
      r.add(c, "      " + l);
  }
  if (b.session)
    r.add(c, fmt::format("    Session:          {}", *b.session));
  if (b.source_address)
    r.add(c, fmt::format("    Source address:   {}", *b.source_address));
  if (b.hold_timer)
    r.add(c, fmt::format("    Hold timer:       {}", timer(*b.hold_timer)));
  if (b.keepalive_timer)
    r.add(c, fmt::format("    Keepalive timer:  {}", timer(*b.keepalive_timer)));
  if (b.connect_delay)
    r.add(c, fmt::format("    Connect delay:    {}", timer(*b.connect_delay)));
  if (b.last_error)
    r.add(c, fmt::format("    Last error:       {}", *b.last_error));
}

std::string nexthop_line(const NextHop& nh, bool multipath) {
  std::string out = nh.gateway ? fmt::format("\tvia {} on {}", *nh.gateway, nh.iface)
                               : fmt::format("\tdev {}", nh.iface);
  if (multipath)
    out += fmt::format(" weight {}", nh.weight);
  return out;
}

nlohmann::json change_row_json(const ChangeRow& row) {
  auto v = [](const std::optional<uint64_t>& x) { return x ? nlohmann::json(*x) : nullptr; };
  return {{"received", v(row.received)},
          {"rejected", v(row.rejected)},
          {"filtered", v(row.filtered)},
          {"ignored", v(row.ignored)},
          {"accepted", v(row.accepted)}};
}

template <class T>
nlohmann::json opt(const std::optional<T>& v) {
  if (!v)
    return nullptr;
  if constexpr (std::is_same_v<T, Address>)
    return v->str();
  else
    return *v;
}

nlohmann::json timer_json(const std::optional<std::pair<double, uint32_t>>& t) {
  if (!t)
    return nullptr;
  return {{"remaining", t->first}, {"configured", t->second}};
}

}  // namespace

std::string short_time(Time t, Time now) {
  auto s = split(t, false);
  if (now - t > std::chrono::hours(20) || t - now > std::chrono::hours(20))
    return date(s.tm);
  return clock(s);
}

std::string long_time(Time t) {
  auto s = split(t, false);
  return date(s.tm) + " " + clock(s);
}

std::string iso_time(Time t) {
  auto s = split(t, true);
  return date(s.tm) + "T" + clock(s) + "Z";
}

std::string bgp_info(std::string_view state, std::string_view last_error) {
  return fmt::format("{:<14}{}", state, last_error);
}

Reply format_status(const StatusInfo& st) {
  Reply r;
  r.add(code::version, "BIRD " + st.version);
  r.add(code::uptime, fmt::format("Router ID is {}", st.router_id));
  r.add(code::uptime, fmt::format("Hostname is {}", st.hostname));
  r.add(code::uptime, fmt::format("Current server time is {}", long_time(st.now)));
  r.add(code::uptime, fmt::format("Last reboot on {}", long_time(st.boot)));
  r.add(code::uptime, fmt::format("Last reconfiguration on {}", long_time(st.reconfigured)));
  return r.finish(code::status_report, st.state);
}

Reply format_protocols(std::span<const ProtocolInfo> protocols, bool all, Time now) {
  Reply r;
  r.add(code::protocol_heading, fmt::format("{:<10} {:<10} {:<10} {:<6} {:<12}  {}", "Name",
                                            "Proto", "Table", "State", "Since", "Info"));
  for (const auto& p : protocols) {
    r.add(code::protocol_list, fmt::format("{:<10} {:<10} {:<10} {:<6} {:<12}  {}", p.name, p.proto,
                                           p.table, p.state, short_time(p.since, now), p.info));
    if (!all)
      continue;
    if (!p.description.empty())
      r.add(code::protocol_details, fmt::format("  Description:    {}", p.description));
    if (p.bgp)
      add_bgp(r, *p.bgp);
    for (const auto& ch : p.channels)
      add_channel(r, ch);
    r.add(code::protocol_details, "");
  }
  return r.finish(code::ok);
}

Reply format_routes(std::span<const RouteTable> tables, bool all, Time now) {
  Reply r;
  bool first_table = true;
  for (const auto& t : tables) {
    if (t.routes.empty())
      continue;
    if (!first_table)
      r.add(code::route_list, "");
    first_table = false;
    r.add(code::route_list, fmt::format("Table {}:", t.name));

    const Prefix* last_net = nullptr;
    for (const auto& rt : t.routes) {
      std::string net = last_net && *last_net == rt.net ? "" : rt.net.str();
      last_net = &rt.net;
      std::string from = rt.from ? fmt::format(" from {}", *rt.from) : "";
      std::string line =
          fmt::format("{:<20} {} [{} {}{}]{} ({})", net, rt.dest, rt.protocol,
                      short_time(rt.since, now), from, rt.primary ? " *" : "", rt.preference);
      if (!rt.info.empty())
        line += " " + rt.info;
      r.add(code::route_list, line);
      for (const auto& nh : rt.nexthops)
        r.add(code::route_list, nexthop_line(nh, rt.nexthops.size() > 1));
      if (!all)
        continue;
      r.add(code::route_details, "\tType: " + rt.type);
      for (const auto& [name, value] : rt.attributes)
        r.add(code::route_attributes, fmt::format("\t{}: {}", name, value));
    }
  }
  return r.finish(code::ok);
}

Reply format_route_counts(std::span<const RouteCount> counts) {
  Reply r;
  RouteCount total;
  for (const auto& c : counts) {
    r.add(code::route_list, fmt::format("{} of {} routes for {} networks in table {}", c.matched,
                                        c.routes, c.networks, c.table));
    total.matched += c.matched;
    total.routes += c.routes;
    total.networks += c.networks;
  }
  if (counts.size() < 2)
    return r.finish(code::ok);
  return r.finish(code::route_count,
                  fmt::format("Total: {} of {} routes for {} networks in {} tables", total.matched,
                              total.routes, total.networks, counts.size()));
}

Reply format_interfaces(std::span<const InterfaceInfo> interfaces) {
  Reply r;
  for (const auto& i : interfaces) {
    r.add(code::interface_list,
          fmt::format("{} {} (index={})", i.name, i.up ? "up" : "down", i.index));
    std::string flags = join(i.flags, " ");
    r.add(code::interface_flags,
          fmt::format("\t{}{}MTU={}", flags, flags.empty() ? "" : " ", i.mtu));
    for (const auto& a : i.addresses) {
      std::string f = join(a.flags, ", ");
      r.add(code::interface_address, fmt::format("\t{}/{} ({}{}scope {})", a.addr, a.len, f,
                                                 f.empty() ? "" : ", ", a.scope));
    }
  }
  return r.finish(code::ok);
}

Reply format_interfaces_summary(std::span<const InterfaceInfo> interfaces) {
  Reply r;
  r.add(code::interface_heading, fmt::format("{:<10} {:<6} {:<18} {}", "Interface", "State",
                                             "IPv4 address", "IPv6 address"));
  for (const auto& i : interfaces) {
    // The first preferred global address of each family.
    std::string v4, v6;
    for (const auto& a : i.addresses) {
      std::string& slot = a.addr.is_v4() ? v4 : v6;
      if (slot.empty() && a.scope != "link")
        slot = fmt::format("{}/{}", a.addr, a.len);
    }
    r.add(code::interface_summary,
          fmt::format("{:<10} {:<6} {:<18} {}", i.name, i.up ? "up" : "down", v4, v6));
  }
  return r.finish(code::ok);
}

nlohmann::json status_json(const StatusInfo& st) {
  return {{"version", st.version},
          {"router_id", st.router_id.str()},
          {"hostname", st.hostname},
          {"server_time", iso_time(st.now)},
          {"last_reboot", iso_time(st.boot)},
          {"last_reconfiguration", iso_time(st.reconfigured)},
          {"state", st.state}};
}

nlohmann::json protocols_json(std::span<const ProtocolInfo> protocols) {
  auto list = nlohmann::json::array();
  for (const auto& p : protocols) {
    nlohmann::json j = {{"name", p.name},
                        {"proto", p.proto},
                        {"table", p.table},
                        {"state", p.state},
                        {"since", iso_time(p.since)},
                        {"info", p.info},
                        {"description", p.description},
                        {"updates_received", p.updates_received},
                        {"withdraws_received", p.withdraws_received}};
    if (p.bgp) {
      const auto& b = *p.bgp;
      j["bgp"] = {{"state", b.state},
                  {"neighbor_address", b.neighbor.str()},
                  {"neighbor_as", b.neighbor_as},
                  {"local_as", b.local_as},
                  {"neighbor_id", opt(b.neighbor_id)},
                  {"session", opt(b.session)},
                  {"source_address", opt(b.source_address)},
                  {"hold_timer", timer_json(b.hold_timer)},
                  {"keepalive_timer", timer_json(b.keepalive_timer)},
                  {"connect_delay", timer_json(b.connect_delay)},
                  {"last_error", opt(b.last_error)}};
    }
    auto channels = nlohmann::json::array();
    for (const auto& ch : p.channels) {
      channels.push_back({{"name", ch.name},
                          {"state", ch.state},
                          {"table", ch.table},
                          {"preference", ch.preference},
                          {"input_filter", ch.input_filter},
                          {"output_filter", ch.output_filter},
                          {"routes",
                           {{"imported", ch.imported},
                            {"filtered", ch.filtered},
                            {"exported", ch.exported},
                            {"preferred", ch.preferred}}},
                          {"import_updates", change_row_json(ch.import_updates)},
                          {"import_withdraws", change_row_json(ch.import_withdraws)},
                          {"export_updates", change_row_json(ch.export_updates)},
                          {"export_withdraws", change_row_json(ch.export_withdraws)},
                          {"bgp_next_hop", opt(ch.bgp_next_hop)}});
    }
    j["channels"] = std::move(channels);
    list.push_back(std::move(j));
  }
  return {{"protocols", std::move(list)}};
}

nlohmann::json routes_json(std::span<const RouteTable> tables) {
  auto out = nlohmann::json::array();
  for (const auto& t : tables) {
    auto routes = nlohmann::json::array();
    for (const auto& rt : t.routes) {
      auto nhs = nlohmann::json::array();
      for (const auto& nh : rt.nexthops)
        nhs.push_back(
            {{"gateway", opt(nh.gateway)}, {"interface", nh.iface}, {"weight", nh.weight}});
      nlohmann::json attrs = nlohmann::json::object();
      for (const auto& [name, value] : rt.attributes)
        attrs[name] = value;
      routes.push_back({{"network", rt.net.str()},
                        {"dest", rt.dest},
                        {"protocol", rt.protocol},
                        {"since", iso_time(rt.since)},
                        {"from", opt(rt.from)},
                        {"primary", rt.primary},
                        {"preference", rt.preference},
                        {"info", rt.info},
                        {"nexthops", std::move(nhs)},
                        {"type", rt.type},
                        {"attributes", std::move(attrs)}});
    }
    out.push_back({{"table", t.name}, {"routes", std::move(routes)}});
  }
  return {{"tables", std::move(out)}};
}

nlohmann::json route_counts_json(std::span<const RouteCount> counts) {
  auto list = nlohmann::json::array();
  RouteCount total;
  for (const auto& c : counts) {
    list.push_back({{"table", c.table},
                    {"matched", c.matched},
                    {"routes", c.routes},
                    {"networks", c.networks}});
    total.matched += c.matched;
    total.routes += c.routes;
    total.networks += c.networks;
  }
  return {{"tables", std::move(list)},
          {"total",
           {{"matched", total.matched}, {"routes", total.routes}, {"networks", total.networks}}}};
}

nlohmann::json interfaces_json(std::span<const InterfaceInfo> interfaces) {
  auto list = nlohmann::json::array();
  for (const auto& i : interfaces) {
    auto addrs = nlohmann::json::array();
    for (const auto& a : i.addresses)
      addrs.push_back({{"address", a.addr.str()},
                       {"prefixlen", a.len},
                       {"flags", a.flags},
                       {"scope", a.scope}});
    list.push_back({{"name", i.name},
                    {"up", i.up},
                    {"index", i.index},
                    {"flags", i.flags},
                    {"mtu", i.mtu},
                    {"addresses", std::move(addrs)}});
  }
  return {{"interfaces", std::move(list)}};
}

Reply json_reply(const nlohmann::json& document) {
  Reply r;
  r.add(code::json, document.dump(1, ' ', false, nlohmann::json::error_handler_t::replace));
  return r.finish(code::ok);
}

}  // namespace bpfr::control
