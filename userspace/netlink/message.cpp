#include "netlink/message.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>

namespace bpfr::netlink {

namespace {

constexpr size_t request_room = 1024;

uint8_t af_of(Family f) {
  return f == Family::v4 ? AF_INET : AF_INET6;
}

std::optional<Family> family_of(uint8_t af) {
  if (af == AF_INET)
    return Family::v4;
  if (af == AF_INET6)
    return Family::v6;
  return std::nullopt;
}

// A new request with its fixed header in `out`; returns the header to append attributes to.
nlmsghdr* start(Bytes& out, uint16_t type, uint16_t flags, uint32_t seq) {
  out.assign(request_room, 0);
  nlmsghdr* nlh = mnl_nlmsg_put_header(out.data());
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = flags;
  nlh->nlmsg_seq = seq;
  return nlh;
}

void finish(Bytes& out, const nlmsghdr* nlh) {
  out.resize(nlh->nlmsg_len);
}

void put_address(nlmsghdr* nlh, uint16_t type, const Address& a) {
  mnl_attr_put(nlh, type, a.size(), a.bytes.data());
}

// RTA_GATEWAY when the gateway's family is the route's, else RTA_VIA (IPv4 via IPv6, RFC 5549).
void put_gateway(nlmsghdr* nlh, Family route_family, const Address& gw) {
  if (gw.family == route_family) {
    put_address(nlh, RTA_GATEWAY, gw);
    return;
  }
  uint8_t via[2 + 16] = {};
  uint16_t af = af_of(gw.family);
  std::memcpy(via, &af, 2);
  std::memcpy(via + 2, gw.bytes.data(), gw.size());
  mnl_attr_put(nlh, RTA_VIA, 2 + gw.size(), via);
}

// RTA_MULTIPATH: a sequence of struct rtnexthop, each followed by its own attributes.
void put_multipath(nlmsghdr* nlh, const KernelRoute& r) {
  // Not flagged NLA_F_NESTED: its contents are not attributes, and iproute2 sends it bare.
  auto* mp = static_cast<nlattr*>(mnl_nlmsg_get_payload_tail(nlh));
  mp->nla_type = RTA_MULTIPATH;
  nlh->nlmsg_len += MNL_ALIGN(sizeof(nlattr));
  for (const auto& nh : r.nexthops) {
    auto* rtnh = static_cast<rtnexthop*>(mnl_nlmsg_get_payload_tail(nlh));
    nlh->nlmsg_len += RTNH_ALIGN(sizeof(rtnexthop));
    std::memset(rtnh, 0, sizeof *rtnh);
    rtnh->rtnh_flags = nh.flags;
    rtnh->rtnh_hops = uint8_t(nh.weight == 0 ? 0 : nh.weight - 1);
    rtnh->rtnh_ifindex = int(nh.ifindex);
    if (nh.gateway)
      put_gateway(nlh, r.prefix.family(), *nh.gateway);
    rtnh->rtnh_len = uint16_t(static_cast<char*>(mnl_nlmsg_get_payload_tail(nlh)) -
                              reinterpret_cast<char*>(rtnh));
  }
  mp->nla_len =
      uint16_t(static_cast<char*>(mnl_nlmsg_get_payload_tail(nlh)) - reinterpret_cast<char*>(mp));
}

std::optional<Address> attr_address(const nlattr* a, Family f) {
  size_t want = f == Family::v4 ? 4 : 16;
  if (mnl_attr_get_payload_len(a) < want)
    return std::nullopt;
  return Address::from_bytes(f, {static_cast<const uint8_t*>(mnl_attr_get_payload(a)), want});
}

std::optional<Mac> attr_mac(const nlattr* a) {
  if (mnl_attr_get_payload_len(a) != 6)
    return std::nullopt;
  Mac m;
  std::memcpy(m.data(), mnl_attr_get_payload(a), 6);
  return m;
}

std::optional<uint32_t> attr_u32(const nlattr* a) {
  if (mnl_attr_get_payload_len(a) < 4)
    return std::nullopt;
  return mnl_attr_get_u32(a);
}

std::string attr_string(const nlattr* a) {
  const char* p = static_cast<const char*>(mnl_attr_get_payload(a));
  return std::string(p, strnlen(p, mnl_attr_get_payload_len(a)));
}

// Calls f(attr) for every well-formed attribute in [start, start + len); stops at the first
// malformed one. Unknown types reach f too, which ignores them.
template <typename F>
void walk_attrs(const void* start, size_t len, F&& f) {
  auto* a = static_cast<const nlattr*>(start);
  int left = int(len);
  while (mnl_attr_ok(a, left)) {
    f(a);
    left -= int(MNL_ALIGN(a->nla_len));
    a = mnl_attr_next(a);
  }
}

// The attributes of a message after its family header of header_len bytes.
template <typename F>
void each_attr(const nlmsghdr* nlh, size_t header_len, F&& f) {
  size_t start = MNL_NLMSG_HDRLEN + MNL_ALIGN(header_len);
  if (nlh->nlmsg_len < start)
    return;
  walk_attrs(reinterpret_cast<const uint8_t*>(nlh) + start, nlh->nlmsg_len - start, f);
}

// The message's header if the span holds it all and it has at least `payload` bytes after it.
const nlmsghdr* header(std::span<const uint8_t> msg, size_t payload) {
  if (msg.size() < sizeof(nlmsghdr))
    return nullptr;
  auto* nlh = reinterpret_cast<const nlmsghdr*>(msg.data());
  if (nlh->nlmsg_len > msg.size() || nlh->nlmsg_len < MNL_NLMSG_HDRLEN + payload)
    return nullptr;
  return nlh;
}

void parse_linkinfo(const nlattr* info, Link& link) {
  walk_attrs(mnl_attr_get_payload(info), mnl_attr_get_payload_len(info), [&](const nlattr* a) {
    if (mnl_attr_get_type(a) == IFLA_INFO_KIND)
      link.kind_name = attr_string(a);
  });
  link.kind = link_kind_from_name(link.kind_name);
}

std::optional<Address> parse_via(const nlattr* a) {
  size_t len = mnl_attr_get_payload_len(a);
  if (len < 2)
    return std::nullopt;
  auto* p = static_cast<const uint8_t*>(mnl_attr_get_payload(a));
  uint16_t af;
  std::memcpy(&af, p, 2);
  auto f = family_of(uint8_t(af));
  if (!f || len < 2 + (*f == Family::v4 ? 4u : 16u))
    return std::nullopt;
  return Address::from_bytes(*f, {p + 2, len - 2});
}

void parse_multipath(const nlattr* mp, Family family, KernelRoute& route) {
  auto* p = static_cast<const uint8_t*>(mnl_attr_get_payload(mp));
  size_t left = mnl_attr_get_payload_len(mp);
  while (left >= sizeof(rtnexthop)) {
    rtnexthop rtnh;
    std::memcpy(&rtnh, p, sizeof rtnh);
    if (rtnh.rtnh_len < sizeof rtnh || rtnh.rtnh_len > left)
      break;
    RouteNextHop nh;
    nh.ifindex = uint32_t(rtnh.rtnh_ifindex);
    nh.flags = rtnh.rtnh_flags;
    nh.weight = uint8_t(rtnh.rtnh_hops + 1);
    walk_attrs(p + RTNH_ALIGN(sizeof rtnh), rtnh.rtnh_len - RTNH_ALIGN(sizeof rtnh),
               [&](const nlattr* a) {
                 if (mnl_attr_get_type(a) == RTA_GATEWAY)
                   nh.gateway = attr_address(a, family);
                 else if (mnl_attr_get_type(a) == RTA_VIA)
                   nh.gateway = parse_via(a);
               });
    route.nexthops.push_back(nh);
    size_t step = RTNH_ALIGN(rtnh.rtnh_len);
    if (step >= left)
      break;
    p += step;
    left -= step;
  }
}

}  // namespace

Bytes build_route(RouteOp op, const KernelRoute& r, uint32_t seq) {
  uint16_t type = op == RouteOp::remove ? RTM_DELROUTE : RTM_NEWROUTE;
  uint16_t flags = NLM_F_REQUEST | NLM_F_ACK;
  if (op == RouteOp::add)
    flags |= NLM_F_CREATE | NLM_F_EXCL;
  else if (op == RouteOp::replace)
    flags |= NLM_F_CREATE | NLM_F_REPLACE;

  Bytes out;
  nlmsghdr* nlh = start(out, type, flags, seq);
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  Family family = r.prefix.family();
  rtm->rtm_family = af_of(family);
  rtm->rtm_dst_len = r.prefix.len;
  rtm->rtm_table = r.table < 256 ? uint8_t(r.table) : uint8_t(RT_TABLE_UNSPEC);
  rtm->rtm_protocol = r.protocol;
  rtm->rtm_flags = r.flags;

  // A delete names the route by its key only: any scope and type, as `ip route del` does.
  rtm->rtm_scope = op == RouteOp::remove ? uint8_t(RT_SCOPE_NOWHERE) : r.scope;
  rtm->rtm_type = op == RouteOp::remove ? uint8_t(RTN_UNSPEC) : r.type;

  mnl_attr_put_u32(nlh, RTA_TABLE, r.table);
  if (r.prefix.len > 0)
    put_address(nlh, RTA_DST, r.prefix.addr);
  if (r.priority)
    mnl_attr_put_u32(nlh, RTA_PRIORITY, r.priority);
  if (op == RouteOp::remove) {
    finish(out, nlh);
    return out;
  }

  if (r.prefsrc)
    put_address(nlh, RTA_PREFSRC, *r.prefsrc);
  if (r.nexthops.size() == 1) {
    const auto& nh = r.nexthops.front();
    if (nh.gateway)
      put_gateway(nlh, family, *nh.gateway);
    if (nh.ifindex)
      mnl_attr_put_u32(nlh, RTA_OIF, nh.ifindex);
  } else if (r.nexthops.size() > 1) {
    put_multipath(nlh, r);
  }
  finish(out, nlh);
  return out;
}

Bytes build_neighbour_probe(uint32_t ifindex, const Address& address, uint32_t seq) {
  Bytes out;
  nlmsghdr* nlh =
      start(out, RTM_NEWNEIGH, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, seq);
  auto* ndm = static_cast<ndmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ndmsg)));
  ndm->ndm_family = af_of(address.family);
  ndm->ndm_ifindex = int(ifindex);
  ndm->ndm_state = NUD_NONE;
  ndm->ndm_flags = NTF_USE;
  put_address(nlh, NDA_DST, address);
  finish(out, nlh);
  return out;
}

