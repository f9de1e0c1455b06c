// Internal to the codec: pieces shared between the message, UPDATE and attribute files.
#pragma once

#include <span>
#include <string>
#include <variant>

#include "bgp/message.h"
#include "bgp/wire.h"

namespace bpfr::bgp::detail {

DecodeError make_error(uint8_t code, uint8_t subcode, size_t offset, std::span<const uint8_t> data,
                       std::string description);

// Writes a 19-byte header with a zero length; finish_message() fills the length in.
void begin_message(Writer& w, MessageType type);
void finish_message(Writer& w);

// Prefixes in the RFC 4271 4.3 encoding: a length octet, then the minimum number of octets.
// An error is a session reset (RFC 7606 5.3) with subcode `subcode`.
std::optional<DecodeError> decode_prefixes(Reader& r, Family family, uint8_t subcode,
                                           std::vector<Prefix>& out);
void encode_prefix(Writer& w, const Prefix& p);
size_t encoded_prefix_size(const Prefix& p);

// Body of an OPEN after the header.
std::variant<Open, DecodeError> decode_open(Reader& r);

// Body of an UPDATE after the header.
std::variant<Update, DecodeError> decode_update(Reader& r, const DecodeContext& ctx);

// The Path Attributes field. Fills u.attrs, u.mp_reach, u.mp_unreach and u.issues; a
// session-level error comes back as the result.
// Expects u.nlri already decoded (NEXT_HOP and mandatory checks depend on it).
std::optional<DecodeError> decode_path_attributes(Reader& r, const DecodeContext& ctx, Update& u);

// Path attributes in wire form, MP_UNREACH and MP_REACH first (RFC 7606 5.1), then ascending
// type codes. The caller writes the MP attributes first.
void encode_path_attributes(Writer& w, const PathAttributes& attrs, const EncodeContext& ctx);
void encode_mp_unreach(Writer& w, AfiSafi afi_safi, std::span<const Prefix> withdrawn);
void encode_mp_reach(Writer& w, AfiSafi afi_safi, const Address& next_hop,
                     const std::optional<Address>& link_local, std::span<const Prefix> nlri);
// One attribute: flags, type, length (extended when the value exceeds 255 octets), value.
void encode_attribute(Writer& w, uint8_t flags, uint8_t type, std::span<const uint8_t> value);
// Size of the MP_REACH attribute, header included, before any NLRI.
size_t mp_reach_overhead(const Address& next_hop, const std::optional<Address>& link_local);

}  // namespace bpfr::bgp::detail
