#include "dataplane/fib_sync.h"

#include <spdlog/spdlog.h>

namespace bpfr::dp {

FibSync::FibSync(MapWriter& maps, NextHopTable& nexthops, SlotAllocator& slots)
    : maps_(maps), nexthops_(nexthops), slots_(slots) {}

const FibSync::Installed* FibSync::find(const Prefix& p) const {
  auto it = routes_.find(p);
  return it == routes_.end() ? nullptr : &it->second;
}

bpfr_route_value FibSync::value_for(const rib::FibEntry& e, uint32_t nexthop, uint32_t slot) const {
  auto action = bpfr_route_action(e.action);
  if (action == BPFR_ROUTE_FORWARD && nexthop == BPFR_NEXTHOP_NONE)
    action = BPFR_ROUTE_KERNEL;
  uint8_t flags = (e.learned ? BPFR_ROUTE_F_LEARNED : 0) | (e.own ? BPFR_ROUTE_F_OWN : 0);
  return encode_route(action, nexthop, slot, flags);
}

void FibSync::write_route(const Prefix& p, const bpfr_route_value& v) {
  if (!maps_.put_route(p, v)) {
    write_errors_++;
    spdlog::error("dataplane: route {}: map update failed, the fast path keeps its old entry", p);
  }
}

void FibSync::flush_nexthops() {
  for (uint32_t id : nexthops_.take_dirty()) {
    if (!maps_.put_nexthop(id, encode_nexthop(nexthops_.facts(id)))) {
      write_errors_++;
      spdlog::error("dataplane: next hop {}: map update failed", id);
    }
  }
}

void FibSync::flush_slots() {
  for (Prefix p : slots_.take_moved()) {
    auto it = routes_.find(p);
    if (it == routes_.end())
      continue;
    it->second.slot = slots_.slot_of(p);
    it->second.value.slot = it->second.slot;
    write_route(p, it->second.value);
  }
  for (auto [slot, reassigned] : slots_.take_changes()) {
    if (!maps_.put_slot(slot, slots_.row(slot), reassigned)) {
      write_errors_++;
      spdlog::error("dataplane: counter slot {}: map update failed", slot);
    }
  }
}

void FibSync::on_fib_update(const Prefix& prefix, const rib::FibEntry& entry) {
  auto old = routes_.find(prefix);
  uint32_t old_nexthop = old == routes_.end() ? BPFR_NEXTHOP_NONE : old->second.nexthop;

  // The new next hop first, so the route never points at an unwritten entry.
  uint32_t nexthop = BPFR_NEXTHOP_NONE;
  if (entry.action == rib::Action::forward && entry.ifindex != 0) {
    nexthop = nexthops_.acquire({entry.gateway.value_or(Address{prefix.family()}), entry.ifindex});
    if (nexthop == BPFR_NEXTHOP_NONE)
      spdlog::warn("dataplane: route {}: next-hop table full, route left to the kernel", prefix);
  }
  flush_nexthops();

  // A route keeps its counter slot whatever else changes.
  auto cls = entry.source == rib::Source::bgp || entry.source == rib::Source::kernel
                 ? SlotClass::learned
                 : SlotClass::local;
  uint32_t slot = slots_.acquire(prefix, cls);

  Installed& inst = routes_[prefix];
  if (inst.nexthop != BPFR_NEXTHOP_NONE && --devices_[inst.entry.ifindex] == 0)
    devices_.erase(inst.entry.ifindex);
  inst = Installed{entry, nexthop, slot, value_for(entry, nexthop, slot)};
  if (nexthop != BPFR_NEXTHOP_NONE)
    devices_[entry.ifindex]++;
  write_route(prefix, inst.value);
  flush_slots();

  nexthops_.release(old_nexthop);
  flush_nexthops();
}

void FibSync::on_fib_withdraw(const Prefix& prefix) {
  auto it = routes_.find(prefix);
  if (it == routes_.end())
    return;
  uint32_t nexthop = it->second.nexthop;
  if (nexthop != BPFR_NEXTHOP_NONE && --devices_[it->second.entry.ifindex] == 0)
    devices_.erase(it->second.entry.ifindex);
  routes_.erase(it);

  if (!maps_.delete_route(prefix)) {
    write_errors_++;
    spdlog::error("dataplane: route {}: map delete failed, the fast path may still use it", prefix);
  }
  slots_.release(prefix);
  flush_slots();
  nexthops_.release(nexthop);
  flush_nexthops();
}

void FibSync::on_link(const LinkFacts& link) {
  nexthops_.set_link(link);
  flush_nexthops();
}

void FibSync::on_link_removed(uint32_t ifindex) {
  nexthops_.remove_link(ifindex);
  flush_nexthops();
}

void FibSync::on_neighbour(uint32_t ifindex, const Address& addr, std::optional<Mac> mac) {
  nexthops_.set_neighbour(ifindex, addr, mac);
  flush_nexthops();
}

}  // namespace bpfr::dp