Bytes build_dump(uint16_t type, uint8_t family, uint32_t seq) {
  Bytes out;
  nlmsghdr* nlh = start(out, type, NLM_F_REQUEST | NLM_F_DUMP, seq);
  // Every dump request starts with a family byte; struct rtgenmsg is that byte alone, but the
  // kernel reads the type's own header (ifinfomsg, ifaddrmsg, ...) when it is long enough, so
  // send the longest of them zeroed.
  size_t len = type == RTM_GETLINK    ? sizeof(ifinfomsg)
               : type == RTM_GETADDR  ? sizeof(ifaddrmsg)
               : type == RTM_GETNEIGH ? sizeof(ndmsg)
                                      : sizeof(rtmsg);
  auto* fam = static_cast<uint8_t*>(mnl_nlmsg_put_extra_header(nlh, len));
  fam[0] = family;
  finish(out, nlh);
  return out;
}

std::optional<Link> parse_link(std::span<const uint8_t> msg) {
  const nlmsghdr* nlh = header(msg, sizeof(ifinfomsg));
  if (!nlh || (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK))
    return std::nullopt;
  auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));

  Link link;
  link.ifindex = uint32_t(ifi->ifi_index);
  link.type = ifi->ifi_type;
  link.flags = ifi->ifi_flags;
  each_attr(nlh, sizeof(ifinfomsg), [&](const nlattr* a) {
    switch (mnl_attr_get_type(a)) {
      case IFLA_IFNAME:
        link.name = attr_string(a);
        break;
      case IFLA_MTU:
        link.mtu = attr_u32(a).value_or(0);
        break;
      case IFLA_ADDRESS:
        link.mac = attr_mac(a);
        break;
      case IFLA_MASTER:
        link.master = attr_u32(a).value_or(0);
        break;
      case IFLA_LINKINFO:
        parse_linkinfo(a, link);
        break;
      default:
        break;
    }
  });
  return link;
}

