#include "netlink/types.h"

#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_arp.h>
#include <linux/neighbour.h>

namespace bpfr::netlink {

LinkKind link_kind_from_name(std::string_view kind) {
  if (kind.empty())
    return LinkKind::none;
  if (kind == "dummy")
    return LinkKind::dummy;
  if (kind == "wireguard")
    return LinkKind::wireguard;
  if (kind == "tun")
    return LinkKind::tun;
  if (kind == "veth")
    return LinkKind::veth;
  if (kind == "bridge")
    return LinkKind::bridge;
  if (kind == "vlan")
    return LinkKind::vlan;
  return LinkKind::other;
}

std::string_view to_string(LinkKind k) {
  switch (k) {
    case LinkKind::none:
      return "none";
    case LinkKind::dummy:
      return "dummy";
    case LinkKind::wireguard:
      return "wireguard";
    case LinkKind::tun:
      return "tun";
    case LinkKind::veth:
      return "veth";
    case LinkKind::bridge:
      return "bridge";
    case LinkKind::vlan:
      return "vlan";
    case LinkKind::other:
      return "other";
  }
  return "other";
}

bool Link::up() const {
  return flags & IFF_UP;
}
bool Link::running() const {
  return (flags & IFF_UP) && (flags & IFF_RUNNING);
}
bool Link::loopback() const {
  return type == ARPHRD_LOOPBACK || (flags & IFF_LOOPBACK);
}

bool Link::l3() const {
  // WireGuard and TUN report ARPHRD_NONE; IP-in-IP and SIT tunnels have their own types but no
  // Ethernet header either. Only Ethernet-framed devices carry a 6-byte MAC.
  if (loopback())
    return false;
  return type != ARPHRD_ETHER || !mac;
}

Prefix InterfaceAddress::network() const {
  if (peer)
    return Prefix::make(*peer, prefixlen);
  return Prefix::make(address, prefixlen);
}

bool InterfaceAddress::tentative() const {
  return flags & IFA_F_TENTATIVE;
}

bool Neighbour::usable() const {
  constexpr uint16_t ok =
      NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT | NUD_NOARP;
  return (state & ok) && mac;
}

bool Neighbour::failed() const {
  return state & (NUD_FAILED | NUD_INCOMPLETE);
}

std::string neigh_state_name(uint16_t state) {
  static constexpr std::pair<uint16_t, const char*> names[] = {
      {NUD_INCOMPLETE, "INCOMPLETE"}, {NUD_REACHABLE, "REACHABLE"}, {NUD_STALE, "STALE"},
      {NUD_DELAY, "DELAY"},           {NUD_PROBE, "PROBE"},         {NUD_FAILED, "FAILED"},
      {NUD_NOARP, "NOARP"},           {NUD_PERMANENT, "PERMANENT"},
  };
  std::string out;
  for (auto [bit, name] : names) {
    if (!(state & bit))
      continue;
    if (!out.empty())
      out += '|';
    out += name;
  }
  return out.empty() ? "NONE" : out;
}

std::string mac_str(const Mac& m) {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4],
                     m[5]);
}

}  // namespace bpfr::netlink
