// Which devices the fast path attaches to, and how.
//
// Unless the bpfrouter block names a device: XDP on the Ethernet devices through which BGP
// neighbours and static next hops are reached (the upstreams), tc on the L3 devices (no
// Ethernet framing: WireGuard, TUN) that routes point into, and nothing on loopback, dummy
// devices, bridges, bridge ports or other devices. A device the block names gets what the
// block says, `mode off` keeping it off the fast path.
#pragma once

#include <bpfrouter/maps.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/ip.h"
#include "config/config.h"
#include "dataplane/dataplane.h"

namespace bpfr::dp {

struct Device {
  uint32_t ifindex = 0;
  std::string name;
  bool up = true;
  bool loopback = false;
  bool l3 = false;  // no Ethernet framing: ARPHRD_NONE or no MAC
  bool dummy = false;
  bool bridge = false;
  bool bridge_port = false;
};

struct Attach {
  enum class Hook : uint8_t { xdp, tc_l3 };
  uint32_t ifindex = 0;
  std::string name;
  Hook hook = Hook::xdp;
  XdpMode mode = XdpMode::native;
  IfaceSettings settings;
  std::string why;  // for the log: "static next hop", "configured", ...

  bool operator==(const Attach& o) const {
    return ifindex == o.ifindex && name == o.name && hook == o.hook && mode == o.mode &&
           settings.role == o.settings.role && settings.urpf == o.settings.urpf &&
           settings.flags == o.settings.flags;
  }
};

// A route as the plan follows it to find where an address is reached: a connected network or a
// route naming its device ends the walk; a route with only a gateway is followed through it.
struct PathRoute {
  Prefix prefix;
  std::optional<Address> gateway;
  uint32_t ifindex = 0;  // 0: not known, found by following the gateway
};

// Gateways followed before a walk gives up (a loop, or routes nested deeper than any sane setup).
constexpr unsigned max_path_depth = 8;

// The device through which `address` is reached over `routes` (longest match; among equally
// long ones the first listed), following gateways recursively as a multihop BGP neighbour needs;
// 0 when no route leads to a device.
uint32_t egress_device(const Address& address, const std::vector<PathRoute>& routes);

using InterfaceLookup = std::function<const config::FastPathInterface*(const std::string&)>;

// next_hop_devices: where BGP neighbours and static next hops are reached;
// route_devices: where routes point into.
std::vector<Attach> plan_attachments(const std::vector<Device>& devices,
                                     const InterfaceLookup& configured,
                                     const std::set<uint32_t>& next_hop_devices,
                                     const std::set<uint32_t>& route_devices);

}  // namespace bpfr::dp