std::optional<InterfaceAddress> parse_address(std::span<const uint8_t> msg) {
  const nlmsghdr* nlh = header(msg, sizeof(ifaddrmsg));
  if (!nlh || (nlh->nlmsg_type != RTM_NEWADDR && nlh->nlmsg_type != RTM_DELADDR))
    return std::nullopt;
  auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(nlh));
  auto family = family_of(ifa->ifa_family);
  if (!family)
    return std::nullopt;

  InterfaceAddress out;
  out.ifindex = ifa->ifa_index;
  out.prefixlen = ifa->ifa_prefixlen;
  out.scope = ifa->ifa_scope;
  out.flags = ifa->ifa_flags;
  std::optional<Address> local, address;
  each_attr(nlh, sizeof(ifaddrmsg), [&](const nlattr* a) {
    switch (mnl_attr_get_type(a)) {
      case IFA_LOCAL:
        local = attr_address(a, *family);
        break;
      case IFA_ADDRESS:
        address = attr_address(a, *family);
        break;
      case IFA_FLAGS:
        out.flags = attr_u32(a).value_or(out.flags);
        break;
      default:
        break;
    }
  });
  if (!local && !address)
    return std::nullopt;
  out.address = local ? *local : *address;
  if (local && address && *local != *address)
    out.peer = address;
  return out;
}

