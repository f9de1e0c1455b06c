#include "rib/rib.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace bpfr::rib {

namespace {

// Changes propagating from prefix to gateway to prefix stop this deep. Resolution is one level
// deep, so real chains are short; this only guards against a mistake.
constexpr unsigned max_depth = 16;

}  // namespace

// What a prefix's FIB entry depends on, to tell whether an update changed it.
struct Rib::Signature {
  int state = -1;  // -1: no entry, 0: best route, 1: routes but none usable
  RouteKind kind = RouteKind::gateway;
  const Gateway* gateway = nullptr;
  uint32_t ifindex = 0;
  ProtoId proto = 0;
  bool own = false;
  bool operator==(const Signature&) const = default;
};

std::string_view to_string(Action a) {
  switch (a) {
    case Action::forward:
      return "forward";
    case Action::local:
      return "local";
    case Action::blackhole:
      return "blackhole";
    case Action::unreachable:
      return "unreachable";
    case Action::prohibit:
      return "prohibit";
    case Action::kernel:
      return "kernel";
  }
  return "unknown";
}

std::string_view to_string(Source s) {
  switch (s) {
    case Source::direct:
      return "direct";
    case Source::static_:
      return "static";
    case Source::bgp:
      return "bgp";
    case Source::kernel:
      return "kernel";
  }
  return "unknown";
}

Rib::Rib() : Rib(Options{}) {}
Rib::Rib(Options options) : options_(options) {}
Rib::~Rib() = default;

ProtoId Rib::add_protocol(std::string name, Source source, uint16_t preference) {
  protocols_.push_back({std::move(name), source, preference});
  return ProtoId(protocols_.size() - 1);
}

// Preference first (BIRD's rule); BGP routes among themselves by the BGP decision process;
// otherwise a fixed order so the choice never depends on arrival order.
bool Rib::better(const Route& a, const Route& b) const {
  const Protocol& pa = protocols_[a.proto];
  const Protocol& pb = protocols_[b.proto];
  if (pa.preference != pb.preference)
    return pa.preference > pb.preference;
  if (pa.source == Source::bgp && pb.source == Source::bgp && bgp_better_)
    return bgp_better_(a, b);
  if (pa.source != pb.source)
    return pa.source < pb.source;
  return a.proto < b.proto;
}

bool Rib::usable(const Route& r) const {
  switch (r.kind) {
    case RouteKind::gateway:
      return r.gateway && r.gateway->ok;
    case RouteKind::interface:
      return r.aux != 0;
    default:
      return true;
  }
}

// A route that needs no recursive resolution: it may resolve other gateways.
bool Rib::direct(const Route& r) const {
  return r.kind != RouteKind::gateway || r.gateway->direct;
}

int Rib::select(const PrefixEntry& e, bool direct_only) const {
  int best = -1;
  for (size_t i = 0; i < e.routes.size(); i++) {
    const Route& r = e.routes[i];
    // A direct gateway is reachable by definition; checking only that flag lets resolution
    // see the directness settled first in reresolve_within.
    bool ok = direct_only ? direct(r) && (r.kind != RouteKind::interface || r.aux != 0) : usable(r);
    if (!ok)
      continue;
    if (best < 0 || better(r, e.routes[best]))
      best = int(i);
  }
  return best;
}

FibEntry Rib::make_fib(const PrefixEntry& e) const {
  FibEntry f;
  f.prefix = e.prefix;
  const Route* r = e.best >= 0 ? &e.routes[e.best] : nullptr;
  if (!r) {
    // Every route has an unresolvable next hop: name the one that would win.
    for (const Route& x : e.routes)
      if (!r || better(x, *r))
        r = &x;
    if (!r)
      return f;
    f.action = options_.unresolved;
  } else {
    switch (r->kind) {
      case RouteKind::gateway:
        f.action = Action::forward;
        f.ifindex = r->gateway->ifindex;
        f.gateway = r->gateway->neighbour;
        break;
      case RouteKind::interface:
        f.action = Action::forward;
        f.ifindex = r->aux;
        break;
      case RouteKind::local:
        f.action = Action::local;
        f.ifindex = r->aux;
        break;
      case RouteKind::blackhole:
        f.action = Action::blackhole;
        break;
      case RouteKind::unreachable:
        f.action = Action::unreachable;
        break;
      case RouteKind::prohibit:
        f.action = Action::prohibit;
        break;
    }
  }
  const Protocol& p = protocols_[r->proto];
  f.source = p.source;
  f.proto = r->proto;
  f.learned = p.source == Source::bgp;
  f.own = r->own;
  return f;
}

