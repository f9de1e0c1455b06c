#include "dataplane/attach_plan.h"

namespace bpfr::dp {

namespace {

using FPI = config::FastPathInterface;

uint8_t urpf_of(const FPI* c) {
  if (!c || !c->urpf)
    return BPFR_URPF_OFF;
  switch (*c->urpf) {
    case FPI::Urpf::off:
      return BPFR_URPF_OFF;
    case FPI::Urpf::loose:
      return BPFR_URPF_LOOSE;
    case FPI::Urpf::strict:
      return BPFR_URPF_STRICT;
  }
  return BPFR_URPF_OFF;
}

IfaceSettings settings_for(const FPI* c, bool upstream) {
  IfaceSettings s;
  if (c && c->role)
    upstream = *c->role == FPI::Role::upstream;
  s.role = upstream ? BPFR_ROLE_UPSTREAM : BPFR_ROLE_INTERNAL;
  s.urpf = urpf_of(c);
  if (upstream)
    s.flags = BPFR_IFACE_F_BOGON_SRC | BPFR_IFACE_F_SPOOF_OWN;
  return s;
}

const PathRoute* longest_match(const Address& address, const std::vector<PathRoute>& routes) {
  const PathRoute* best = nullptr;
  for (const PathRoute& r : routes)
    if (r.prefix.family() == address.family && r.prefix.contains(address) &&
        (!best || r.prefix.len > best->prefix.len))
      best = &r;
  return best;
}

}  // namespace

uint32_t egress_device(const Address& address, const std::vector<PathRoute>& routes) {
  Address target = address;
  for (unsigned depth = 0; depth < max_path_depth; ++depth) {
    const PathRoute* r = longest_match(target, routes);
    if (!r)
      return 0;
    if (r->ifindex)
      return r->ifindex;
    if (!r->gateway || *r->gateway == target)
      return 0;
    target = *r->gateway;
  }
  return 0;
}

std::vector<Attach> plan_attachments(const std::vector<Device>& devices,
                                     const InterfaceLookup& configured,
                                     const std::set<uint32_t>& next_hop_devices,
                                     const std::set<uint32_t>& route_devices) {
  std::vector<Attach> plan;
  for (const Device& d : devices) {
    const FPI* c = configured ? configured(d.name) : nullptr;
    bool reaches_next_hop = next_hop_devices.count(d.ifindex) > 0;
    Attach a{d.ifindex, d.name};

    if (c) {
      if (c->mode && *c->mode == FPI::Mode::off)
        continue;
      bool l3 = c->kind ? *c->kind == FPI::Kind::l3 : d.l3;
      bool dummy = c->kind ? *c->kind == FPI::Kind::dummy : d.dummy;
      if (dummy || d.loopback)
        continue;
      a.hook = l3 ? Attach::Hook::tc_l3 : Attach::Hook::xdp;
      a.mode = c->mode && *c->mode == FPI::Mode::generic ? XdpMode::generic : XdpMode::native;
      a.settings = settings_for(c, reaches_next_hop);
      a.why = "configured";
      plan.push_back(a);
      continue;
    }

    if (d.loopback || d.dummy || d.bridge || d.bridge_port)
      continue;
    if (d.l3 && route_devices.count(d.ifindex)) {
      a.hook = Attach::Hook::tc_l3;
      a.settings = settings_for(nullptr, reaches_next_hop);
      a.why = "routes point into it";
      plan.push_back(a);
    } else if (!d.l3 && reaches_next_hop) {
      a.hook = Attach::Hook::xdp;
      a.settings = settings_for(nullptr, true);
      a.why = "next hops are reached through it";
      plan.push_back(a);
    }
  }
  return plan;
}

}  // namespace bpfr::dp
