// A configured BGP neighbour: its settings as the session layer needs them, who it is once up,
// and the policies that decide which routes it may send and receive.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "bgp/attributes.h"
#include "common/ip.h"

namespace bpfr::bgp {

using AttrsRef = std::shared_ptr<const PathAttributes>;

// The next hop of a route, global plus (IPv6 only) link-local (RFC 2545 3).
struct RouteNextHop {
  Address global;
  std::optional<Address> link_local;

  bool operator==(const RouteNextHop&) const = default;
};

// Who a route came from, as the decision process and the logs need it.
struct PeerInfo {
  std::string name;
  Address address;
  uint32_t ifindex = 0;  // link-local neighbours only
  uint32_t local_as = 0;
  uint32_t peer_as = 0;
  uint32_t router_id = 0;  // the peer's BGP identifier once the session is up, host order

  bool external() const { return local_as != peer_as; }
};

// The kind of protocol a route came from, as filters see it in `source`.
enum class RouteSource : uint8_t { bgp, static_, direct, kernel };

// A route on its way through a policy. The policy may change attrs (and next_hop on import).
struct PolicyRoute {
  Prefix prefix;
  PathAttributes attrs;
  std::optional<RouteNextHop> next_hop;
  const PeerInfo* from = nullptr;  // the BGP peer it was learned from; nullptr for other sources
  std::string proto;               // the protocol that brought it ("static1", "upstream")
  RouteSource source = RouteSource::bgp;
};

// An import or export policy. A default-constructed Policy is "none configured": RFC 8212
// makes an eBGP session with no policy exchange no routes, an iBGP one takes everything.
class Policy {
 public:
  using Fn = std::function<bool(PolicyRoute&)>;  // true: accept (with its changes)

  Policy() = default;
  static Policy accept_all() { return Policy(Kind::all, {}); }
  static Policy reject_all() { return Policy(Kind::none, {}); }
  static Policy callback(Fn fn) { return Policy(Kind::callback, std::move(fn)); }

  bool configured() const { return kind_ != Kind::unset; }
  bool run(PolicyRoute& route, bool external) const;

 private:
  enum class Kind : uint8_t { unset, all, none, callback };
  Policy(Kind kind, Fn fn) : kind_(kind), fn_(std::move(fn)) {}

  Kind kind_ = Kind::unset;
  Fn fn_;
};

// `import limit N action ...` (BIRD semantics).
struct ImportLimit {
  enum class Action : uint8_t { warn, block, restart, disable };
  uint32_t limit = 0;
  Action action = Action::disable;
};

struct ChannelConfig {
  Family family = Family::v6;
  Policy import_policy;
  Policy export_policy;
  std::optional<ImportLimit> import_limit;
  bool next_hop_self = false;               // also on iBGP; eBGP always sets itself as next hop
  std::optional<Address> next_hop_address;  // our next hop for this family, else the session's
};

struct PeerConfig {
  std::string name;
  std::string description;
  Address neighbor;
  uint16_t port = 179;
  std::string interface;  // required for a link-local neighbour
  uint32_t local_as = 0;
  uint32_t peer_as = 0;
  std::optional<Address> source_address;
  std::optional<unsigned> multihop;  // TTL; nullopt: directly connected for eBGP, 64 for iBGP
  bool ttl_security = false;         // RFC 5082
  std::string password;              // TCP-MD5 (RFC 2385)
  bool passive = false;
  uint16_t hold_time = 240;
  uint16_t keepalive_time = 0;
  uint16_t connect_retry_time = 120;
  uint16_t connect_delay_time = 5;
  bool graceful_restart = true;  // advertise the capability (helper for the peer)
  uint16_t graceful_restart_time = 120;
  bool enable_route_refresh = true;
  bool enable_as4 = true;
  bool enable_extended_messages = false;
  std::optional<ChannelConfig> ipv4;
  std::optional<ChannelConfig> ipv6;

  bool external() const { return local_as != peer_as; }
  const std::optional<ChannelConfig>& channel(Family f) const {
    return f == Family::v4 ? ipv4 : ipv6;
  }
};

}  // namespace bpfr::bgp

template <>
struct fmt::formatter<bpfr::bgp::PeerInfo> : fmt::formatter<std::string_view> {
  auto format(const bpfr::bgp::PeerInfo& p, fmt::format_context& ctx) const {
    return fmt::format_to(ctx.out(), "bgp {} ({} AS{})", p.name, p.address, p.peer_as);
  }
};
