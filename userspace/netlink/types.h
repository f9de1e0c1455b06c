// The kernel's view of links, addresses, neighbours and routes, as rtnetlink reports them.
#pragma once

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/ip.h"

namespace bpfr::netlink {

using Mac = std::array<uint8_t, 6>;

// IFLA_INFO_KIND, for the kinds the daemon treats differently; anything else is `other` and
// keeps its text in Link::kind_name.
enum class LinkKind : uint8_t {
  none,  // no IFLA_LINKINFO: physical devices, loopback
  dummy,
  wireguard,
  tun,
  veth,
  bridge,
  vlan,
  other,
};

LinkKind link_kind_from_name(std::string_view kind);

struct Link {
  uint32_t ifindex = 0;
  std::string name;
  uint16_t type = 0;   // ARPHRD_*: ARPHRD_ETHER, ARPHRD_NONE (wireguard, tun), ARPHRD_LOOPBACK
  uint32_t flags = 0;  // IFF_*
  uint32_t mtu = 0;
  std::optional<Mac> mac;  // IFLA_ADDRESS when it is 6 bytes long
  LinkKind kind = LinkKind::none;
  std::string kind_name;  // IFLA_INFO_KIND as the kernel gave it, empty if none
  uint32_t master = 0;    // IFLA_MASTER (bridge port), 0 if none

  bool up() const;       // IFF_UP
  bool running() const;  // IFF_RUNNING (carrier and up)
  bool loopback() const;
  // A device that carries IP without Ethernet framing (WireGuard, TUN in tun mode): no MAC,
  // no neighbours, and no XDP transmit. Decided from the device's type, never its name.
  bool l3() const;

  bool operator==(const Link&) const = default;
};

// An address on an interface (RTM_NEWADDR), with the connected prefix it implies.
struct InterfaceAddress {
  uint32_t ifindex = 0;
  Address address;  // IFA_LOCAL if present, else IFA_ADDRESS
  uint8_t prefixlen = 0;
  std::optional<Address> peer;  // IFA_ADDRESS when it differs from IFA_LOCAL (point-to-point)
  uint8_t scope = 0;            // RT_SCOPE_*
  uint32_t flags = 0;           // IFA_F_*, from IFA_FLAGS when present

  // The connected network: the peer's prefix on point-to-point links, else address/prefixlen.
  Prefix network() const;
  bool tentative() const;  // IPv6 DAD not finished: not usable as a source yet

  bool operator==(const InterfaceAddress&) const = default;
};

// A neighbour table entry (RTM_NEWNEIGH), IPv4 ARP or IPv6 ND.
struct Neighbour {
  uint32_t ifindex = 0;
  Address address;
  std::optional<Mac> mac;  // NDA_LLADDR, absent while incomplete
  uint16_t state = 0;      // NUD_*
  uint8_t flags = 0;       // NTF_*

  // Reachable enough to forward to: REACHABLE, STALE, DELAY, PROBE, PERMANENT, NOARP, with a MAC.
  bool usable() const;
  bool failed() const;  // NUD_FAILED or NUD_INCOMPLETE

  bool operator==(const Neighbour&) const = default;
};

struct RouteNextHop {
  std::optional<Address> gateway;  // RTA_GATEWAY or RTA_VIA; none: on-link
  uint32_t ifindex = 0;            // RTA_OIF
  uint8_t weight = 1;              // multipath weight, 1..256 stored as weight-1 on the wire
  uint8_t flags = 0;               // RTNH_F_*

  bool operator==(const RouteNextHop&) const = default;
};

// A route in one of the kernel's tables (RTM_NEWROUTE), or one the exporter installs.
struct KernelRoute {
  Prefix prefix;
  uint32_t table = 254;            // RT_TABLE_MAIN; RTA_TABLE when above 255
  uint8_t protocol = 0;            // RTPROT_*; RTPROT_BIRD (12) for what bpfrouter installs
  uint8_t scope = 0;               // RT_SCOPE_UNIVERSE for gateways, RT_SCOPE_LINK for on-link
  uint8_t type = 1;                // RTN_UNICAST, RTN_LOCAL, RTN_BLACKHOLE, RTN_UNREACHABLE, ...
  uint32_t priority = 0;           // RTA_PRIORITY, the metric
  std::optional<Address> prefsrc;  // RTA_PREFSRC
  std::vector<RouteNextHop> nexthops;  // one, or several for a multipath (RTA_MULTIPATH) route
  uint32_t flags = 0;                  // RTM_F_*

  bool operator==(const KernelRoute&) const = default;
};

std::string_view to_string(LinkKind k);
std::string neigh_state_name(uint16_t state);
std::string mac_str(const Mac& mac);

}  // namespace bpfr::netlink

template <>
struct fmt::formatter<bpfr::netlink::LinkKind> : fmt::formatter<std::string_view> {
  auto format(bpfr::netlink::LinkKind k, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(bpfr::netlink::to_string(k), ctx);
  }
};