Rib::Signature Rib::signature_of(const PrefixEntry& e) {
  Signature s;
  if (e.routes.empty())
    return s;
  if (e.best < 0) {
    s.state = 1;
    return s;
  }
  const Route& r = e.routes[e.best];
  s.state = 0;
  s.kind = r.kind;
  s.gateway = r.gateway;
  s.ifindex = r.kind == RouteKind::gateway ? 0 : r.aux;
  s.proto = r.proto;
  s.own = r.own;
  return s;
}

Gateway* Rib::intern(const Address& address, uint32_t scope_ifindex) {
  auto& slot = gateways_[GatewayKey{address, scope_ifindex}];
  if (!slot) {
    slot = std::make_unique<Gateway>();
    slot->address = address;
    slot->scope_ifindex = scope_ifindex;
    Resolution r = resolve_direct(*slot);
    apply(*slot, r.ok ? r : resolve_recursive(*slot));
  }
  return slot.get();
}

void Rib::attach(Route& r, PrefixEntry* e) {
  r.aux = uint32_t(r.gateway->dependents.size());
  r.gateway->dependents.push_back(e);
}

// Takes r out of its gateway's dependents (moving the last one into its place) and frees the
// gateway when no route uses it any more.
void Rib::detach(const Route& r) {
  Gateway* g = r.gateway;
  uint32_t last = uint32_t(g->dependents.size() - 1);
  if (r.aux != last) {
    PrefixEntry* moved = g->dependents[last];
    g->dependents[r.aux] = moved;
    for (Route& x : moved->routes)
      if (x.gateway == g && x.aux == last && &x != &r)
        x.aux = r.aux;
  }
  g->dependents.pop_back();
  if (g->dependents.empty())
    gateways_.erase(GatewayKey{g->address, g->scope_ifindex});
}

// Where g leads if it is directly reachable: its interface was given (link-local, or as the
// kernel reports it), or it lies on a connected network.
Rib::Resolution Rib::resolve_direct(const Gateway& g) const {
  Resolution r;
  r.neighbour = g.address;
  if (g.scope_ifindex) {
    r.ok = r.direct = true;
    r.ifindex = g.scope_ifindex;
    return r;
  }
  const auto& ct = g.address.is_v4() ? connected_v4_ : connected_v6_;
  for (int len = int(g.address.bits()); len >= 0; len--) {
    if (!ct.lengths[len])
      continue;
    Prefix p = Prefix::make(g.address, unsigned(len));
    auto it = ct.networks.find(p);
    if (it == ct.networks.end() || it->second.empty())
      continue;
    r.ok = r.direct = true;
    r.ifindex = it->second.front().ifindex;
    r.via = p;
    return r;
  }
  return r;
}

// Where g leads through the longest prefix that has a usable direct route. Prefixes whose
// routes are all recursive themselves (a BGP route covering its own next hop) are passed over.
Rib::Resolution Rib::resolve_recursive(const Gateway& g) const {
  Resolution res;
  res.neighbour = g.address;
  const Table& t = table(g.address.family);
  for (int len = int(g.address.bits()); len >= 0; len--) {
    if (!t.lengths[len])
      continue;
    auto it = t.entries.find(Prefix::make(g.address, unsigned(len)));
    if (it == t.entries.end())
      continue;
    int i = select(it->second, true);
    if (i < 0)
      continue;
    const Route& r = it->second.routes[i];
    res.via = it->first;
    switch (r.kind) {
      case RouteKind::gateway:
        res.ok = true;
        res.ifindex = r.gateway->ifindex;
        res.neighbour = r.gateway->neighbour;
        break;
      case RouteKind::interface:
        res.ok = true;
        res.ifindex = r.aux;
        break;
      default:  // blackhole, unreachable, prohibit, or one of our own addresses
        break;
    }
    return res;
  }
  return res;
}

bool Rib::apply(Gateway& g, const Resolution& r) {
  bool changed = g.ok != r.ok || g.direct != r.direct || g.ifindex != r.ifindex ||
                 g.neighbour != r.neighbour || g.via != r.via;
  g.ok = r.ok;
  g.direct = r.direct;
  g.ifindex = r.ifindex;
  g.neighbour = r.neighbour;
  g.via = r.via;
  return changed;
}

