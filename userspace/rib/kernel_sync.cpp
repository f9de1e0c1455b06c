#include "rib/kernel_sync.h"

#include <linux/rtnetlink.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace bpfr::rib {

KernelSync::KernelSync(Rib& rib, KernelSyncOptions options)
    : rib_(rib), options_(std::move(options)) {}

const netlink::Link* KernelSync::link(uint32_t ifindex) const {
  auto it = interfaces_.find(ifindex);
  return it == interfaces_.end() ? nullptr : &it->second.link;
}

const netlink::Link* KernelSync::link(std::string_view name) const {
  for (const auto& [ifindex, i] : interfaces_)
    if (i.link.name == name)
      return &i.link;
  return nullptr;
}

// One address enters or leaves the RIB: its connected network, the direct route, the local route.
void KernelSync::apply(Interface& i, const netlink::InterfaceAddress& a, bool add) {
  Prefix network = a.network();
  Prefix host = Prefix::make(a.address, a.address.bits());
  bool direct =
      options_.direct && (!options_.direct_interfaces || options_.direct_interfaces(i.link));
  if (add) {
    rib_.add_connected(network, a.ifindex);
    if (direct)
      rib_.update(network, *options_.direct, {RouteKind::interface, {}, a.ifindex});
    if (options_.local)
      rib_.update(host, *options_.local, {RouteKind::local, {}, a.ifindex});
    return;
  }
  rib_.remove_connected(network, a.ifindex);
  // Another address of the same network on this interface keeps the direct route.
  bool shared = std::any_of(i.addresses.begin(), i.addresses.end(), [&](const auto& x) {
    return x.network() == network && x.address != a.address;
  });
  if (direct && !shared)
    rib_.withdraw(network, *options_.direct);
  if (options_.local)
    rib_.withdraw(host, *options_.local);
}

void KernelSync::apply_all(Interface& i, bool add) {
  if (i.applied == add)
    return;
  i.applied = add;
  for (const auto& a : i.addresses)
    apply(i, a, add);
}

void KernelSync::on_link(netlink::Change change, const netlink::Link& link) {
  if (change == netlink::Change::removed) {
    auto it = interfaces_.find(link.ifindex);
    if (it == interfaces_.end())
      return;
    apply_all(it->second, false);
    interfaces_.erase(it);
    spdlog::info("device: {} removed, its addresses leave the RIB", link.name);
    return;
  }
  Interface& i = interfaces_[link.ifindex];
  bool was_up = i.link.up();
  i.link = link;
  if (link.up() != was_up)
    spdlog::info("device: {} {}, its addresses {} the RIB", link.name, link.up() ? "up" : "down",
                 link.up() ? "enter" : "leave");
  apply_all(i, link.up());
}

void KernelSync::on_address(netlink::Change change, const netlink::InterfaceAddress& a) {
  Interface& i = interfaces_[a.ifindex];
  i.link.ifindex = a.ifindex;
  auto it = std::find_if(i.addresses.begin(), i.addresses.end(), [&](const auto& x) {
    return x.address == a.address && x.prefixlen == a.prefixlen;
  });
  if (change == netlink::Change::added) {
    if (it != i.addresses.end()) {
      *it = a;  // flags changed (DAD finished): nothing the RIB sees
      return;
    }
    i.addresses.push_back(a);
    if (i.applied)
      apply(i, a, true);
    return;
  }
  if (it == i.addresses.end())
    return;
  netlink::InterfaceAddress gone = *it;
  i.addresses.erase(it);
  if (i.applied)
    apply(i, gone, false);
}

std::optional<RouteSpec> KernelSync::learned_route(const netlink::KernelRoute& r,
                                                   const KernelSyncOptions& o) {
  if (r.table != o.learn_table || r.protocol == o.own_protocol || r.protocol == RTPROT_KERNEL ||
      (r.flags & RTM_F_CLONED))
    return std::nullopt;

  RouteSpec spec;
  switch (r.type) {
    case RTN_UNICAST: {
      if (r.nexthops.empty())
        return std::nullopt;
      // A multipath kernel route is learned through its first next hop only.
      const auto& nh = r.nexthops.front();
      if (nh.gateway) {
        spec.kind = RouteKind::gateway;
        spec.gateway = *nh.gateway;
        spec.ifindex = nh.ifindex;
      } else if (nh.ifindex) {
        spec.kind = RouteKind::interface;
        spec.ifindex = nh.ifindex;
      } else {
        return std::nullopt;
      }
      return spec;
    }
    case RTN_BLACKHOLE:
      spec.kind = RouteKind::blackhole;
      return spec;
    case RTN_UNREACHABLE:
      spec.kind = RouteKind::unreachable;
      return spec;
    case RTN_PROHIBIT:
      spec.kind = RouteKind::prohibit;
      return spec;
    default:
      return std::nullopt;
  }
}

void KernelSync::on_route(netlink::Change change, const netlink::KernelRoute& route) {
  if (!options_.learn)
    return;
  auto spec = learned_route(route, options_);
  if (!spec)
    return;
  if (change == netlink::Change::added)
    rib_.update(route.prefix, *options_.learn, *spec);
  else
    rib_.withdraw(route.prefix, *options_.learn);
}

}  // namespace bpfr::rib
