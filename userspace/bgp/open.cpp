// OPEN and its capabilities (RFC 4271 4.2, RFC 5492, RFC 9072 extended parameter length).
#include <algorithm>

#include "bgp/codec.h"
#include "bgp/message.h"

namespace bpfr::bgp {

namespace {

using detail::make_error;

constexpr uint8_t kParamCapabilities = 2;
constexpr uint8_t kParamExtendedLength = 255;  // RFC 9072

// A capability whose value has the wrong size: reset with OPEN/Unspecific, carrying the TLV.
DecodeError bad_capability(const char* name, size_t offset, std::span<const uint8_t> tlv,
                           size_t len) {
  return make_error(err::open, 0, offset, tlv,
                    fmt::format("OPEN: {} capability has bad length {}", name, len));
}

std::optional<DecodeError> decode_graceful_restart(Reader& v, std::span<const uint8_t> tlv,
                                                   size_t at, Capabilities& caps) {
  if (v.remaining() < 2 || (v.remaining() - 2) % 4 != 0)
    return bad_capability("graceful restart", at, tlv, v.remaining());
  GracefulRestart gr;
  uint16_t head = *v.u16();
  gr.restarting = head & 0x8000;
  gr.notification = head & 0x4000;
  gr.restart_time = head & 0x0fff;
  while (!v.empty()) {
    GracefulRestart::Family f;
    f.afi_safi.afi = *v.u16();
    f.afi_safi.safi = *v.u8();
    f.forwarding_preserved = *v.u8() & 0x80;
    gr.families.push_back(f);
  }
  caps.graceful_restart = std::move(gr);
  return std::nullopt;
}

// One capability TLV (RFC 5492 4); unknown codes are kept as they came.
std::optional<DecodeError> decode_capability(Reader& r, Capabilities& caps) {
  size_t at = r.offset();
  auto tlv_start = r.rest();
  auto code = r.u8();
  auto len = r.u8();
  if (!code || !len || r.remaining() < *len)
    return make_error(err::open, 0, at, tlv_start,
                      "OPEN: capability runs past the end of its parameter");
  auto tlv = tlv_start.first(2 + *len);
  Reader v = *r.sub(*len);

  switch (*code) {
    case cap::multiprotocol:
      if (*len != 4)
        return bad_capability("multiprotocol", at, tlv, *len);
      {
        AfiSafi as;
        as.afi = *v.u16();
        v.u8();  // reserved
        as.safi = *v.u8();
        if (std::find(caps.multiprotocol.begin(), caps.multiprotocol.end(), as) ==
            caps.multiprotocol.end())
          caps.multiprotocol.push_back(as);
      }
      return std::nullopt;
    case cap::four_octet_as:
      if (*len != 4)
        return bad_capability("4-octet AS", at, tlv, *len);
      caps.four_octet_as = *v.u32();
      if (*caps.four_octet_as == 0)  // RFC 7607
        return make_error(err::open, err::bad_peer_as, at + 2, tlv.subspan(2),
                          "OPEN: 4-octet AS capability carries AS 0");
      return std::nullopt;
    case cap::route_refresh:
    case cap::route_refresh_old:
      caps.route_refresh = true;
      return std::nullopt;
    case cap::enhanced_route_refresh:
      caps.enhanced_route_refresh = true;
      return std::nullopt;
    case cap::extended_message:
      caps.extended_message = true;
      return std::nullopt;
    case cap::graceful_restart:
      return decode_graceful_restart(v, tlv, at, caps);
    default:
      caps.unknown.push_back({*code, {tlv.begin() + 2, tlv.end()}});
      return std::nullopt;
  }
}

// Optional parameters; RFC 9072 switches to 2-octet lengths when the classic length octet is
// 255 and the first parameter type is 255.
std::optional<DecodeError> decode_parameters(Reader& r, Capabilities& caps) {
  size_t at = r.offset();
  uint8_t short_len = *r.u8();
  bool extended = short_len == 255 && r.rest().size() > 0 && r.rest()[0] == kParamExtendedLength;
  size_t total = short_len;
  if (extended) {
    r.u8();
    auto ext = r.u16();
    if (!ext)
      return make_error(err::open, 0, at, {}, "OPEN: extended parameters length cut short");
    total = *ext;
  }
  if (total != r.remaining())
    return make_error(
        err::open, 0, at, {},
        fmt::format("OPEN: parameters length {} but {} octets follow", total, r.remaining()));

  while (!r.empty()) {
    size_t param_at = r.offset();
    auto type = r.u8();
    auto len = extended ? r.u16() : std::optional<uint16_t>(r.u8());
    if (!type || !len || r.remaining() < *len)
      return make_error(err::open, 0, param_at, {}, "OPEN: parameter runs past the end");
    Reader value = *r.sub(*len);
    if (*type != kParamCapabilities)
      return make_error(err::open, err::unsupported_optional_parameter, param_at,
                        std::span<const uint8_t>(&*type, 1),
                        fmt::format("OPEN: unsupported optional parameter {}", *type));
    while (!value.empty())
      if (auto e = decode_capability(value, caps))
        return e;
  }
  return std::nullopt;
}

}  // namespace

namespace detail {

std::variant<Open, DecodeError> decode_open(Reader& r) {
  Open o;
  size_t at = r.offset();
  o.version = *r.u8();  // the minimum length guarantees the 10 fixed octets
  o.my_as = *r.u16();
  o.hold_time = *r.u16();
  o.bgp_id = *r.u32();

  // RFC 4271 6.2: report the version we support.
  static constexpr uint8_t kVersion[] = {0, 4};
  if (o.version != 4)
    return make_error(err::open, err::unsupported_version, at, kVersion,
                      fmt::format("OPEN: version {}, only 4 supported", o.version));
  if (o.my_as == 0)  // RFC 7607
    return make_error(err::open, err::bad_peer_as, at + 1, {}, "OPEN: My AS is 0");
  if (o.hold_time == 1 || o.hold_time == 2)
    return make_error(err::open, err::unacceptable_hold_time, at + 3, {},
                      fmt::format("OPEN: hold time {} s", o.hold_time));
  if (o.bgp_id == 0)  // RFC 6286 2.2
    return make_error(err::open, err::bad_bgp_identifier, at + 5, {}, "OPEN: BGP Identifier is 0");

  if (auto e = decode_parameters(r, o.caps))
    return *e;
  return o;
}

}  // namespace detail

namespace {

void encode_capabilities(Writer& w, const Capabilities& caps) {
  for (const auto& as : caps.multiprotocol) {
    w.u8(cap::multiprotocol);
    w.u8(4);
    w.u16(as.afi);
    w.u8(0);
    w.u8(as.safi);
  }
  if (caps.route_refresh) {
    w.u8(cap::route_refresh);
    w.u8(0);
  }
  if (caps.enhanced_route_refresh) {
    w.u8(cap::enhanced_route_refresh);
    w.u8(0);
  }
  if (caps.extended_message) {
    w.u8(cap::extended_message);
    w.u8(0);
  }
  if (const auto& gr = caps.graceful_restart) {
    w.u8(cap::graceful_restart);
    w.u8(uint8_t(2 + 4 * gr->families.size()));
    w.u16(uint16_t((gr->restarting ? 0x8000 : 0) | (gr->notification ? 0x4000 : 0) |
                   (gr->restart_time & 0x0fff)));
    for (const auto& f : gr->families) {
      w.u16(f.afi_safi.afi);
      w.u8(f.afi_safi.safi);
      w.u8(f.forwarding_preserved ? 0x80 : 0);
    }
  }
  if (caps.four_octet_as) {
    w.u8(cap::four_octet_as);
    w.u8(4);
    w.u32(*caps.four_octet_as);
  }
  for (const auto& u : caps.unknown) {
    w.u8(u.code);
    w.u8(uint8_t(u.value.size()));
    w.bytes(u.value);
  }
}

}  // namespace

// All capabilities go into one Capabilities parameter; when it exceeds 255 octets the RFC 9072
// encoding with 2-octet lengths is used.
std::vector<uint8_t> encode_open(const Open& o) {
  Writer caps;
  encode_capabilities(caps, o.caps);

  Writer w;
  detail::begin_message(w, MessageType::open);
  w.u8(o.version);
  w.u16(o.my_as);
  w.u16(o.hold_time);
  w.u32(o.bgp_id);
  if (caps.size() == 0) {
    w.u8(0);
  } else if (caps.size() + 2 <= 255) {
    w.u8(uint8_t(caps.size() + 2));
    w.u8(kParamCapabilities);
    w.u8(uint8_t(caps.size()));
    w.bytes(caps.data());
  } else {
    w.u8(255);
    w.u8(kParamExtendedLength);
    w.u16(uint16_t(caps.size() + 3));
    w.u8(kParamCapabilities);
    w.u16(uint16_t(caps.size()));
    w.bytes(caps.data());
  }
  detail::finish_message(w);
  return w.take();
}

}  // namespace bpfr::bgp