// Re-resolves every gateway inside `changed` whose resolution that prefix may affect, and
// reselects the prefixes that depend on those whose result changed. Gateways are kept sorted,
// so the ones inside a prefix are one range: no scan of the table.
void Rib::reresolve_within(const Prefix& changed, unsigned depth, bool connected) {
  if (depth > max_depth) {
    spdlog::warn("rib: next-hop changes for {} nest deeper than {}, propagation stopped", changed,
                 max_depth);
    return;
  }
  std::vector<Gateway*> candidates;
  for (auto it = gateways_.lower_bound(GatewayKey{changed.addr, 0}); it != gateways_.end(); ++it) {
    Gateway& g = *it->second;
    if (g.address.family != changed.family() || !changed.contains(g.address))
      break;
    // A connected network wins whatever its length; a route only over shorter ones.
    if (g.scope_ifindex || (!connected && g.via && g.via->len > changed.len))
      continue;
    candidates.push_back(&g);
  }

  // Which are direct is settled first, so none resolves through another's stale state.
  std::vector<Resolution> next(candidates.size());
  std::vector<bool> was_direct(candidates.size());
  for (size_t i = 0; i < candidates.size(); i++) {
    next[i] = resolve_direct(*candidates[i]);
    was_direct[i] = candidates[i]->direct;
    candidates[i]->direct = next[i].direct;
  }
  std::vector<Gateway*> affected;
  for (size_t i = 0; i < candidates.size(); i++) {
    Gateway& g = *candidates[i];
    if (!next[i].ok)
      next[i] = resolve_recursive(g);
    g.direct = was_direct[i];
    if (apply(g, next[i]))
      affected.push_back(&g);
  }
  // The prefixes through any of them, gathered once each: reselecting may change the lists.
  std::vector<PrefixEntry*> deps;
  for (Gateway* g : affected) {
    spdlog::debug("rib: next hop {} now {} via {}", g->address,
                  g->ok ? fmt::format("ifindex {} neighbour {}", g->ifindex, g->neighbour)
                        : std::string("unresolved"),
                  g->via ? g->via->str() : std::string("-"));
    for (PrefixEntry* e : g->dependents)
      if (!e->collected) {
        e->collected = true;
        deps.push_back(e);
      }
  }
  for (PrefixEntry* e : deps)
    e->collected = false;
  for (PrefixEntry* e : deps)
    reselect(*e, depth + 1, true);
}

// Chooses e's best route again and tells the listeners when its FIB entry changed (always,
// when forced: a gateway it uses moved).
void Rib::reselect(PrefixEntry& e, unsigned depth, bool force, const Signature* previous) {
  Signature before = previous ? *previous : signature_of(e);
  if (!e.in_fib)
    before.state = -1;
  e.best = int16_t(select(e, false));
  Signature after = signature_of(e);
  if (before == after && !force)
    return;
  if (!e.in_fib && after.state == -1)
    return;

  if (after.state == -1) {
    e.in_fib = false;
    for (auto* l : listeners_)
      l->on_fib_withdraw(e.prefix);
  } else {
    FibEntry f = make_fib(e);
    e.in_fib = true;
    for (auto* l : listeners_)
      l->on_fib_update(e.prefix, f);
  }
  reresolve_within(e.prefix, depth + 1);
}

void Rib::update(const Prefix& prefix, ProtoId proto, const RouteSpec& spec) {
  if (proto >= protocols_.size())
    return;
  Table& t = table(prefix.family());
  auto [it, inserted] = t.entries.try_emplace(prefix);
  PrefixEntry& e = it->second;
  if (inserted) {
    e.prefix = prefix;
    t.lengths[prefix.len]++;
  }

  Route r;
  r.attrs = spec.attrs;
  r.proto = proto;
  r.kind = spec.kind;
  r.own = spec.own;
  r.aux = spec.ifindex;
  if (spec.kind == RouteKind::gateway)
    r.gateway = intern(spec.gateway, spec.ifindex);

  Signature before = signature_of(e);
  auto old = std::find_if(e.routes.begin(), e.routes.end(),
                          [&](const Route& x) { return x.proto == proto; });
  if (old == e.routes.end()) {
    e.routes.reserve(e.routes.size() + 1);  // exact capacity: most prefixes have 1 to 3 routes
    e.routes.push_back(std::move(r));
    routes_++;
    if (e.routes.back().gateway)
      attach(e.routes.back(), &e);
  } else if (old->gateway && old->gateway == r.gateway) {
    r.aux = old->aux;  // same gateway: keep the place in its dependents
    *old = std::move(r);
  } else {
    if (old->gateway)
      detach(*old);
    *old = std::move(r);
    if (old->gateway)
      attach(*old, &e);
  }
  reselect(e, 0, false, &before);
  reresolve_within(prefix, 0);
}

