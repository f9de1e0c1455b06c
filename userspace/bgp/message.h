// BGP messages as values, and the codec between them and wire bytes (RFC 4271, 4760, 6793,
// 7606, 8654, 9072). Nothing here throws on peer input: decoding returns a message or an error
// that maps to exactly one NOTIFICATION, and per-attribute RFC 7606 actions ride on the UPDATE.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "bgp/attributes.h"
#include "common/ip.h"

namespace bpfr::bgp {

inline constexpr size_t kHeaderSize = 19;
inline constexpr size_t kMaxMessageSize = 4096;
inline constexpr size_t kMaxExtendedMessageSize = 65535;  // RFC 8654

enum class MessageType : uint8_t {
  open = 1,
  update = 2,
  notification = 3,
  keepalive = 4,
  route_refresh = 5,
};

// NOTIFICATION error codes and the subcodes this codec produces (RFC 4271 4.5, 6.x).
namespace err {
inline constexpr uint8_t header = 1;
inline constexpr uint8_t open = 2;
inline constexpr uint8_t update = 3;
inline constexpr uint8_t hold_timer = 4;
inline constexpr uint8_t fsm = 5;
inline constexpr uint8_t cease = 6;
inline constexpr uint8_t route_refresh = 7;  // RFC 7313

// header
inline constexpr uint8_t connection_not_synchronized = 1;
inline constexpr uint8_t bad_message_length = 2;
inline constexpr uint8_t bad_message_type = 3;
// open
inline constexpr uint8_t unsupported_version = 1;
inline constexpr uint8_t bad_peer_as = 2;
inline constexpr uint8_t bad_bgp_identifier = 3;
inline constexpr uint8_t unsupported_optional_parameter = 4;
inline constexpr uint8_t unacceptable_hold_time = 6;
inline constexpr uint8_t unsupported_capability = 7;
// update
inline constexpr uint8_t malformed_attribute_list = 1;
inline constexpr uint8_t unrecognized_wellknown_attribute = 2;
inline constexpr uint8_t missing_wellknown_attribute = 3;
inline constexpr uint8_t attribute_flags_error = 4;
inline constexpr uint8_t attribute_length_error = 5;
inline constexpr uint8_t invalid_origin = 6;
inline constexpr uint8_t invalid_next_hop = 8;
inline constexpr uint8_t optional_attribute_error = 9;
inline constexpr uint8_t invalid_network_field = 10;
inline constexpr uint8_t malformed_as_path = 11;
// route refresh
inline constexpr uint8_t invalid_route_refresh_length = 1;
}  // namespace err

struct AfiSafi {
  uint16_t afi = 0;
  uint8_t safi = 0;

  auto operator<=>(const AfiSafi&) const = default;
};

inline constexpr AfiSafi kIpv4Unicast{1, 1};
inline constexpr AfiSafi kIpv6Unicast{2, 1};

// The address family of a supported AFI/SAFI (IPv4 or IPv6 unicast), else nullopt.
std::optional<Family> family_of(AfiSafi afi_safi);
AfiSafi afi_safi_of(Family family);

// Capability codes (IANA "Capability Codes").
namespace cap {
inline constexpr uint8_t multiprotocol = 1;
inline constexpr uint8_t route_refresh = 2;
inline constexpr uint8_t extended_message = 6;
inline constexpr uint8_t graceful_restart = 64;
inline constexpr uint8_t four_octet_as = 65;
inline constexpr uint8_t add_path = 69;
inline constexpr uint8_t enhanced_route_refresh = 70;
inline constexpr uint8_t route_refresh_old = 128;  // pre-standard Cisco code, read as 2
}  // namespace cap

// RFC 4724 section 3, with the N bit of RFC 8538.
struct GracefulRestart {
  struct Family {
    AfiSafi afi_safi;
    bool forwarding_preserved = false;

    auto operator<=>(const Family&) const = default;
  };

  bool restarting = false;    // R bit
  bool notification = false;  // N bit
  uint16_t restart_time = 0;  // seconds, 12 bits on the wire
  std::vector<Family> families;

  auto operator<=>(const GracefulRestart&) const = default;
};

struct UnknownCapability {
  uint8_t code = 0;
  std::vector<uint8_t> value;

