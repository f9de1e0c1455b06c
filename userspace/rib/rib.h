// The routing table: every protocol's route per prefix, the best of them chosen, its next hop
// resolved recursively down to a connected neighbour, and the result handed to FIB listeners.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/ip.h"
#include "rib/fib.h"

namespace bpfr::rib {

// A protocol instance (`protocol static s1`, `protocol bgp upstream1`), from Rib::add_protocol.
using ProtoId = uint16_t;

// Attributes the RIB carries without reading them: the BGP engineer's interned attribute set.
// Routes with equal attributes share one object.
using Attrs = std::shared_ptr<const void>;

enum class RouteKind : uint8_t {
  gateway,    // via an address, resolved recursively unless it is on a connected network
  interface,  // via "IFNAME": on-link out of ifindex
  blackhole,
  unreachable,
  prohibit,
  local,  // an address of this host
};

// What a protocol announces for a prefix.
struct RouteSpec {
  RouteKind kind = RouteKind::gateway;
  Address gateway;       // RouteKind::gateway
  uint32_t ifindex = 0;  // RouteKind::interface; for a gateway, the interface it is on when
                         // known (link-local gateways, kernel routes): then it is not resolved
  bool own = false;      // a prefix we originate (see FibEntry::own)
  Attrs attrs;
};

// A next hop address shared by every route through it, with where it resolves to. It is the
// index from a gateway to the prefixes that depend on it.
//
// As in BIRD, resolution is one level deep: a gateway not on a connected network resolves
// through a route whose own next hop is directly reachable (a connected gateway, a device, or a
// gateway with its interface), never through another recursive route. That keeps resolution
// free of loops and of routes flapping between resolving and not.
struct Gateway {
  Address address;
  uint32_t scope_ifindex = 0;  // given with the route: link-local or known interface

  // Resolution: ok with the egress device and the connected neighbour to send to.
  bool ok = false;
  bool direct = false;  // on a connected network or its interface given: not recursive
  uint32_t ifindex = 0;
  Address neighbour;
  std::optional<Prefix> via;  // the connected network or the route used, for show and logs

  // The prefix of every route through this gateway, one element per route (see Route::aux).
  std::vector<struct PrefixEntry*> dependents;
};

// One protocol's route for a prefix. Kept small (32 bytes): a full table holds millions.
struct Route {
  Attrs attrs;
  Gateway* gateway = nullptr;  // RouteKind::gateway
  // RouteKind::interface and local: the device. RouteKind::gateway: the route's position in
  // gateway->dependents, so removing it costs O(1).
  uint32_t aux = 0;
  ProtoId proto = 0;
  RouteKind kind = RouteKind::gateway;
  bool own = false;

  uint32_t ifindex() const { return kind == RouteKind::gateway ? gateway->scope_ifindex : aux; }
};
static_assert(sizeof(Route) == 32, "a full table holds millions of routes: keep Route small");

struct PrefixEntry {
  Prefix prefix;
  int16_t best = -1;          // index into routes of the route in the FIB, -1 if none
  bool in_fib = false;        // a listener was given an update for this prefix
  bool collected = false;     // scratch mark while a gateway's dependents are gathered
  std::vector<Route> routes;  // at most one per protocol instance
};

struct Protocol {
  std::string name;
  Source source = Source::static_;
  uint16_t preference = 0;
};

// Best route per prefix, as BIRD chooses it: a route whose gateway does not resolve is passed
// over; then the higher preference wins; BGP routes among themselves go by the BGP decision
// process (set_bgp_better), other ties by protocol kind and then the protocol configured first.
// Every change of a prefix's resolved best route goes to the listeners at once.
class Rib {
 public:
  struct Options {
    // What the FIB says for a prefix whose routes all have unresolvable gateways: kernel (the
    // kernel may know better) or unreachable.
    Action unresolved = Action::kernel;
  };

  // true when a is better than b; both are BGP routes, with their attribute sets.
  using BgpBetter = std::function<bool(const Route& a, const Route& b)>;

  Rib();
  explicit Rib(Options options);
  ~Rib();
  Rib(const Rib&) = delete;
  Rib& operator=(const Rib&) = delete;

