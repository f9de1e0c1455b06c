#include "control/route_query.h"

#include <fmt/format.h>

#include <set>

#include "control/format.h"

namespace bpfr::control {

namespace {

bool selected_by_filters(const RouteTable& t, const RouteInfo& r, const RouteQuery& q) {
  if (q.table && t.name != *q.table)
    return false;
  if (q.protocol && r.protocol != *q.protocol)
    return false;
  if (q.exact && r.net != *q.exact)
    return false;
  return true;
}

// The longest network of the table that holds the `for` address or prefix.
std::optional<Prefix> best_match(const RouteTable& t, const RouteQuery& q) {
  std::optional<Prefix> best;
  for (const auto& r : t.routes) {
    if (!selected_by_filters(t, r, q))
      continue;
    bool holds = q.for_addr ? r.net.contains(*q.for_addr) : r.net.contains(*q.for_net);
    if (holds && (!best || r.net.len > best->len))
      best = r.net;
  }
  return best;
}

}  // namespace

std::variant<RouteQuery, Reply> route_query(const Command& cmd) {
  RouteQuery q;
  q.count = cmd.has("count");
  q.all = cmd.has("all");
  q.json = cmd.json;
  q.table = cmd.value("table");
  q.protocol = cmd.value("protocol");
  if (auto f = cmd.value("for")) {
    if (f->find('/') != std::string::npos)
      q.for_net = Prefix::parse(*f);
    else
      q.for_addr = Address::parse(*f);
    if (!q.for_net && !q.for_addr)
      return Reply::error(code::syntax_error,
                          fmt::format("syntax error: '{}' after 'for' is neither an address nor "
                                      "a prefix",
                                      *f));
  }
  if (cmd.argument) {
    q.exact = Prefix::parse(*cmd.argument);
    if (!q.exact)
      return Reply::error(code::syntax_error,
                          fmt::format("syntax error: '{}' is not a prefix", *cmd.argument));
  }
  return q;
}

std::vector<RouteTable> select_routes(std::span<const RouteTable> tables, const RouteQuery& q) {
  std::vector<RouteTable> out;
  for (const auto& t : tables) {
    RouteTable sel{t.name, {}};
    std::optional<Prefix> best;
    if (q.for_addr || q.for_net) {
      best = best_match(t, q);
      if (!best) {
        out.push_back(std::move(sel));
        continue;
      }
    }
    for (const auto& r : t.routes)
      if (selected_by_filters(t, r, q) && (!best || r.net == *best))
        sel.routes.push_back(r);
    out.push_back(std::move(sel));
  }
  return out;
}

Reply show_route(std::span<const RouteTable> tables, const RouteQuery& q, Time now) {
  if (q.table) {
    bool known = false;
    for (const auto& t : tables)
      known |= t.name == *q.table;
    if (!known)
      return Reply::error(code::syntax_error, fmt::format("syntax error: no table '{}'", *q.table));
  }
  auto selected = select_routes(tables, q);

  if (q.count) {
    std::vector<RouteCount> counts;
    for (size_t i = 0; i < tables.size(); i++) {
      if (q.table && tables[i].name != *q.table)
        continue;
      std::set<Prefix> nets;
      for (const auto& r : tables[i].routes)
        nets.insert(r.net);
      RouteCount c{tables[i].name, selected[i].routes.size(), tables[i].routes.size(), nets.size()};
      // With `protocol`, only the tables that protocol has routes in.
      if (q.protocol && c.matched == 0)
        continue;
      counts.push_back(c);
    }
    return q.json ? json_reply(route_counts_json(counts)) : format_route_counts(counts);
  }

  bool any = false;
  for (const auto& t : selected)
    any |= !t.routes.empty();
  if (!any && (q.for_addr || q.for_net || q.exact))
    return Reply::error(code::not_found, "Network not found");
  std::erase_if(selected, [](const RouteTable& t) { return t.routes.empty(); });
  return q.json ? json_reply(routes_json(selected)) : format_routes(selected, q.all, now);
}

}  // namespace bpfr::control