  auto operator<=>(const UnknownCapability&) const = default;
};

struct Capabilities {
  std::vector<AfiSafi> multiprotocol;
  std::optional<uint32_t> four_octet_as;
  bool route_refresh = false;
  bool enhanced_route_refresh = false;
  bool extended_message = false;
  std::optional<GracefulRestart> graceful_restart;
  std::vector<UnknownCapability> unknown;  // ADD-PATH and everything else, in received order

  bool operator==(const Capabilities&) const = default;
};

struct Open {
  uint8_t version = 4;
  uint16_t my_as = 0;  // the 2-octet field: AS_TRANS when the real AS needs 4 octets
  uint16_t hold_time = 0;
  uint32_t bgp_id = 0;  // host order
  Capabilities caps;

  // The speaker's AS: the 4-octet AS capability if present, else the 2-octet field.
  uint32_t asn() const { return caps.four_octet_as.value_or(my_as); }
  bool operator==(const Open&) const = default;
};

// MP_REACH_NLRI (RFC 4760 3). For an AFI/SAFI this codec does not support, `supported` is
// false, next hops and nlri stay empty and the attribute is ignored.
struct MpReach {
  AfiSafi afi_safi = kIpv6Unicast;
  bool supported = true;
  Address next_hop;                   // global
  std::optional<Address> link_local;  // IPv6 only: the second half of a 32-octet next hop
  std::vector<Prefix> nlri;

  bool operator==(const MpReach&) const = default;
};

// MP_UNREACH_NLRI (RFC 4760 4). Same convention as MpReach for unsupported families.
struct MpUnreach {
  AfiSafi afi_safi = kIpv6Unicast;
  bool supported = true;
  std::vector<Prefix> withdrawn;

  bool operator==(const MpUnreach&) const = default;
};

// What RFC 7606 (or RFC 6793, 9774) makes of one malformed or unwelcome attribute.
enum class Action : uint8_t {
  attribute_discard,  // the attribute is dropped, the rest of the UPDATE stands
  treat_as_withdraw,  // every prefix of the UPDATE is withdrawn instead of announced
  session_reset,      // only inside DecodeResult::error: send its NOTIFICATION and close
};

// An error with where it happened: `data` is what the NOTIFICATION carries (RFC 4271 6.x),
// `offset` counts from the first byte of the message.
struct DecodeError {
  uint8_t code = 0;
  uint8_t subcode = 0;
  size_t offset = 0;
  std::vector<uint8_t> data;
  std::string description;  // "AS_PATH: segment length 9 runs past attribute end"

  bool operator==(const DecodeError&) const = default;
};

struct AttributeIssue {
  Action action = Action::attribute_discard;
  uint8_t type = 0;   // attribute type code
  DecodeError error;  // code/subcode as a NOTIFICATION would have it; never sent

  bool operator==(const AttributeIssue&) const = default;
};

struct Update {
  std::vector<Prefix> withdrawn;  // IPv4 Withdrawn Routes field
  PathAttributes attrs;
  std::optional<MpReach> mp_reach;
  std::optional<MpUnreach> mp_unreach;
  std::vector<Prefix> nlri;  // IPv4 NLRI field

  // Decode only: what RFC 7606 did to this UPDATE. With treat_as_withdraw set, the prefixes in
  // nlri and mp_reach are to be withdrawn, not announced: use announced()/all_withdrawn().
  bool treat_as_withdraw = false;
  std::vector<AttributeIssue> issues;

  // The AFI/SAFI whose End-of-RIB this is (RFC 4724 2): an empty UPDATE for IPv4 unicast, or
  // one holding only an empty MP_UNREACH.
  std::optional<AfiSafi> end_of_rib() const;
  std::vector<Prefix> announced() const;      // nlri + mp_reach, empty when treat_as_withdraw
  std::vector<Prefix> all_withdrawn() const;  // withdrawn + mp_unreach (+ announced if t-a-w)

  bool operator==(const Update&) const = default;
};

struct Notification {
  uint8_t code = 0;
  uint8_t subcode = 0;
  std::vector<uint8_t> data;

  bool operator==(const Notification&) const = default;
};

// RFC 9003: the operator's text in Cease / Administrative Shutdown or Reset (a length octet,
// then UTF-8). nullopt when absent or when the length runs past the data.
std::optional<std::string> shutdown_communication(const Notification& n);

// RFC 8538 5: the NOTIFICATION wrapped in Cease / Hard Reset; nullopt when absent or shorter
// than code and subcode.
std::optional<Notification> hard_reset_cause(const Notification& n);

struct Keepalive {
  bool operator==(const Keepalive&) const = default;
};

// RFC 2918; subtype from RFC 7313: 0 normal, 1 BoRR, 2 EoRR.
struct RouteRefresh {
  enum Subtype : uint8_t { normal = 0, begin = 1, end = 2 };