std::optional<Neighbour> parse_neighbour(std::span<const uint8_t> msg) {
  const nlmsghdr* nlh = header(msg, sizeof(ndmsg));
  if (!nlh || (nlh->nlmsg_type != RTM_NEWNEIGH && nlh->nlmsg_type != RTM_DELNEIGH))
    return std::nullopt;
  auto* ndm = static_cast<const ndmsg*>(mnl_nlmsg_get_payload(nlh));
  auto family = family_of(ndm->ndm_family);
  if (!family)
    return std::nullopt;

  Neighbour n;
  n.ifindex = uint32_t(ndm->ndm_ifindex);
  n.state = ndm->ndm_state;
  n.flags = ndm->ndm_flags;
  std::optional<Address> dst;
  each_attr(nlh, sizeof(ndmsg), [&](const nlattr* a) {
    switch (mnl_attr_get_type(a)) {
      case NDA_DST:
        dst = attr_address(a, *family);
        break;
      case NDA_LLADDR:
        n.mac = attr_mac(a);
        break;
      default:
        break;
    }
  });
  if (!dst)
    return std::nullopt;
  n.address = *dst;
  return n;
}

std::optional<KernelRoute> parse_route(std::span<const uint8_t> msg) {
  const nlmsghdr* nlh = header(msg, sizeof(rtmsg));
  if (!nlh || (nlh->nlmsg_type != RTM_NEWROUTE && nlh->nlmsg_type != RTM_DELROUTE))
    return std::nullopt;
  auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(nlh));
  auto family = family_of(rtm->rtm_family);
  if (!family || rtm->rtm_dst_len > (*family == Family::v4 ? 32 : 128))
    return std::nullopt;

  KernelRoute r;
  r.table = rtm->rtm_table;
  r.protocol = rtm->rtm_protocol;
  r.scope = rtm->rtm_scope;
  r.type = rtm->rtm_type;
  r.flags = rtm->rtm_flags;
  Address dst;
  dst.family = *family;
  RouteNextHop single;
  bool has_single = false;
  each_attr(nlh, sizeof(rtmsg), [&](const nlattr* a) {
    switch (mnl_attr_get_type(a)) {
      case RTA_DST:
        dst = attr_address(a, *family).value_or(dst);
        break;
      case RTA_TABLE:
        r.table = attr_u32(a).value_or(r.table);
        break;
      case RTA_PRIORITY:
        r.priority = attr_u32(a).value_or(0);
        break;
      case RTA_PREFSRC:
        r.prefsrc = attr_address(a, *family);
        break;
      case RTA_GATEWAY:
        single.gateway = attr_address(a, *family);
        has_single = true;
        break;
      case RTA_VIA:
        single.gateway = parse_via(a);
        has_single = true;
        break;
      case RTA_OIF:
        single.ifindex = attr_u32(a).value_or(0);
        has_single = true;
        break;
      case RTA_MULTIPATH:
        parse_multipath(a, *family, r);
        break;
      default:
        break;
    }
  });
  r.prefix = Prefix::make(dst, rtm->rtm_dst_len);
  if (has_single && r.nexthops.empty())
    r.nexthops.push_back(single);
  return r;
}

