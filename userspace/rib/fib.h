// What the RIB hands the forwarding side: per prefix, the chosen route resolved to something a
// packet can follow. The fast path (dataplane) and `protocol kernel` (KernelExporter) listen.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <optional>

#include "common/ip.h"

namespace bpfr::rib {

// Mirrors enum bpfr_route_action in include/bpfrouter/maps.h; the values are the same.
enum class Action : uint8_t {
  forward = 0,      // out of ifindex, to gateway (or on-link to the destination)
  local = 1,        // an address of this host
  blackhole = 2,    // drop silently
  unreachable = 3,  // the kernel answers ICMP unreachable
  prohibit = 4,     // the kernel answers ICMP administratively prohibited
  kernel = 5,       // hand to the kernel: no resolvable next hop, or kept off the fast path
};

// Which kind of protocol a route came from. BIRD's default preference is given for each.
enum class Source : uint8_t {
  direct = 0,   // connected prefixes of interface addresses, 240
  static_ = 1,  // protocol static, 200
  bgp = 2,      // 100
  kernel = 3,   // routes learned from the kernel's table, 10
};

constexpr uint16_t default_preference(Source s) {
  switch (s) {
    case Source::direct:
      return 240;
    case Source::static_:
      return 200;
    case Source::bgp:
      return 100;
    case Source::kernel:
      return 10;
  }
  return 0;
}

// The best route for a prefix, resolved. For Action::forward, ifindex is the egress device and
// gateway the connected neighbour found by recursive resolution; no gateway means the prefix is
// on-link (a device route): the neighbour is the packet's own destination.
struct FibEntry {
  Prefix prefix;
  Action action = Action::kernel;
  uint32_t ifindex = 0;
  std::optional<Address> gateway;
  Source source = Source::static_;
  uint16_t proto = 0;    // the protocol instance (Rib::add_protocol), to name it in logs
  bool learned = false;  // from a dynamic protocol (BGP): distrusted when the daemon is gone
  bool own = false;      // a prefix we originate: sources inside it are spoofed on upstreams

  bool operator==(const FibEntry&) const = default;
};

// Called on the daemon's single thread, in the order changes happen. An update replaces any
// earlier entry of the same prefix; a withdraw comes only for a prefix that had an update.
class FibListener {
 public:
  virtual ~FibListener() = default;
  virtual void on_fib_update(const Prefix& prefix, const FibEntry& entry) = 0;
  virtual void on_fib_withdraw(const Prefix& prefix) = 0;
};

std::string_view to_string(Action a);
std::string_view to_string(Source s);

}  // namespace bpfr::rib

template <>
struct fmt::formatter<bpfr::rib::Action> : fmt::formatter<std::string_view> {
  auto format(bpfr::rib::Action a, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(bpfr::rib::to_string(a), ctx);
  }
};

template <>
struct fmt::formatter<bpfr::rib::Source> : fmt::formatter<std::string_view> {
  auto format(bpfr::rib::Source s, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(bpfr::rib::to_string(s), ctx);
  }
};