  AfiSafi afi_safi = kIpv4Unicast;
  uint8_t subtype = normal;

  bool operator==(const RouteRefresh&) const = default;
};

using Message = std::variant<Open, Update, Notification, Keepalive, RouteRefresh>;

// What was negotiated with the peer, as decoding and encoding need it.
struct DecodeContext {
  bool four_octet_as = false;     // both OPENs carried capability 65
  bool extended_message = false;  // both OPENs carried capability 6
  bool add_path = false;          // not supported: must stay false
  bool external = true;       // eBGP peer: LOCAL_PREF, ORIGINATOR_ID, CLUSTER_LIST are discarded
  bool reject_as_set = true;  // RFC 9774: routes with AS_SET/AS_CONFED_SET treated as withdrawn
};

struct EncodeContext {
  bool four_octet_as = false;  // false: AS_TRANS in 2-octet fields plus AS4_PATH/AS4_AGGREGATOR
  bool extended_message = false;

  size_t max_message_size() const {
    return extended_message ? kMaxExtendedMessageSize : kMaxMessageSize;
  }
};

struct DecodeResult {
  std::optional<Message> message;  // set on success
  DecodeError error;               // meaningful when !message: send as NOTIFICATION, then reset

  bool ok() const { return message.has_value(); }
};

// The header of the next message in a receive buffer (RFC 4271 4.1).
struct Frame {
  size_t length = 0;                 // whole message, 0 while fewer than 19 bytes are buffered
  std::optional<DecodeError> error;  // bad marker, length or type: reset
};

Frame peek_frame(std::span<const uint8_t> buffer, const DecodeContext& ctx);

// Decodes exactly one whole message (header included).
DecodeResult decode_message(std::span<const uint8_t> bytes, const DecodeContext& ctx);

// Whole messages, header included. encode_update returns an empty vector when the message would
// exceed ctx.max_message_size(); use pack_updates for many prefixes.
std::vector<uint8_t> encode_open(const Open& open);
std::vector<uint8_t> encode_update(const Update& update, const EncodeContext& ctx);
std::vector<uint8_t> encode_notification(const Notification& notification);
std::vector<uint8_t> encode_keepalive();
std::vector<uint8_t> encode_route_refresh(const RouteRefresh& refresh);
std::vector<uint8_t> encode_message(const Message& message, const EncodeContext& ctx);
std::vector<uint8_t> encode_end_of_rib(AfiSafi afi_safi);

// Next hops for announcements: IPv4 prefixes use `global` as NEXT_HOP (it must be IPv4); IPv6
// prefixes go in MP_REACH with `global` and the optional link-local.
struct NextHop {
  Address global;
  std::optional<Address> link_local;
};

// Packs prefixes of one family sharing one attribute set into as few UPDATEs as fit
// ctx.max_message_size(). attrs.next_hop is ignored in favour of next_hop.
std::vector<std::vector<uint8_t>> pack_announcements(const PathAttributes& attrs,
                                                     const NextHop& next_hop,
                                                     std::span<const Prefix> prefixes,
                                                     const EncodeContext& ctx);
std::vector<std::vector<uint8_t>> pack_withdrawals(std::span<const Prefix> prefixes,
                                                   const EncodeContext& ctx);

std::string_view message_type_name(MessageType type);
std::string notification_name(uint8_t code, uint8_t subcode);  // "Cease / Administrative Shutdown"

}  // namespace bpfr::bgp

template <>
struct fmt::formatter<bpfr::bgp::AfiSafi> : fmt::formatter<std::string_view> {
  auto format(const bpfr::bgp::AfiSafi& a, fmt::format_context& ctx) const {
    if (a == bpfr::bgp::kIpv4Unicast)
      return fmt::format_to(ctx.out(), "ipv4-unicast");
    if (a == bpfr::bgp::kIpv6Unicast)
      return fmt::format_to(ctx.out(), "ipv6-unicast");
    return fmt::format_to(ctx.out(), "afi {} safi {}", a.afi, a.safi);
  }
};
