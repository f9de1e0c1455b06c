#include "stats/report.h"

#include <fmt/format.h>
#include <net/if.h>

#include <algorithm>
#include <ctime>

namespace bpfr::stats {

namespace {

std::optional<Rate> rate(uint64_t p0, uint64_t b0, uint64_t p1, uint64_t b1, double seconds) {
  if (seconds <= 0 || p1 < p0 || b1 < b0)
    return std::nullopt;
  return Rate{double(p1 - p0) / seconds, double(b1 - b0) * 8 / seconds};
}

std::string default_ifname(uint32_t ifindex) {
  char buf[IF_NAMESIZE] = {};
  return if_indextoname(ifindex, buf) ? std::string(buf) : std::string();
}

std::string state_name(const SlotCounter& c) {
  if (c.slot == BPFR_SLOT_AGGREGATE)
    return "aggregate";
  return c.state == BPFR_SLOT_WITHDRAWN ? "withdrawn" : "live";
}

std::string rate_text(const std::optional<Rate>& r, bool bits) {
  if (!r)
    return "-";
  return si(bits ? r->bps : r->pps);
}

std::string utc(uint64_t realtime_ns) {
  std::time_t t = std::time_t(realtime_ns / 1000000000u);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04d}-{:02d}-{:02d} {:02d}:{:02d}:{:02d} UTC", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string iso(uint64_t realtime_ns) {
  std::time_t t = std::time_t(realtime_ns / 1000000000u);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:03d}Z", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     int(realtime_ns / 1000000u % 1000));
}

nlohmann::json rate_json(const std::optional<Rate>& r, bool bits) {
  if (!r)
    return nullptr;
  return bits ? r->bps : r->pps;
}

std::string list_name(ListKind k) {
  return k == ListKind::source ? "source" : "destination";
}
std::string list_action(uint8_t a) {
  if (a == BPFR_LIST_KERNEL)
    return "kernel";  // a firewall rule keeps it on the kernel path
  return a == BPFR_LIST_ALLOW ? "allow" : "drop";
}

std::string role_name(uint8_t role) {
  return role == BPFR_ROLE_UPSTREAM ? "upstream" : "internal";
}

template <class... Args>
void line(std::string& out, fmt::format_string<Args...> f, Args&&... args) {
  fmt::format_to(std::back_inserter(out), f, std::forward<Args>(args)...);
  out += '\n';
}

std::string mib(uint64_t bytes) {
  return fmt::format("{:.1f} MiB", double(bytes) / (1 << 20));
}

}  // namespace

std::string si(double v) {
  static constexpr const char* units[] = {"", "k", "M", "G", "T", "P"};
  size_t u = 0;
  while (v >= 1000 && u + 1 < std::size(units)) {
    v /= 1000;
    u++;
  }
  return u ? fmt::format("{:.2f}{}", v, units[u]) : fmt::format("{:.1f}", v);
}

