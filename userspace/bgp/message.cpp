// Framing (RFC 4271 4.1, 6.1), dispatch by type, and the three small messages: NOTIFICATION,
// KEEPALIVE and ROUTE-REFRESH (RFC 2918, 7313).
#include "bgp/message.h"

#include <algorithm>

#include "bgp/codec.h"

namespace bpfr::bgp {

namespace detail {

DecodeError make_error(uint8_t code, uint8_t subcode, size_t offset, std::span<const uint8_t> data,
                       std::string description) {
  return DecodeError{code, subcode, offset, {data.begin(), data.end()}, std::move(description)};
}

void begin_message(Writer& w, MessageType type) {
  for (int i = 0; i < 16; i++)
    w.u8(0xff);
  w.u16(0);
  w.u8(uint8_t(type));
}

void finish_message(Writer& w) {
  auto& d = w.data();
  d[16] = uint8_t(d.size() >> 8);
  d[17] = uint8_t(d.size());
}

}  // namespace detail

using detail::make_error;

std::optional<Family> family_of(AfiSafi afi_safi) {
  if (afi_safi == kIpv4Unicast)
    return Family::v4;
  if (afi_safi == kIpv6Unicast)
    return Family::v6;
  return std::nullopt;
}

AfiSafi afi_safi_of(Family family) {
  return family == Family::v4 ? kIpv4Unicast : kIpv6Unicast;
}

namespace {

// Smallest legal length of each message type, header included (RFC 4271 4.2-4.4). A short
// ROUTE-REFRESH gets its own error 7/1 (RFC 7313 5) from its decoder instead.
size_t min_length(MessageType type) {
  switch (type) {
    case MessageType::open:
      return 29;
    case MessageType::update:
      return 23;
    case MessageType::notification:
      return 21;
    case MessageType::keepalive:
      return 19;
    case MessageType::route_refresh:
      return 19;
  }
  return 0;
}

bool known_type(uint8_t type) {
  return type >= uint8_t(MessageType::open) && type <= uint8_t(MessageType::route_refresh);
}

std::string hex(std::span<const uint8_t> bytes) {
  std::string s;
  for (uint8_t b : bytes)
    s += fmt::format("{:02x}", b);
  return s;
}

// RFC 4271 6.1 and RFC 8654 4: OPEN and KEEPALIVE stay within 4096 bytes even when extended
// messages are negotiated.
size_t max_length(MessageType type, const DecodeContext& ctx) {
  if (type == MessageType::keepalive)
    return kHeaderSize;
  if (type == MessageType::open || !ctx.extended_message)
    return kMaxMessageSize;
  return kMaxExtendedMessageSize;
}

}  // namespace

Frame peek_frame(std::span<const uint8_t> buffer, const DecodeContext& ctx) {
  Frame f;
  if (buffer.size() < kHeaderSize)
    return f;

  Reader r(buffer);
  auto marker = *r.bytes(16);
  if (!std::all_of(marker.begin(), marker.end(), [](uint8_t b) { return b == 0xff; })) {
    f.error = make_error(err::header, err::connection_not_synchronized, 0, {},
                         fmt::format("header: marker is {}, not all ones", hex(marker)));
    return f;
  }
  auto length_bytes = buffer.subspan(16, 2);
  uint16_t length = *r.u16();
  uint8_t type = *r.u8();

  if (!known_type(type)) {
    f.error = make_error(err::header, err::bad_message_type, 18, buffer.subspan(18, 1),
                         fmt::format("header: unknown message type {}", type));
    return f;
  }
  auto t = MessageType(type);
  if (length < min_length(t) || length > max_length(t, ctx)) {
    f.error = make_error(err::header, err::bad_message_length, 16, length_bytes,
                         fmt::format("header: length {} out of range for {} ({}-{})", length,
                                     message_type_name(t), min_length(t), max_length(t, ctx)));
    return f;
  }
  f.length = length;
  return f;
}

namespace {

std::variant<Notification, DecodeError> decode_notification(Reader& r) {
  Notification n;
  n.code = *r.u8();  // presence guaranteed by the minimum length
  n.subcode = *r.u8();
  auto rest = r.rest();
  n.data.assign(rest.begin(), rest.end());
  return n;
}

// RFC 7313 5: any length but 4 octets of body is an error 7/1 carrying the whole message.
// ORF entries (RFC 5291) are not supported, so they fall under the same rule.
std::variant<RouteRefresh, DecodeError> decode_route_refresh(Reader& r,
                                                             std::span<const uint8_t> whole) {
  if (r.remaining() != 4)
    return make_error(err::route_refresh, err::invalid_route_refresh_length, kHeaderSize, whole,
                      fmt::format("ROUTE-REFRESH: body of {} octets, expected 4", r.remaining()));
  RouteRefresh rr;
  rr.afi_safi.afi = *r.u16();
  rr.subtype = *r.u8();
  rr.afi_safi.safi = *r.u8();
  return rr;
}

template <typename T>
DecodeResult to_result(std::variant<T, DecodeError>&& v) {
  DecodeResult res;
  if (auto* e = std::get_if<DecodeError>(&v))
    res.error = std::move(*e);
  else
    res.message = std::move(std::get<T>(v));
  return res;
}

}  // namespace

DecodeResult decode_message(std::span<const uint8_t> bytes, const DecodeContext& ctx) {
  DecodeResult res;
  Frame f = peek_frame(bytes, ctx);
  if (f.error) {
    res.error = std::move(*f.error);
    return res;
  }
  if (f.length == 0 || f.length != bytes.size()) {
    res.error =
        make_error(err::header, err::bad_message_length, 16,
                   bytes.size() >= 18 ? bytes.subspan(16, 2) : bytes.subspan(0, 0),
                   fmt::format("header: {} bytes given, header says {}", bytes.size(), f.length));
    return res;
  }

  Reader body(bytes.subspan(kHeaderSize), kHeaderSize);
  switch (MessageType(bytes[18])) {
    case MessageType::open:
      return to_result(detail::decode_open(body));
    case MessageType::update:
      return to_result(detail::decode_update(body, ctx));
    case MessageType::notification:
      return to_result(decode_notification(body));
    case MessageType::keepalive:
      res.message = Keepalive{};
      return res;
    case MessageType::route_refresh:
      return to_result(decode_route_refresh(body, bytes));
  }
  return res;
}

std::vector<uint8_t> encode_notification(const Notification& n) {
  Writer w;
  detail::begin_message(w, MessageType::notification);
  w.u8(n.code);
  w.u8(n.subcode);
  w.bytes(std::span(n.data).first(std::min(n.data.size(), kMaxMessageSize - 21)));
  detail::finish_message(w);
  return w.take();
}

std::optional<std::string> shutdown_communication(const Notification& n) {
  constexpr uint8_t kAdministrativeShutdown = 2;
  constexpr uint8_t kAdministrativeReset = 4;
  if (n.code != err::cease ||
      (n.subcode != kAdministrativeShutdown && n.subcode != kAdministrativeReset) || n.data.empty())
    return std::nullopt;
  Reader r(n.data);
  auto text = r.bytes(*r.u8());
  if (!text)
    return std::nullopt;
  return std::string(text->begin(), text->end());
}

std::optional<Notification> hard_reset_cause(const Notification& n) {
  constexpr uint8_t kHardReset = 9;
  if (n.code != err::cease || n.subcode != kHardReset || n.data.size() < 2)
    return std::nullopt;
  return Notification{n.data[0], n.data[1], {n.data.begin() + 2, n.data.end()}};
}

std::vector<uint8_t> encode_keepalive() {
  Writer w;
  detail::begin_message(w, MessageType::keepalive);
  detail::finish_message(w);
  return w.take();
}

std::vector<uint8_t> encode_route_refresh(const RouteRefresh& rr) {
  Writer w;
  detail::begin_message(w, MessageType::route_refresh);
  w.u16(rr.afi_safi.afi);
  w.u8(rr.subtype);
  w.u8(rr.afi_safi.safi);
  detail::finish_message(w);
  return w.take();
}

std::vector<uint8_t> encode_message(const Message& m, const EncodeContext& ctx) {
  struct Visitor {
    const EncodeContext& ctx;
    std::vector<uint8_t> operator()(const Open& o) { return encode_open(o); }
    std::vector<uint8_t> operator()(const Update& u) { return encode_update(u, ctx); }
    std::vector<uint8_t> operator()(const Notification& n) { return encode_notification(n); }
    std::vector<uint8_t> operator()(const Keepalive&) { return encode_keepalive(); }
    std::vector<uint8_t> operator()(const RouteRefresh& r) { return encode_route_refresh(r); }
  };
  return std::visit(Visitor{ctx}, m);
}

std::string_view message_type_name(MessageType type) {
  switch (type) {
    case MessageType::open:
      return "OPEN";
    case MessageType::update:
      return "UPDATE";
    case MessageType::notification:
      return "NOTIFICATION";
    case MessageType::keepalive:
      return "KEEPALIVE";
    case MessageType::route_refresh:
      return "ROUTE-REFRESH";
  }
  return "unknown";
}

std::string notification_name(uint8_t code, uint8_t subcode) {
  static constexpr std::string_view codes[] = {"Unknown",
                                               "Message Header Error",
                                               "OPEN Message Error",
                                               "UPDATE Message Error",
                                               "Hold Timer Expired",
                                               "Finite State Machine Error",
                                               "Cease",
                                               "ROUTE-REFRESH Message Error"};
  static constexpr std::string_view header[] = {"Unspecific", "Connection Not Synchronized",
                                                "Bad Message Length", "Bad Message Type"};
  static constexpr std::string_view open[] = {"Unspecific",
                                              "Unsupported Version Number",
                                              "Bad Peer AS",
                                              "Bad BGP Identifier",
                                              "Unsupported Optional Parameter",
                                              "Deprecated (5)",
                                              "Unacceptable Hold Time",
                                              "Unsupported Capability",
                                              "Deprecated (8)",
                                              "Deprecated (9)",
                                              "Deprecated (10)",
                                              "Role Mismatch"};
  static constexpr std::string_view update[] = {"Unspecific",
                                                "Malformed Attribute List",
                                                "Unrecognized Well-known Attribute",
                                                "Missing Well-known Attribute",
                                                "Attribute Flags Error",
                                                "Attribute Length Error",
                                                "Invalid ORIGIN Attribute",
                                                "Deprecated (7)",
                                                "Invalid NEXT_HOP Attribute",
                                                "Optional Attribute Error",
                                                "Invalid Network Field",
                                                "Malformed AS_PATH"};
  static constexpr std::string_view fsm[] = {"Unspecific", "Unexpected Message in OpenSent",
                                             "Unexpected Message in OpenConfirm",
                                             "Unexpected Message in Established"};
  static constexpr std::string_view cease[] = {"Unspecific",
                                               "Maximum Number of Prefixes Reached",
                                               "Administrative Shutdown",
                                               "Peer De-configured",
                                               "Administrative Reset",
                                               "Connection Rejected",
                                               "Other Configuration Change",
                                               "Connection Collision Resolution",
                                               "Out of Resources",
                                               "Hard Reset",
                                               "BFD Down"};
  static constexpr std::string_view refresh[] = {"Reserved", "Invalid Message Length"};

  auto pick = [subcode](std::span<const std::string_view> names) -> std::string {
    if (subcode < names.size())
      return std::string(names[subcode]);
    return fmt::format("subcode {}", subcode);
  };
  std::string name =
      code < std::size(codes) ? std::string(codes[code]) : fmt::format("code {}", code);
  std::string sub;
  switch (code) {
    case err::header:
      sub = pick(header);
      break;
    case err::open:
      sub = pick(open);
      break;
    case err::update:
      sub = pick(update);
      break;
    case err::fsm:
      sub = pick(fsm);
      break;
    case err::cease:
      sub = pick(cease);
      break;
    case err::route_refresh:
      sub = pick(refresh);
      break;
    default:
      sub = fmt::format("subcode {}", subcode);
      break;
  }
  return name + " / " + sub;
}

}  // namespace bpfr::bgp
