// The kernel's own routes in bpfrouterd: which of them the RIB takes, and what the attach plan
// follows to find the devices through which next hops are reached.
//
// The RIB takes two kinds, as protocol `kernel` below every other (preference 10):
// - the route by which a BGP neighbour or a static gateway is reached when no connected network
//   holds it (the guide's multihop upstream is one static route away), so next hops resolve
//   recursively through it;
// - routes into L3 devices (wg-quick's routes for a peer's AllowedIPs), so the fast path
//   forwards into WireGuard and TUN devices as the kernel would.
// Every other kernel route stays the kernel's: the fast path hands its traffic to the kernel.
// None is offered to BGP export.
//
// Known shortcoming: a BGP next hop other than the neighbour's own address (a route server's
// third-party next hop) that only a kernel route reaches is not resolved: its routes go to the
// kernel path.
#include <linux/rtnetlink.h>
#include <spdlog/spdlog.h>

#include "daemon/daemon.h"
#include "rib/kernel_sync.h"

namespace bpfr::daemon {

namespace {

// Table main; the routes bpfrouterd exported itself and the kernel's connected ones left out.
const rib::KernelSyncOptions main_table;

bool same_route(const rib::RouteSpec& a, const rib::RouteSpec& b) {
  return a.kind == b.kind && a.gateway == b.gateway && a.ifindex == b.ifindex;
}

}  // namespace

void Daemon::learn_kernel_route(netlink::Change change, const netlink::KernelRoute& route) {
  if (!rib::KernelSync::learned_route(route, main_table))
    return;
  auto key = std::make_pair(route.prefix, route.priority);
  if (change == netlink::Change::added)
    kernel_routes_[key] = route;
  else if (!kernel_routes_.erase(key))
    return;
  after_change();  // the next replan takes it into the RIB if it is needed there
}

// BGP neighbours and static gateways, each with the device given for it (0: none given).
std::vector<std::pair<Address, uint32_t>> Daemon::next_hop_addresses() const {
  std::vector<std::pair<Address, uint32_t>> out;
  for (const auto& [key, spec] : statics_)
    if (spec.kind == rib::RouteKind::gateway)
      out.emplace_back(spec.gateway, spec.ifindex);
  for (const auto& bgp : config_.bgp)
    if (bgp.neighbor_address && !bgp.disabled)
      out.emplace_back(*bgp.neighbor_address,
                       bgp.interface.empty() ? 0 : ifindex_of(bgp.interface));
  return out;
}

// The kernel's route to an address when it is more specific than every connected network holding
// the address; of equally long ones the lowest metric, as the kernel chooses.
const netlink::KernelRoute* Daemon::kernel_route_to(const Address& address) const {
  int connected_len = -1;
  for (const auto& a : addresses_)
    if (!a.address.is_link_local() && a.network().contains(address))
      connected_len = std::max(connected_len, int(a.network().len));

  const netlink::KernelRoute* best = nullptr;
  for (const auto& [key, r] : kernel_routes_)
    if (r.prefix.family() == address.family && r.prefix.contains(address) &&
        int(r.prefix.len) > connected_len && (!best || r.prefix.len > best->prefix.len))
      best = &r;
  return best;
}

bool Daemon::into_l3_device(const netlink::KernelRoute& route) const {
  if (route.type != RTN_UNICAST || route.nexthops.empty() || route.nexthops.front().gateway)
    return false;
  auto link = links_.find(route.nexthops.front().ifindex);
  return link != links_.end() && link->second.l3();
}

void Daemon::sync_kernel_routes() {
  std::map<Prefix, const netlink::KernelRoute*> want;  // emplace keeps the lowest metric
  for (const auto& [key, r] : kernel_routes_)
    if (into_l3_device(r))
      want.emplace(r.prefix, &r);
  for (const auto& [address, ifindex] : next_hop_addresses())
    if (const auto* r = ifindex ? nullptr : kernel_route_to(address))
      want.emplace(r->prefix, r);

  bool changed = false;
  for (auto it = kernel_in_rib_.begin(); it != kernel_in_rib_.end();) {
    if (want.count(it->first)) {
      ++it;
      continue;
    }
    rib_->withdraw(it->first, kernel_proto_);
    it = kernel_in_rib_.erase(it);
    changed = true;
  }
  for (const auto& [prefix, route] : want) {
    auto spec = *rib::KernelSync::learned_route(*route, main_table);
    auto old = kernel_in_rib_.find(prefix);
    if (old != kernel_in_rib_.end() && same_route(old->second, spec))
      continue;
    spdlog::debug("kernel: route {} taken into the RIB", prefix);
    rib_->update(prefix, kernel_proto_, spec);
    kernel_in_rib_[prefix] = spec;
    changed = true;
  }
  if (changed)
    after_change();  // gateways to resolve; the plan after this one finds nothing to change
}

// What the attach plan walks: connected networks, the kernel's routes (all of them, the lowest
// metric of a prefix first) and the static routes.
std::vector<dp::PathRoute> Daemon::path_routes() const {
  std::vector<dp::PathRoute> out;
  for (const auto& a : addresses_)
    if (!a.address.is_link_local())
      out.push_back({a.network(), std::nullopt, a.ifindex});
  for (const auto& [key, r] : kernel_routes_)
    if (r.type == RTN_UNICAST && !r.nexthops.empty())
      out.push_back({r.prefix, r.nexthops.front().gateway, r.nexthops.front().ifindex});
  for (const auto& [key, spec] : statics_) {
    if (spec.kind == rib::RouteKind::gateway)
      out.push_back({key.prefix, spec.gateway, spec.ifindex});
    else if (spec.kind == rib::RouteKind::interface)
      out.push_back({key.prefix, std::nullopt, spec.ifindex});
  }
  return out;
}

}  // namespace bpfr::daemon