std::optional<Ack> parse_ack(std::span<const uint8_t> msg) {
  const nlmsghdr* nlh = header(msg, sizeof(nlmsgerr));
  if (!nlh || nlh->nlmsg_type != NLMSG_ERROR)
    return std::nullopt;
  auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));

  Ack ack;
  ack.seq = err->msg.nlmsg_seq;
  ack.error = err->error;

  // Extended ACK (NETLINK_EXT_ACK): attributes follow the echoed request, or only its header
  // when NLM_F_CAPPED is set.
  if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
    return ack;
  size_t echoed = (nlh->nlmsg_flags & NLM_F_CAPPED) ? sizeof(nlmsghdr) : err->msg.nlmsg_len;
  size_t offset = sizeof(nlmsgerr) - sizeof(nlmsghdr) + MNL_ALIGN(echoed);
  if (MNL_NLMSG_HDRLEN + offset > nlh->nlmsg_len)
    return ack;
  each_attr(nlh, offset, [&](const nlattr* a) {
    if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG)
      ack.message = attr_string(a);
  });
  return ack;
}

Message parse_message(std::span<const uint8_t> msg) {
  const nlmsghdr* nlh = header(msg, 0);
  if (!nlh)
    return std::monostate{};
  auto change = [&](uint16_t del) {
    return nlh->nlmsg_type == del ? Change::removed : Change::added;
  };
  switch (nlh->nlmsg_type) {
    case RTM_NEWLINK:
    case RTM_DELLINK:
      if (auto l = parse_link(msg))
        return LinkEvent{change(RTM_DELLINK), std::move(*l)};
      break;
    case RTM_NEWADDR:
    case RTM_DELADDR:
      if (auto a = parse_address(msg))
        return AddressEvent{change(RTM_DELADDR), *a};
      break;
    case RTM_NEWNEIGH:
    case RTM_DELNEIGH:
      if (auto n = parse_neighbour(msg))
        return NeighbourEvent{change(RTM_DELNEIGH), *n};
      break;
    case RTM_NEWROUTE:
    case RTM_DELROUTE:
      if (auto r = parse_route(msg))
        return RouteEvent{change(RTM_DELROUTE), std::move(*r)};
      break;
    case NLMSG_ERROR:
      if (auto a = parse_ack(msg))
        return *a;
      break;
    case NLMSG_DONE:
      return DumpDone{nlh->nlmsg_seq};
    default:
      break;
  }
  return std::monostate{};
}

std::vector<std::span<const uint8_t>> split_messages(std::span<const uint8_t> datagram) {
  std::vector<std::span<const uint8_t>> out;
  size_t off = 0;
  while (datagram.size() - off >= sizeof(nlmsghdr)) {
    nlmsghdr nlh;
    std::memcpy(&nlh, datagram.data() + off, sizeof nlh);
    if (nlh.nlmsg_len < sizeof(nlmsghdr) || nlh.nlmsg_len > datagram.size() - off)
      break;
    out.push_back(datagram.subspan(off, nlh.nlmsg_len));
    off += MNL_ALIGN(nlh.nlmsg_len);
    if (off > datagram.size())
      break;
  }
  return out;
}

std::string describe_request(std::span<const uint8_t> msg) {
  const nlmsghdr* nlh = header(msg, 0);
  if (!nlh)
    return "truncated request";
  switch (nlh->nlmsg_type) {
    case RTM_NEWROUTE:
    case RTM_DELROUTE:
      if (auto r = parse_route(msg))
        return fmt::format("{} {} table {} metric {}",
                           nlh->nlmsg_type == RTM_NEWROUTE ? "RTM_NEWROUTE" : "RTM_DELROUTE",
                           r->prefix, r->table, r->priority);
      break;
    case RTM_NEWNEIGH:
      if (auto n = parse_neighbour(msg))
        return fmt::format("RTM_NEWNEIGH {} ifindex {}", n->address, n->ifindex);
      break;
    default:
      break;
  }
  return fmt::format("netlink request type {}", nlh->nlmsg_type);
}

}  // namespace bpfr::netlink