Report make_report(const Snapshot* before, const Snapshot& now, const ReportOptions& o) {
  Report r;
  double secs = before ? double(now.mono_ns - before->mono_ns) / 1e9 : 0;
  r.interval_s = secs;
  r.realtime_ns = now.realtime_ns;
  r.slot_capacity = now.slot_capacity;
  r.counter_bytes = now.counter_bytes;
  r.cpus = now.cpus;

  // Prefixes: a slot's rate needs the same prefix (generation) at both ends.
  for (const auto& c : now.slots) {
    if (c.slot != BPFR_SLOT_AGGREGATE)
      r.slots_in_use++;
    if (o.prefix &&
        (!c.prefix || !(o.prefix->contains(*c.prefix) || c.prefix->contains(*o.prefix))))
      continue;
    PrefixRow row{c, std::nullopt};
    if (before) {
      auto it = std::lower_bound(before->slots.begin(), before->slots.end(), c.slot,
                                 [](const SlotCounter& s, uint32_t slot) { return s.slot < slot; });
      if (it != before->slots.end() && it->slot == c.slot && it->generation == c.generation)
        row.rate = rate(it->packets, it->bytes, c.packets, c.bytes, secs);
    }
    r.prefixes.push_back(row);
  }
  std::stable_sort(r.prefixes.begin(), r.prefixes.end(), [](const auto& a, const auto& b) {
    double ra = a.rate ? a.rate->bps : -1, rb = b.rate ? b.rate->bps : -1;
    if (ra != rb)
      return ra > rb;
    return a.counter.bytes > b.counter.bytes;
  });
  r.prefixes_matched = r.prefixes.size();
  if (o.top && r.prefixes.size() > o.top)
    r.prefixes.resize(o.top);

  // Reasons, and actions as their sums.
  for (auto a : {Action::forward, Action::pass, Action::drop})
    r.actions.push_back({std::string(action_name(a))});
  std::array<bpfr_counter, 3> action_before{};
  for (uint32_t i = 0; i < BPFR_REASON_MAX; i++) {
    const auto& c = now.reasons[i];
    auto name = reason_name(i);
    auto& total = r.actions[size_t(reason_action(i))];
    total.packets += c.packets;
    total.bytes += c.bytes;
    if (before) {
      action_before[size_t(reason_action(i))].packets += before->reasons[i].packets;
      action_before[size_t(reason_action(i))].bytes += before->reasons[i].bytes;
    }
    if (!name && c.packets == 0)
      continue;
    TotalRow row{name ? std::string(*name) : fmt::format("reason_{}", i), int(i), c.packets,
                 c.bytes};
    if (before)
      row.rate =
          rate(before->reasons[i].packets, before->reasons[i].bytes, c.packets, c.bytes, secs);
    r.reasons.push_back(row);
  }
  if (before)
    for (size_t a = 0; a < 3; a++)
      r.actions[a].rate = rate(action_before[a].packets, action_before[a].bytes,
                               r.actions[a].packets, r.actions[a].bytes, secs);

  auto ifname = o.ifname ? o.ifname : default_ifname;
  for (const auto& c : now.ifaces) {
    IfaceRow row{c, ifname(c.ifindex)};
    if (before) {
      for (const auto& b : before->ifaces) {
        if (b.ifindex != c.ifindex || b.row != c.row)
          continue;
        row.rx = rate(b.sum.rx_packets, b.sum.rx_bytes, c.sum.rx_packets, c.sum.rx_bytes, secs);
        row.tx = rate(b.sum.tx_packets, b.sum.tx_bytes, c.sum.tx_packets, c.sum.tx_bytes, secs);
      }
    }
    r.ifaces.push_back(row);
  }

  for (const auto& c : now.lists) {
    ListRow row{c, std::nullopt};
    if (before)
      for (const auto& b : before->lists)
        if (b.id == c.id && b.prefix == c.prefix)
          row.rate = rate(b.packets, b.bytes, c.packets, c.bytes, secs);
    r.lists.push_back(row);
  }
  return r;
}

std::string format_text(const Report& r) {
  std::string out;

  if (r.interval_s > 0)
    line(out, "bpfrouter stats at {}, rates over {:.2f} s", utc(r.realtime_ns), r.interval_s);
  else
    line(out, "bpfrouter stats at {}, counters only", utc(r.realtime_ns));
  line(out, "Counter slots: {} of {} in use, {} of per-CPU route counters on {} CPUs",
       r.slots_in_use, r.slot_capacity, mib(r.counter_bytes), r.cpus);
  out += "\n";

  line(out, "{:<43} {:<9} {:>14} {:>16} {:>10} {:>10}", "PREFIX", "STATE", "PACKETS", "BYTES",
       "PKT/S", "BIT/S");
  for (const auto& p : r.prefixes) {
    const auto& c = p.counter;
    std::string name = c.prefix ? c.prefix->str() : "(routes without a slot)";
    line(out, "{:<43} {:<9} {:>14} {:>16} {:>10} {:>10}", name, state_name(c), c.packets, c.bytes,
         rate_text(p.rate, false), rate_text(p.rate, true));
  }
  if (r.prefixes.size() < r.prefixes_matched)
    line(out, "({} of {} prefixes shown)", r.prefixes.size(), r.prefixes_matched);
  out += "\n";

  line(out, "{:<20} {:>14} {:>16} {:>10} {:>10}", "ACTION", "PACKETS", "BYTES", "PKT/S", "BIT/S");
  for (const auto& a : r.actions)
    line(out, "{:<20} {:>14} {:>16} {:>10} {:>10}", a.name, a.packets, a.bytes,
         rate_text(a.rate, false), rate_text(a.rate, true));
  out += "\n";

  line(out, "{:<20} {:>14} {:>16} {:>10} {:>10}", "REASON", "PACKETS", "BYTES", "PKT/S", "BIT/S");
  size_t shown = 0;
  for (const auto& a : r.reasons) {
    if (a.packets == 0)
      continue;
    shown++;
    line(out, "{:<20} {:>14} {:>16} {:>10} {:>10}", a.name, a.packets, a.bytes,
         rate_text(a.rate, false), rate_text(a.rate, true));
  }
  if (!shown)
    line(out, "(no packets counted)");

  if (!r.ifaces.empty()) {
    out += "\n";
    line(out, "{:<24} {:<8} {:>12} {:>14} {:>12} {:>14} {:>10} {:>10} {:>10} {:>10}", "INTERFACE",
         "ROLE", "RX PACKETS", "RX BYTES", "TX PACKETS", "TX BYTES", "PASS", "DROP", "RX BIT/S",
         "TX BIT/S");
    for (const auto& i : r.ifaces) {
      std::string name = i.name.empty() ? fmt::format("ifindex {}", i.counter.ifindex)
                                        : fmt::format("{} ({})", i.name, i.counter.ifindex);
      const auto& s = i.counter.sum;
      line(out, "{:<24} {:<8} {:>12} {:>14} {:>12} {:>14} {:>10} {:>10} {:>10} {:>10}", name,
           role_name(i.counter.role), s.rx_packets, s.rx_bytes, s.tx_packets, s.tx_bytes,
           s.pass_packets, s.drop_packets, rate_text(i.rx, true), rate_text(i.tx, true));
    }
  }

  if (!r.lists.empty()) {
    out += "\n";
    line(out, "{:<12} {:<43} {:<6} {:>14} {:>16} {:>10}", "FILTER LIST", "ENTRY", "ACTION",
         "PACKETS", "BYTES", "PKT/S");
    for (const auto& l : r.lists)
      line(out, "{:<12} {:<43} {:<6} {:>14} {:>16} {:>10}", list_name(l.counter.list),
           l.counter.prefix.str(), list_action(l.counter.action), l.counter.packets,
           l.counter.bytes, rate_text(l.rate, false));
  }
  return out;
}

