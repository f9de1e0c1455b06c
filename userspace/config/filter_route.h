// The route as a filter sees it. The BGP, static, direct and kernel code convert their own
// route representation to this and back; the filter evaluator reads and writes only this.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/ip.h"

namespace bpfr::filter {

// BIRD's RTS_* values: where a route came from (the `source` attribute).
enum class RouteSource : uint8_t {
  dummy = 0,
  static_ = 1,
  inherit = 2,  // learned from the kernel
  device = 3,   // protocol direct
  static_device = 4,
  redirect = 5,
  rip = 6,
  ospf = 7,
  ospf_ia = 8,
  ospf_ext1 = 9,
  ospf_ext2 = 10,
  bgp = 11,
  pipe = 12,
  babel = 13,
};

// BGP ORIGIN (RFC 4271 5.1.1); the `bgp_origin` attribute, ORIGIN_IGP and friends.
enum class Origin : uint8_t { igp = 0, egp = 1, incomplete = 2 };

// BIRD's RTD_* values: what the route does with a packet (the `dest` attribute).
enum class RouteDest : uint8_t { none = 0, unicast = 1, blackhole = 2, unreachable = 3, prohibit = 4 };

// RFC 4271 4.3: AS_SET = 1, AS_SEQUENCE = 2; RFC 5065: confederation segments 3 and 4.
struct AsPathSegment {
  enum class Type : uint8_t { set = 1, sequence = 2, confed_sequence = 3, confed_set = 4 };
  Type type = Type::sequence;
  std::vector<uint32_t> asns;

  bool operator==(const AsPathSegment&) const = default;
};

// RFC 8092 large community: (global administrator, local data 1, local data 2).
struct LargeCommunity {
  uint32_t global = 0, local1 = 0, local2 = 0;
  auto operator<=>(const LargeCommunity&) const = default;
};

// Standard community (RFC 1997) packed as (ASN << 16 | value), which BIRD writes as a pair.
inline constexpr uint32_t community(uint16_t asn, uint16_t value) {
  return uint32_t(asn) << 16 | value;
}

// Attributes a filter may read and write. Optional ones that are unset read as undefined,
// which is what `defined()` tests.
struct FilterRoute {
  Prefix net;
  RouteSource source = RouteSource::bgp;
  std::string proto;  // name of the protocol that brought the route
  RouteDest dest = RouteDest::unicast;
  std::optional<Address> gw;    // immediate gateway (`gw`)
  std::optional<Address> from;  // address of the peer the route came from (`from`)
  uint32_t preference = 100;

  // BGP attributes; an unset attribute is absent from the route.
  std::optional<Origin> origin;
  std::vector<AsPathSegment> as_path;  // empty: no AS_PATH (a locally originated route)
  std::optional<Address> next_hop;
  std::optional<uint32_t> med;
  std::optional<uint32_t> local_pref;
  std::vector<uint32_t> communities;
  std::vector<uint64_t> ext_communities;
  std::vector<LargeCommunity> large_communities;

  // Kernel attributes, set by export filters of protocol kernel.
  std::optional<Address> krt_prefsrc;
  std::optional<uint32_t> krt_metric;

  bool operator==(const FilterRoute&) const = default;
};

}  // namespace bpfr::filter
