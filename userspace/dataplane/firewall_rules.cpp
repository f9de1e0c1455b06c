// What each nftables rule on the forwarding path concerns, from `nft -j list ruleset`. The
// answer may be wider than the rule (safe: more traffic stays on the kernel path), never
// narrower. Reading nft's JSON, not evaluating it: a rule is bounded by its first condition on
// ip/ip6 saddr/daddr or on the in/out device; anything else it matches only narrows it.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "dataplane/firewall.h"

namespace bpfr::dp {

namespace {

using Json = nlohmann::json;

// nft refuses deeper jumps; this bounds a malformed ruleset.
constexpr int max_jump_depth = 16;

struct Chain {
  std::string id;  // "family table name"
  std::string family, table, name, type, hook, policy;
  bool base = false;
  std::vector<const Json*> rules;
};

struct Ruleset {
  std::map<std::string, Chain> chains;
  std::map<std::string, const Json*> sets;  // "family table name" -> set object
  std::vector<std::string> order;           // chain ids as listed
};

std::string object_id(const Json& o, std::string_view name) {
  return fmt::format("{} {} {}", o.value("family", ""), o.value("table", ""), name);
}

Ruleset index_ruleset(const Json& items) {
  Ruleset rs;
  for (const Json& item : items) {
    if (!item.is_object())
      continue;
    if (auto c = item.find("chain"); c != item.end() && c->is_object()) {
      Chain ch;
      ch.name = c->value("name", "");
      ch.id = object_id(*c, ch.name);
      ch.family = c->value("family", "");
      ch.table = c->value("table", "");
      ch.type = c->value("type", "");
      ch.hook = c->value("hook", "");
      ch.policy = c->value("policy", "accept");
      ch.base = c->contains("hook");
      rs.order.push_back(ch.id);
      rs.chains[ch.id] = std::move(ch);
    } else if (auto r = item.find("rule"); r != item.end() && r->is_object()) {
      std::string id = object_id(*r, r->value("chain", ""));
      rs.chains[id].rules.push_back(&*r);  // a rule before its chain still lands in it
    } else if (auto st = item.find("set"); st != item.end() && st->is_object()) {
      rs.sets[object_id(*st, st->value("name", ""))] = &*st;
    }
  }
  return rs;
}

// Prerouting, forward and postrouting of ip/ip6/inet, netdev ingress and egress (XDP runs
// before them), and NAT where it translates forwarded packets.
bool on_forwarding_path(const Chain& c) {
  if (!c.base)
    return false;
  if (c.family == "netdev")
    return true;
  if (c.family != "ip" && c.family != "ip6" && c.family != "inet")
    return false;
  if (c.type == "nat")
    return c.hook == "prerouting" || c.hook == "postrouting";
  return c.hook == "prerouting" || c.hook == "forward" || c.hook == "postrouting";
}

std::optional<Prefix> host_prefix(const std::string& text) {
  auto a = Address::parse(text);
  if (!a)
    return std::nullopt;
  return Prefix::make(*a, a->is_v4() ? 32 : 128);
}

// The shortest prefix holding both ends of a range: wider than the range, never narrower.
std::optional<Prefix> covering_prefix(const std::string& low, const std::string& high) {
  auto a = Address::parse(low), b = Address::parse(high);
  if (!a || !b || a->family != b->family)
    return std::nullopt;
  unsigned bits = a->is_v4() ? 32 : 128, len = 0;
  while (len < bits && a->bit(len) == b->bit(len))
    len++;
  return Prefix::make(*a, len);
}

// One element of an address set or match: "10.0.0.1", {"prefix": ...}, {"range": [a, b]},
// {"elem": {"val": ...}} (an element with a timeout or comment).
std::optional<Prefix> element_prefix(const Json& e) {
  if (e.is_string())
    return host_prefix(e.get<std::string>());
  if (!e.is_object())
    return std::nullopt;
  if (auto p = e.find("prefix"); p != e.end() && p->is_object()) {
    auto a = Address::parse(p->value("addr", ""));
    unsigned len = p->value("len", 999u);
    if (!a || len > (a->is_v4() ? 32u : 128u))
      return std::nullopt;
    return Prefix::make(*a, len);
  }
  if (auto r = e.find("range");
      r != e.end() && r->is_array() && r->size() == 2 && (*r)[0].is_string() && (*r)[1].is_string())
    return covering_prefix((*r)[0].get<std::string>(), (*r)[1].get<std::string>());
  if (auto v = e.find("elem"); v != e.end() && v->is_object() && v->contains("val"))
    return element_prefix((*v)["val"]);
  return std::nullopt;
}

std::optional<std::string> element_name(const Json& e) {
  if (e.is_string())
    return e.get<std::string>();
  if (e.is_object())
    if (auto v = e.find("elem"); v != e.end() && v->is_object() && v->contains("val"))
      return element_name((*v)["val"]);
  return std::nullopt;
}

// The elements a match's right side stands for: one value, an anonymous set, or a named set
// ("@name") as listed now. A set the ruleset itself changes (dynamic) cannot be bounded.
std::optional<std::vector<Json>> elements(const Json& right, const Ruleset& rs, const Json& rule) {
  if (right.is_string() && right.get<std::string>().starts_with("@")) {
    auto it = rs.sets.find(object_id(rule, right.get<std::string>().substr(1)));
    if (it == rs.sets.end())
      return std::nullopt;
    const Json& set = *it->second;
    if (set.contains("flags") && set["flags"].is_array())
      for (const Json& flag : set["flags"])
        if (flag == "dynamic")
          return std::nullopt;
    if (!set.contains("elem"))
      return std::vector<Json>{};
    if (!set["elem"].is_array())
      return std::nullopt;
    return std::vector<Json>(set["elem"].begin(), set["elem"].end());
  }
  if (right.is_object())
    if (auto s = right.find("set"); s != right.end() && s->is_array())
      return std::vector<Json>(s->begin(), s->end());
  return std::vector<Json>{right};
}

template <class T, class F>
std::optional<std::vector<T>> each(const std::optional<std::vector<Json>>& items, F convert) {
  if (!items)
    return std::nullopt;
  std::vector<T> out;
  for (const Json& e : *items) {
    auto v = convert(e);
    if (!v)
      return std::nullopt;
    out.push_back(*v);
  }
  return out;
}

// What a match's left side reads, for log lines: "ip saddr", "meta l4proto", "ct state".
std::string subject(const Json& left) {
  if (!left.is_object() || left.empty())
    return "an expression";
  auto first = left.begin();  // not items(), whose proxy dies with the statement
  const std::string& kind = first.key();
  const Json& v = first.value();
  if (kind == "payload" && v.is_object())
    return fmt::format("{} {}", v.value("protocol", "?"), v.value("field", "?"));
  if ((kind == "meta" || kind == "ct") && v.is_object())
    return fmt::format("{} {}", kind, v.value("key", "?"));
  return kind;
}

// Fills `scope` from a positive match on addresses or devices; false if it is not one.
bool bound_by_match(const Json& m, const Ruleset& rs, const Json& rule, RuleScope& scope) {
  std::string op = m.value("op", "==");
  if (op != "==" && op != "in")
    return false;
  const Json& left = m.contains("left") ? m["left"] : Json();
  const Json& right = m.contains("right") ? m["right"] : Json();
  if (!left.is_object())
    return false;

  if (auto p = left.find("payload"); p != left.end() && p->is_object()) {
    std::string proto = p->value("protocol", ""), field = p->value("field", "");
    if ((proto != "ip" && proto != "ip6") || (field != "saddr" && field != "daddr"))
      return false;
    auto prefixes = each<Prefix>(elements(right, rs, rule), element_prefix);
    if (!prefixes)
      return false;
    auto& into = field == "saddr" ? scope.sources : scope.destinations;
    into.insert(into.end(), prefixes->begin(), prefixes->end());
    return true;
  }
  if (auto meta = left.find("meta"); meta != left.end() && meta->is_object()) {
    std::string key = meta->value("key", "");
    bool in = key == "iifname" || key == "iif";
    if (!in && key != "oifname" && key != "oif")
      return false;
    auto names = each<std::string>(elements(right, rs, rule), element_name);
    if (!names)
      return false;
    auto& into = in ? scope.in_devices : scope.out_devices;
    into.insert(into.end(), names->begin(), names->end());
    return true;
  }
  return false;
}

// dnat: replies come from the new destination; snat: replies go to the new source.
bool add_translation(const std::string& kind, const Json& stmt, RuleScope& scope) {
  if (!stmt.is_object() || !stmt.contains("addr"))
    return false;
  auto p = element_prefix(stmt["addr"]);
  if (!p)
    return false;
  (kind == "dnat" ? scope.sources : scope.destinations).push_back(*p);
  return true;
}

class RuleReader {
 public:
  RuleReader(const Ruleset& rs, FirewallFindings& out) : rs_(rs), out_(out) {}