  ProtoId add_protocol(std::string name, Source source, uint16_t preference);
  ProtoId add_protocol(std::string name, Source source) {
    return add_protocol(std::move(name), source, default_preference(source));
  }
  const Protocol& protocol(ProtoId id) const { return protocols_.at(id); }
  void set_bgp_better(BgpBetter better) { bgp_better_ = std::move(better); }
  void add_listener(FibListener* listener) { listeners_.push_back(listener); }

  // A protocol announces or replaces its route for prefix, or takes it back.
  void update(const Prefix& prefix, ProtoId proto, const RouteSpec& spec);
  void withdraw(const Prefix& prefix, ProtoId proto);
  void withdraw_all(ProtoId proto);  // a session went down: scans the table once

  // Connected networks (from interface addresses), against which gateways resolve.
  void add_connected(const Prefix& network, uint32_t ifindex);
  void remove_connected(const Prefix& network, uint32_t ifindex);

  // Queries.
  const PrefixEntry* find(const Prefix& prefix) const;
  const Route* best(const Prefix& prefix) const;
  std::optional<FibEntry> fib(const Prefix& prefix) const;
  const PrefixEntry* lookup(const Address& address) const;  // longest match with a best route
  const Gateway* gateway(const Address& address, uint32_t scope_ifindex = 0) const;
  // For tests: every route is in its gateway's dependents at its slot and nowhere else, and no
  // gateway is kept without routes. false with the first violation found.
  bool check_index(std::string* why) const;
  size_t gateway_count() const { return gateways_.size(); }
  size_t prefix_count() const { return v4_.entries.size() + v6_.entries.size(); }
  size_t route_count() const { return routes_; }
  template <typename F>
  void for_each(F&& f) const {
    for (const auto* t : {&v4_, &v6_})
      for (const auto& [p, e] : t->entries)
        f(e);
  }

 private:
  struct Table {
    std::unordered_map<Prefix, PrefixEntry, PrefixHash> entries;
    std::array<uint32_t, 129> lengths{};  // entries per prefix length, to skip empty ones
  };
  struct Connected {
    uint32_t ifindex;
    uint32_t count;
  };
  struct ConnectedTable {
    std::map<Prefix, std::vector<Connected>> networks;
    std::array<uint32_t, 129> lengths{};
  };
  struct GatewayKey {
    Address address;
    uint32_t ifindex;
    auto operator<=>(const GatewayKey&) const = default;
  };

  Table& table(Family f) { return f == Family::v4 ? v4_ : v6_; }
  const Table& table(Family f) const { return f == Family::v4 ? v4_ : v6_; }

  bool better(const Route& a, const Route& b) const;
  bool usable(const Route& r) const;
  int select(const PrefixEntry& e, bool direct_only) const;
  bool direct(const Route& r) const;
  FibEntry make_fib(const PrefixEntry& e) const;

  Gateway* intern(const Address& address, uint32_t scope_ifindex);
  void attach(Route& r, PrefixEntry* e);
  void detach(const Route& r);
  struct Resolution {
    bool ok = false;
    bool direct = false;
    uint32_t ifindex = 0;
    Address neighbour;
    std::optional<Prefix> via;
  };
  Resolution resolve_direct(const Gateway& g) const;
  Resolution resolve_recursive(const Gateway& g) const;
  static bool apply(Gateway& g, const Resolution& r);
  void reresolve_within(const Prefix& changed, unsigned depth, bool connected = false);
  struct Signature;
  void reselect(PrefixEntry& e, unsigned depth, bool force, const Signature* before = nullptr);
  static Signature signature_of(const PrefixEntry& e);
  void erase_if_empty(PrefixEntry& e);

  Options options_;
  std::vector<Protocol> protocols_;
  BgpBetter bgp_better_;
  std::vector<FibListener*> listeners_;
  Table v4_, v6_;
  ConnectedTable connected_v4_, connected_v6_;
  std::map<GatewayKey, std::unique_ptr<Gateway>> gateways_;
  size_t routes_ = 0;
};

}  // namespace bpfr::rib