nlohmann::json to_json(const Report& r, const std::string& pin_root) {
  nlohmann::json j;
  j["schema"] = "bpfrouter-stats/1";
  j["time"] = iso(r.realtime_ns);
  j["interval_s"] = r.interval_s;
  j["pin_root"] = pin_root;
  j["slots"] = {{"capacity", r.slot_capacity},
                {"in_use", r.slots_in_use},
                {"counter_bytes", r.counter_bytes},
                {"cpus", r.cpus}};

  auto prefixes = nlohmann::json::array();
  for (const auto& p : r.prefixes) {
    const auto& c = p.counter;
    prefixes.push_back({{"slot", c.slot},
                        {"prefix", c.prefix ? nlohmann::json(c.prefix->str()) : nullptr},
                        {"state", state_name(c)},
                        {"generation", c.generation},
                        {"since", c.since_ns ? nlohmann::json(iso(c.since_ns)) : nullptr},
                        {"packets", c.packets},
                        {"bytes", c.bytes},
                        {"pps", rate_json(p.rate, false)},
                        {"bps", rate_json(p.rate, true)}});
  }
  j["prefixes"] = std::move(prefixes);
  j["prefixes_matched"] = r.prefixes_matched;

  auto totals = [](const std::vector<TotalRow>& rows, const char* key) {
    auto out = nlohmann::json::array();
    for (const auto& t : rows)
      out.push_back({{key, t.name},
                     {"packets", t.packets},
                     {"bytes", t.bytes},
                     {"pps", rate_json(t.rate, false)},
                     {"bps", rate_json(t.rate, true)}});
    return out;
  };
  j["actions"] = totals(r.actions, "action");
  j["reasons"] = totals(r.reasons, "reason");
  for (size_t i = 0; i < r.reasons.size(); i++) {
    j["reasons"][i]["id"] = r.reasons[i].id;
    j["reasons"][i]["action"] = action_name(reason_action(uint32_t(r.reasons[i].id)));
  }

  auto ifaces = nlohmann::json::array();
  for (const auto& i : r.ifaces) {
    const auto& s = i.counter.sum;
    ifaces.push_back({{"ifindex", i.counter.ifindex},
                      {"name", i.name.empty() ? nlohmann::json(nullptr) : nlohmann::json(i.name)},
                      {"role", role_name(i.counter.role)},
                      {"rx_packets", s.rx_packets},
                      {"rx_bytes", s.rx_bytes},
                      {"tx_packets", s.tx_packets},
                      {"tx_bytes", s.tx_bytes},
                      {"pass_packets", s.pass_packets},
                      {"drop_packets", s.drop_packets},
                      {"rx_pps", rate_json(i.rx, false)},
                      {"rx_bps", rate_json(i.rx, true)},
                      {"tx_pps", rate_json(i.tx, false)},
                      {"tx_bps", rate_json(i.tx, true)}});
  }
  j["interfaces"] = std::move(ifaces);

  auto lists = nlohmann::json::array();
  for (const auto& l : r.lists)
    lists.push_back({{"list", list_name(l.counter.list)},
                     {"prefix", l.counter.prefix.str()},
                     {"action", list_action(l.counter.action)},
                     {"id", l.counter.id},
                     {"packets", l.counter.packets},
                     {"bytes", l.counter.bytes},
                     {"pps", rate_json(l.rate, false)},
                     {"bps", rate_json(l.rate, true)}});
  j["filters"] = std::move(lists);
  return j;
}

}  // namespace bpfr::stats
