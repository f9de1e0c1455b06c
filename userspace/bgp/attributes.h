// BGP path attributes as the RIB stores them: one value type, comparable and hashable, so that
// routes sharing the same attributes can share one interned PathAttributes.
#pragma once

#include <fmt/format.h>

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/ip.h"

namespace bpfr::bgp {

// Attribute type codes (IANA "BGP Path Attributes").
namespace attr {
inline constexpr uint8_t origin = 1;
inline constexpr uint8_t as_path = 2;
inline constexpr uint8_t next_hop = 3;
inline constexpr uint8_t med = 4;
inline constexpr uint8_t local_pref = 5;
inline constexpr uint8_t atomic_aggregate = 6;
inline constexpr uint8_t aggregator = 7;
inline constexpr uint8_t communities = 8;
inline constexpr uint8_t originator_id = 9;
inline constexpr uint8_t cluster_list = 10;
inline constexpr uint8_t mp_reach = 14;
inline constexpr uint8_t mp_unreach = 15;
inline constexpr uint8_t ext_communities = 16;
inline constexpr uint8_t as4_path = 17;
inline constexpr uint8_t as4_aggregator = 18;
inline constexpr uint8_t large_communities = 32;
}  // namespace attr

// Attribute flag bits (RFC 4271 section 4.3).
namespace flag {
inline constexpr uint8_t optional = 0x80;
inline constexpr uint8_t transitive = 0x40;
inline constexpr uint8_t partial = 0x20;
inline constexpr uint8_t extended_length = 0x10;
}  // namespace flag

inline constexpr uint32_t kAsTrans = 23456;  // RFC 6793

enum class Origin : uint8_t { igp = 0, egp = 1, incomplete = 2 };

enum class SegmentType : uint8_t { set = 1, sequence = 2, confed_sequence = 3, confed_set = 4 };

struct AsSegment {
  SegmentType type = SegmentType::sequence;
  std::vector<uint32_t> asns;

  auto operator<=>(const AsSegment&) const = default;
};

struct AsPath {
  std::vector<AsSegment> segments;

  // Length for the decision process (RFC 4271 9.1.2.2): a set counts 1, confederation
  // segments count 0.
  unsigned length() const;
  bool contains(uint32_t asn) const;
  bool has_set() const;                       // AS_SET or AS_CONFED_SET present (RFC 9774)
  std::optional<uint32_t> first_as() const;   // leftmost AS of the first AS_SEQUENCE
  std::optional<uint32_t> origin_as() const;  // rightmost AS of the last AS_SEQUENCE
  AsPath prepended(uint32_t asn, unsigned times = 1) const;
  std::string str() const;  // BIRD style: "64515 3356 {10 20}"; confederations in ( ) and [ ]

  auto operator<=>(const AsPath&) const = default;
};

struct Aggregator {
  uint32_t asn = 0;
  Address address;  // IPv4

  auto operator<=>(const Aggregator&) const = default;
};

struct LargeCommunity {
  uint32_t global = 0;
  uint32_t local1 = 0;
  uint32_t local2 = 0;

  auto operator<=>(const LargeCommunity&) const = default;
};

// An unrecognised optional transitive attribute, kept to be passed on (RFC 4271 5). The decoder
// already sets the partial bit in `flags`; unknown non-transitive attributes are dropped.
struct RawAttribute {
  uint8_t flags = 0;  // optional/transitive/partial; extended_length is recomputed on encode
  uint8_t type = 0;
  std::vector<uint8_t> value;

  auto operator<=>(const RawAttribute&) const = default;
};

// Everything in an UPDATE except NLRI, withdrawn routes, MP_REACH and MP_UNREACH. AS4_PATH and
// AS4_AGGREGATOR are merged into as_path and aggregator on decode (RFC 6793 4.2.3), so the
// values here always hold 4-octet AS numbers.
struct PathAttributes {
  std::optional<Origin> origin;
  std::optional<AsPath> as_path;
  std::optional<Address> next_hop;  // NEXT_HOP attribute (IPv4); MP next hops live in MpReach
  std::optional<uint32_t> med;
  std::optional<uint32_t> local_pref;
  bool atomic_aggregate = false;
  std::optional<Aggregator> aggregator;
  std::vector<uint32_t> communities;              // RFC 1997, as received (order kept)
  std::vector<uint64_t> ext_communities;          // RFC 4360, the 8 octets big-endian as one number
  std::vector<LargeCommunity> large_communities;  // RFC 8092
  std::optional<uint32_t> originator_id;          // RFC 4456
  std::vector<uint32_t> cluster_list;
  std::vector<RawAttribute> unknown;  // ascending type code

  bool operator==(const PathAttributes&) const = default;
};

struct PathAttributesHash {
  size_t operator()(const PathAttributes& a) const noexcept;
};

}  // namespace bpfr::bgp

template <>
struct fmt::formatter<bpfr::bgp::AsPath> : fmt::formatter<std::string_view> {
  auto format(const bpfr::bgp::AsPath& p, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(p.str(), ctx);
  }
};

template <>
struct fmt::formatter<bpfr::bgp::LargeCommunity> : fmt::formatter<std::string_view> {
  auto format(const bpfr::bgp::LargeCommunity& c, fmt::format_context& ctx) const {
    return fmt::format_to(ctx.out(), "({}, {}, {})", c.global, c.local1, c.local2);
  }
};
