#include "rib/kernel_export.h"

#include <linux/rtnetlink.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>

#include "netlink/netlink.h"

namespace bpfr::rib {

RouteWriter netlink_writer(netlink::Netlink& nl, std::string protocol_name) {
  return [&nl, name = std::move(protocol_name)](netlink::RouteOp op,
                                                const netlink::KernelRoute& route) {
    Prefix prefix = route.prefix;
    nl.install_route(op, route, [name, op, prefix](const netlink::Ack& ack) {
      // Removing a route the kernel already dropped (its device went away) is not an error.
      if (ack.error == 0 || (op == netlink::RouteOp::remove && ack.error == -ESRCH))
        return;
      spdlog::warn("kernel {}: {} {} refused by the kernel: {}{}{}, kernel FIB differs from ours",
                   name, op == netlink::RouteOp::remove ? "removing" : "installing", prefix,
                   std::strerror(-ack.error), ack.message.empty() ? "" : ": ", ack.message);
    });
  };
}

KernelExporter::KernelExporter(RouteWriter writer, KernelExportOptions options)
    : writer_(std::move(writer)), options_(std::move(options)) {}

std::optional<netlink::KernelRoute> KernelExporter::to_kernel(const FibEntry& e,
                                                              const KernelExportOptions& o,
                                                              const KernelAttrs& attrs) {
  if (e.source == Source::direct || e.source == Source::kernel)
    return std::nullopt;

  netlink::KernelRoute r;
  r.prefix = e.prefix;
  r.table = o.table;
  r.protocol = o.protocol;
  r.priority = attrs.metric.value_or(o.metric);
  r.scope = RT_SCOPE_UNIVERSE;
  switch (e.action) {
    case Action::forward: {
      r.type = RTN_UNICAST;
      netlink::RouteNextHop nh;
      nh.ifindex = e.ifindex;
      nh.gateway = e.gateway;
      if (!e.gateway)
        r.scope = RT_SCOPE_LINK;
      r.nexthops.push_back(nh);
      r.prefsrc = e.prefix.family() == Family::v4 ? o.prefsrc_v4 : o.prefsrc_v6;
      if (attrs.prefsrc && attrs.prefsrc->family == e.prefix.family())
        r.prefsrc = attrs.prefsrc;
      break;
    }
    case Action::blackhole:
      r.type = RTN_BLACKHOLE;
      break;
    case Action::unreachable:
      r.type = RTN_UNREACHABLE;
      break;
    case Action::prohibit:
      r.type = RTN_PROHIBIT;
      break;
    case Action::local:
    case Action::kernel:
      return std::nullopt;
  }
  return r;
}

void KernelExporter::on_fib_update(const Prefix& prefix, const FibEntry& entry) {
  std::optional<netlink::KernelRoute> r;
  KernelAttrs attrs;
  if (!options_.accept || options_.accept(entry, attrs))
    r = to_kernel(entry, options_, attrs);
  auto old = installed_.find(prefix);
  // A route of another metric is another kernel route: the old one goes first.
  if (old != installed_.end() && (!r || old->second != r->priority))
    remove(prefix, old->second);
  if (!r)
    return;
  writer_(netlink::RouteOp::replace, *r);
  installed_[prefix] = r->priority;
  if (auto f = found_.find(prefix); f != found_.end() && f->second == r->priority)
    found_.erase(f);
}

void KernelExporter::on_fib_withdraw(const Prefix& prefix) {
  if (auto it = installed_.find(prefix); it != installed_.end())
    remove(prefix, it->second);
}

void KernelExporter::remove(const Prefix& prefix, uint32_t metric) {
  if (!installed_.erase(prefix))
    return;
  netlink::KernelRoute r;
  r.prefix = prefix;
  r.table = options_.table;
  r.protocol = options_.protocol;
  r.priority = metric;
  writer_(netlink::RouteOp::remove, r);
}

void KernelExporter::on_kernel_route(netlink::Change change, const netlink::KernelRoute& route) {
  if (route.protocol != options_.protocol || route.table != options_.table)
    return;
  auto mine = installed_.find(route.prefix);
  bool installed_by_us = mine != installed_.end() && mine->second == route.priority;
  if (change == netlink::Change::added && !installed_by_us)
    found_[route.prefix] = route.priority;
  else if (change == netlink::Change::removed)
    found_.erase(route.prefix);
}

void KernelExporter::prune() {
  for (const auto& [p, metric] : found_) {
    spdlog::info("kernel {}: removing stale route {} left by an earlier run", options_.name, p);
    netlink::KernelRoute r;
    r.prefix = p;
    r.table = options_.table;
    r.protocol = options_.protocol;
    r.priority = metric;
    writer_(netlink::RouteOp::remove, r);
  }
  found_.clear();
}

void KernelExporter::shutdown() {
  if (options_.persist) {
    spdlog::info("kernel {}: persist set, leaving {} routes in table {}", options_.name,
                 installed_.size(), options_.table);
    installed_.clear();
    return;
  }
  auto all = installed_;
  for (const auto& [p, metric] : all)
    remove(p, metric);
}

}  // namespace bpfr::rib
