// Keeps routes_v4, routes_v6, nexthops and slot_prefixes equal to the RIB's FIB.
//
// Order of writes, so the fast path never follows a half-made entry: a next hop is written
// before the first route that uses it, a route is rewritten before its old next hop is freed,
// and a freed next hop is zeroed only after no route points to it.
#pragma once

#include <cstdint>
#include <map>
#include <unordered_map>
#include <vector>

#include "dataplane/map_writer.h"
#include "dataplane/nexthops.h"
#include "dataplane/slots.h"
#include "rib/fib.h"

namespace bpfr::dp {

class FibSync : public rib::FibListener {
 public:
  FibSync(MapWriter& maps, NextHopTable& nexthops, SlotAllocator& slots);

  void on_fib_update(const Prefix& prefix, const rib::FibEntry& entry) override;
  void on_fib_withdraw(const Prefix& prefix) override;

  // Device and neighbour changes, which rewrite the next hops through them.
  void on_link(const LinkFacts& link);
  void on_link_removed(uint32_t ifindex);
  void on_neighbour(uint32_t ifindex, const Address& addr, std::optional<Mac> mac);

  // Gateways whose MAC the kernel should resolve (ask netlink).
  std::vector<NextHopKey> take_resolve_requests() { return nexthops_.take_resolve_requests(); }

  struct Installed {
    rib::FibEntry entry;
    uint32_t nexthop = BPFR_NEXTHOP_NONE;
    uint32_t slot = BPFR_SLOT_AGGREGATE;
    bpfr_route_value value{};
  };
  const std::unordered_map<Prefix, Installed, PrefixHash>& routes() const { return routes_; }
  const Installed* find(const Prefix& p) const;
  size_t write_errors() const { return write_errors_; }
  // Forwarding routes per egress device.
  const std::map<uint32_t, size_t>& devices() const { return devices_; }

 private:
  bpfr_route_value value_for(const rib::FibEntry& e, uint32_t nexthop, uint32_t slot) const;
  void write_route(const Prefix& p, const bpfr_route_value& v);
  void flush_nexthops();
  void flush_slots();

  MapWriter& maps_;
  NextHopTable& nexthops_;
  SlotAllocator& slots_;
  std::unordered_map<Prefix, Installed, PrefixHash> routes_;
  size_t write_errors_ = 0;
  std::map<uint32_t, size_t> devices_;
};

}  // namespace bpfr::dp