void Rib::withdraw(const Prefix& prefix, ProtoId proto) {
  Table& t = table(prefix.family());
  auto it = t.entries.find(prefix);
  if (it == t.entries.end())
    return;
  PrefixEntry& e = it->second;
  auto r = std::find_if(e.routes.begin(), e.routes.end(),
                        [&](const Route& x) { return x.proto == proto; });
  if (r == e.routes.end())
    return;

  int index = int(r - e.routes.begin());
  bool was_best = index == e.best;
  if (index < e.best)
    e.best--;
  if (r->gateway)
    detach(*r);
  e.routes.erase(r);
  routes_--;
  if (was_best)
    e.best = -1;
  reselect(e, 0, was_best);
  if (e.routes.empty()) {
    t.lengths[prefix.len]--;
    t.entries.erase(it);
  }
  reresolve_within(prefix, 0);
}

void Rib::withdraw_all(ProtoId proto) {
  std::vector<Prefix> gone;
  for_each([&](const PrefixEntry& e) {
    for (const Route& r : e.routes)
      if (r.proto == proto)
        gone.push_back(e.prefix);
  });
  for (const Prefix& p : gone)
    withdraw(p, proto);
}

void Rib::add_connected(const Prefix& network, uint32_t ifindex) {
  auto& ct = network.addr.is_v4() ? connected_v4_ : connected_v6_;
  auto& list = ct.networks[network];
  if (list.empty())
    ct.lengths[network.len]++;
  auto c = std::find_if(list.begin(), list.end(), [&](auto& x) { return x.ifindex == ifindex; });
  if (c != list.end())
    c->count++;
  else
    list.push_back({ifindex, 1});
  reresolve_within(network, 0, true);
}

void Rib::remove_connected(const Prefix& network, uint32_t ifindex) {
  auto& ct = network.addr.is_v4() ? connected_v4_ : connected_v6_;
  auto it = ct.networks.find(network);
  if (it == ct.networks.end())
    return;
  auto& list = it->second;
  auto c = std::find_if(list.begin(), list.end(), [&](auto& x) { return x.ifindex == ifindex; });
  if (c == list.end())
    return;
  if (--c->count == 0)
    list.erase(c);
  if (list.empty()) {
    ct.networks.erase(it);
    ct.lengths[network.len]--;
  }
  reresolve_within(network, 0, true);
}

const PrefixEntry* Rib::find(const Prefix& prefix) const {
  const Table& t = table(prefix.family());
  auto it = t.entries.find(prefix);
  return it == t.entries.end() ? nullptr : &it->second;
}

const Route* Rib::best(const Prefix& prefix) const {
  const PrefixEntry* e = find(prefix);
  return e && e->best >= 0 ? &e->routes[e->best] : nullptr;
}

std::optional<FibEntry> Rib::fib(const Prefix& prefix) const {
  const PrefixEntry* e = find(prefix);
  if (!e || !e->in_fib)
    return std::nullopt;
  return make_fib(*e);
}

const PrefixEntry* Rib::lookup(const Address& address) const {
  const Table& t = table(address.family);
  for (int len = int(address.bits()); len >= 0; len--) {
    if (!t.lengths[len])
      continue;
    auto it = t.entries.find(Prefix::make(address, unsigned(len)));
    if (it != t.entries.end() && it->second.best >= 0)
      return &it->second;
  }
  return nullptr;
}

bool Rib::check_index(std::string* why) const {
  size_t gateway_routes = 0;
  for (const auto* t : {&v4_, &v6_}) {
    for (const auto& [p, e] : t->entries) {
      for (const Route& r : e.routes) {
        if (r.kind != RouteKind::gateway)
          continue;
        gateway_routes++;
        auto it = gateways_.find(GatewayKey{r.gateway->address, r.gateway->scope_ifindex});
        if (it == gateways_.end() || it->second.get() != r.gateway) {
          *why = fmt::format("{}: gateway {} not interned", p, r.gateway->address);
          return false;
        }
        if (r.aux >= r.gateway->dependents.size() || r.gateway->dependents[r.aux] != &e) {
          *why = fmt::format("{}: not at slot {} of gateway {}", p, r.aux, r.gateway->address);
          return false;
        }
      }
    }
  }
  size_t slots = 0;
  for (const auto& [k, g] : gateways_) {
    if (g->dependents.empty()) {
      *why = fmt::format("gateway {} kept without routes", g->address);
      return false;
    }
    slots += g->dependents.size();
  }
  if (slots != gateway_routes) {
    *why = fmt::format("{} dependents for {} gateway routes", slots, gateway_routes);
    return false;
  }
  return true;
}

const Gateway* Rib::gateway(const Address& address, uint32_t scope_ifindex) const {
  auto it = gateways_.find(GatewayKey{address, scope_ifindex});
  return it == gateways_.end() ? nullptr : it->second.get();
}

}  // namespace bpfr::rib
