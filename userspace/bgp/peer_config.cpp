#include "bgp/peer_config.h"

#include "config/filter.h"

namespace bpfr::bgp {
namespace {

filter::RouteSource filter_source(RouteSource s) {
  switch (s) {
    case RouteSource::bgp:
      return filter::RouteSource::bgp;
    case RouteSource::static_:
      return filter::RouteSource::static_;
    case RouteSource::direct:
      return filter::RouteSource::device;
    case RouteSource::kernel:
      return filter::RouteSource::inherit;
  }
  return filter::RouteSource::dummy;
}

ImportLimit::Action limit_action(config::Limit::Action a) {
  switch (a) {
    case config::Limit::Action::warn:
      return ImportLimit::Action::warn;
    case config::Limit::Action::block:
      return ImportLimit::Action::block;
    case config::Limit::Action::restart:
      return ImportLimit::Action::restart;
    case config::Limit::Action::disable:
      return ImportLimit::Action::disable;
  }
  return ImportLimit::Action::disable;
}

ChannelConfig channel_config(const config::Channel& c) {
  ChannelConfig ch;
  ch.family = c.family;
  ch.import_policy = policy(c.import_policy);
  ch.export_policy = policy(c.export_policy);
  if (c.import_limit)
    ch.import_limit = ImportLimit{c.import_limit->max, limit_action(c.import_limit->action)};
  ch.next_hop_self = c.next_hop_self;
  ch.next_hop_address = c.next_hop_address;
  return ch;
}

uint16_t seconds(uint32_t v) {
  return static_cast<uint16_t>(std::min<uint32_t>(v, 65535));
}

}  // namespace

Policy policy(const config::Policy& p) {
  switch (p.kind) {
    case config::Policy::Kind::all:
      return Policy::accept_all();
    case config::Policy::Kind::none:
      return Policy::reject_all();
    case config::Policy::Kind::filter:
      break;
  }
  auto compiled = p.filter;
  if (!compiled)
    return Policy::reject_all();
  return Policy::callback([compiled](PolicyRoute& r) {
    auto view = to_filter_route(r);
    if (filter::run(*compiled, view) != filter::Verdict::accept)
      return false;
    apply_filter_route(view, r);
    return true;
  });
}

PeerConfig peer_config(const config::BgpProtocol& p) {
  PeerConfig c;
  c.name = p.name;
  c.description = p.description;
  if (p.neighbor_address)
    c.neighbor = *p.neighbor_address;
  c.port = p.neighbor_port;
  c.interface = p.interface;
  c.local_as = p.local_as;
  c.peer_as = p.neighbor_as;
  c.source_address = p.source_address ? p.source_address : p.local_address;
  if (p.multihop)
    c.multihop = *p.multihop;
  c.ttl_security = p.ttl_security;
  c.password = p.password;
  c.passive = p.passive;
  c.hold_time = seconds(p.hold_time);
  c.keepalive_time = seconds(p.keepalive_time);
  c.connect_retry_time = seconds(p.connect_retry_time);
  c.connect_delay_time = seconds(p.connect_delay_time);
  c.graceful_restart = p.graceful_restart != config::BgpProtocol::GracefulRestart::off;
  c.graceful_restart_time = seconds(p.graceful_restart_time);
  c.enable_route_refresh = p.enable_route_refresh;
  c.enable_as4 = p.enable_as4;
  c.enable_extended_messages = p.enable_extended_messages;
  if (const auto* ch = p.channel(Family::v4))
    c.ipv4 = channel_config(*ch);
  if (const auto* ch = p.channel(Family::v6))
    c.ipv6 = channel_config(*ch);
  return c;
}

filter::FilterRoute to_filter_route(const PolicyRoute& r) {
  filter::FilterRoute f;
  f.net = r.prefix;
  f.source = filter_source(r.source);
  f.proto = r.proto;
  if (r.next_hop)
    f.gw = r.next_hop->global;
  if (r.from)
    f.from = r.from->address;

  const auto& a = r.attrs;
  if (a.origin)
    f.origin = static_cast<filter::Origin>(*a.origin);
  if (a.as_path)
    for (const auto& seg : a.as_path->segments)
      f.as_path.push_back({static_cast<filter::AsPathSegment::Type>(seg.type), seg.asns});
  if (r.next_hop)
    f.next_hop = r.next_hop->global;
  f.med = a.med;
  f.local_pref = a.local_pref;
  f.communities = a.communities;
  f.ext_communities = a.ext_communities;
  for (const auto& lc : a.large_communities)
    f.large_communities.push_back({lc.global, lc.local1, lc.local2});
  return f;
}

void apply_filter_route(const filter::FilterRoute& f, PolicyRoute& r) {
  auto& a = r.attrs;
  if (f.origin)
    a.origin = static_cast<Origin>(*f.origin);
  if (!f.as_path.empty() || a.as_path) {
    AsPath path;
    for (const auto& seg : f.as_path)
      path.segments.push_back({static_cast<SegmentType>(seg.type), seg.asns});
    a.as_path = std::move(path);
  }
  a.med = f.med;
  a.local_pref = f.local_pref;
  a.communities = f.communities;
  a.ext_communities = f.ext_communities;
  a.large_communities.clear();
  for (const auto& lc : f.large_communities)
    a.large_communities.push_back({lc.global, lc.local1, lc.local2});
  if (f.next_hop && (!r.next_hop || r.next_hop->global != *f.next_hop))
    r.next_hop = RouteNextHop{*f.next_hop, std::nullopt};
}

}  // namespace bpfr::bgp