  void chain(const Chain& c, int depth) {
    if (depth == 0)
      base_chain_ = c.id;
    if (depth > max_jump_depth || !visiting_.insert(c.id).second)
      return;
    for (const Json* r : c.rules)
      rule(c, *r, depth);
    visiting_.erase(c.id);
  }

 private:
  const Ruleset& rs_;
  FirewallFindings& out_;
  std::set<std::string> visiting_, seen_rules_;
  std::string base_chain_;

  void rule(const Chain& c, const Json& r, int depth) {
    RuleScope scope;
    scope.rule = fmt::format("{} handle {}", c.id, r.value("handle", 0));
    scope.base_chain = base_chain_;
    if (!seen_rules_.insert(scope.rule).second)
      return;  // reached again through another jump
    const Json& stmts = r.contains("expr") && r["expr"].is_array() ? r["expr"] : Json::array();

    bool bounded = false;
    std::vector<std::string> conditions, effects;
    std::vector<std::string> targets;
    for (const Json& st : stmts) {
      if (!st.is_object() || st.empty())
        continue;
      // Not items(): its proxy's operator* refers to the proxy itself, a temporary.
      auto first = st.begin();
      const std::string& kind = first.key();
      const Json& v = first.value();
      if (kind == "match") {
        if (!bounded && bound_by_match(v, rs_, r, scope))
          bounded = true;
        else
          conditions.push_back(subject(v.contains("left") ? v["left"] : Json()));
      } else if (kind == "accept" || kind == "return" || kind == "continue") {
        // changes nothing the fast path would do: forwarding accepts
      } else if (kind == "jump" || kind == "goto") {
        targets.push_back(object_id(r, v.is_object() ? v.value("target", "") : ""));
      } else {
        if ((kind == "dnat" || kind == "snat") && !add_translation(kind, v, scope))
          scope.any_packet = fmt::format("{} to an address it computes", kind);
        effects.push_back(kind);
      }
    }

    if (bounded) {
      // The rule's condition bounds everything it jumps to as well.
      if (scope.any_packet.empty() && effects.empty() && targets.empty())
        return;  // matches and accepts: nothing to keep
      out_.rules.push_back(std::move(scope));
      return;
    }
    if (effects.empty()) {
      // Only directs: the rules of the chains it jumps to say what is concerned.
      for (const auto& t : targets)
        if (auto it = rs_.chains.find(t); it != rs_.chains.end())
          chain(it->second, depth + 1);
      return;
    }
    scope.sources.clear();
    scope.destinations.clear();
    scope.any_packet = fmt::format(
        "{}: {}",
        conditions.empty() ? "no condition on addresses or devices"
                           : fmt::format("matches only {}", fmt::join(conditions, ", ")),
        fmt::join(effects, ", "));
    out_.rules.push_back(std::move(scope));
  }
};

}  // namespace

std::string RuleScope::describe() const {
  if (!any_packet.empty())
    return any_packet;
  std::vector<std::string> parts;
  if (!sources.empty())
    parts.push_back(fmt::format("source {}", fmt::join(sources, ", ")));
  if (!destinations.empty())
    parts.push_back(fmt::format("destination {}", fmt::join(destinations, ", ")));
  if (!in_devices.empty())
    parts.push_back(fmt::format("arrivals on {}", fmt::join(in_devices, ", ")));
  if (!out_devices.empty())
    parts.push_back(fmt::format("forwarding out of {}", fmt::join(out_devices, ", ")));
  return parts.empty() ? "nothing" : fmt::format("{}", fmt::join(parts, "; "));
}

bool FirewallFindings::needs_whole_path() const {
  if (!dropping_chains.empty())
    return true;
  for (const auto& r : rules)
    if (!r.any_packet.empty())
      return true;
  return false;
}

FirewallFindings parse_nft_ruleset(std::string_view json) {
  FirewallFindings f;
  Json doc = Json::parse(json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("nftables") ||
      !doc["nftables"].is_array()) {
    f.readable = false;
    f.error = "not the JSON of nft -j list ruleset";
    return f;
  }

  Ruleset rs = index_ruleset(doc["nftables"]);
  RuleReader reader(rs, f);
  for (const auto& id : rs.order) {
    const Chain& c = rs.chains.at(id);
    if (!on_forwarding_path(c))
      continue;
    bool drops = c.policy == "drop";
    if (drops)
      f.dropping_chains.push_back(c.id);
    if (drops || !c.rules.empty())
      (c.type == "nat" ? f.nat : f.forward).push_back(c.id);
    reader.chain(c, 0);
  }
  return f;
}

}  // namespace bpfr::dp
