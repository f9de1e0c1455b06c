// Per-peer route tables: Adj-RIB-In (what the peer sent, before import policy) and Adj-RIB-Out
// (what we advertised, after export policy), with path attributes interned so that the routes
// of a full table share a few hundred thousand attribute sets instead of a million copies.
#pragma once

#include <memory>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "bgp/attributes.h"
#include "bgp/peer.h"

namespace bpfr::bgp {

// Hands out one shared PathAttributes per distinct value. An entry lives as long as a route
// holds it; the store may be destroyed before its references.
class AttrStore {
 public:
  AttrStore();
  AttrsRef intern(const PathAttributes& attrs);
  size_t size() const;

 private:
  struct Table;
  std::shared_ptr<Table> table_;
};

struct InRoute {
  AttrsRef attrs;  // as received
  RouteNextHop next_hop;
  bool accepted = false;  // passed import policy and sits in the sink
  bool stale = false;     // kept across a graceful restart (RFC 4724), not yet refreshed
};

class AdjRibIn {
 public:
  using Map = std::unordered_map<Prefix, InRoute, PrefixHash>;

  // Returns the route as it was before (if any).
  std::optional<InRoute> update(const Prefix& p, InRoute route);
  std::optional<InRoute> remove(const Prefix& p);
  void set_accepted(const Prefix& p, bool accepted);
  const InRoute* find(const Prefix& p) const;

  void mark_stale(Family f);
  std::vector<Prefix> stale(Family f) const;
  size_t accepted_count() const { return accepted_; }
  size_t size() const { return routes_.size(); }
  const Map& routes() const { return routes_; }
  void clear() {
    routes_.clear();
    accepted_ = 0;
  }

 private:
  Map routes_;
  size_t accepted_ = 0;
};

struct OutRoute {
  AttrsRef attrs;  // after export policy and the eBGP rewrites
  RouteNextHop next_hop;

  bool operator==(const OutRoute& o) const {
    return next_hop == o.next_hop && (attrs == o.attrs || (attrs && o.attrs && *attrs == *o.attrs));
  }
};

// What was advertised, plus what is still to send. A prefix changed many times before it is
// sent is sent once, so the pending set is bounded by the table, not by the churn.
class AdjRibOut {
 public:
  void set(const Prefix& p, std::optional<OutRoute> route);  // nullopt: withdraw
  // Queues every advertised route of a family again (route refresh, `reload out`).
  void resend(Family f);
  bool has_pending() const { return !pending_.empty(); }
  std::unordered_map<Prefix, std::optional<OutRoute>, PrefixHash> take_pending(size_t max);
  const std::unordered_map<Prefix, OutRoute, PrefixHash>& advertised() const { return sent_; }
  void clear() {
    sent_.clear();
    pending_.clear();
  }

 private:
  std::unordered_map<Prefix, OutRoute, PrefixHash> sent_;
  std::unordered_map<Prefix, std::optional<OutRoute>, PrefixHash> pending_;
};

}  // namespace bpfr::bgp
