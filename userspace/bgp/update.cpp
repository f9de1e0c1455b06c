// UPDATE messages (RFC 4271 4.3): the three sections, End-of-RIB (RFC 4724 2), and packing many
// prefixes with one attribute set into as few messages as the negotiated size allows.
#include <algorithm>

#include "bgp/codec.h"
#include "bgp/message.h"

namespace bpfr::bgp {

namespace detail {

std::optional<DecodeError> decode_prefixes(Reader& r, Family family, uint8_t subcode,
                                           std::vector<Prefix>& out) {
  unsigned max_bits = family == Family::v4 ? 32 : 128;
  while (!r.empty()) {
    size_t at = r.offset();
    auto len_byte = r.rest().first(1);
    uint8_t len = *r.u8();
    if (len > max_bits)
      return make_error(err::update, subcode, at, len_byte,
                        fmt::format("prefix length {} exceeds {} at offset {}", len, max_bits, at));
    auto bytes = r.bytes((len + 7) / 8);
    if (!bytes)
      return make_error(err::update, subcode, at, len_byte,
                        fmt::format("prefix /{} runs past the end at offset {}", len, at));
    out.push_back(Prefix::make(Address::from_bytes(family, *bytes), len));
  }
  return std::nullopt;
}

size_t encoded_prefix_size(const Prefix& p) {
  return 1 + (p.len + 7) / 8;
}

void encode_prefix(Writer& w, const Prefix& p) {
  w.u8(p.len);
  w.bytes(std::span(p.addr.bytes).first((p.len + 7) / 8));
}

namespace {

// Withdrawn Routes Length + Withdrawn Routes (RFC 4271 4.3, 6.3).
std::optional<DecodeError> decode_withdrawn(Reader& r, Update& u) {
  size_t at = r.offset();
  uint16_t len = *r.u16();  // the minimum UPDATE length guarantees both length fields
  if (size_t(len) + 2 > r.remaining())
    return make_error(err::update, err::malformed_attribute_list, at, {},
                      fmt::format("UPDATE: withdrawn routes length {} exceeds the message", len));
  Reader routes = *r.sub(len);
  return decode_prefixes(routes, Family::v4, err::invalid_network_field, u.withdrawn);
}

std::optional<Reader> path_attributes_field(Reader& r, DecodeError& error) {
  size_t at = r.offset();
  uint16_t len = *r.u16();
  auto field = r.sub(len);
  if (!field)
    error = make_error(err::update, err::malformed_attribute_list, at, {},
                       fmt::format("UPDATE: path attributes length {} exceeds the message by {}",
                                   len, len - r.remaining()));
  return field;
}

}  // namespace

std::variant<Update, DecodeError> decode_update(Reader& r, const DecodeContext& ctx) {
  Update u;
  if (auto e = decode_withdrawn(r, u))
    return *e;

  DecodeError error;
  auto attrs = path_attributes_field(r, error);
  if (!attrs)
    return error;

  // RFC 7606 5.3: an NLRI field that does not parse resets the session.
  if (auto e = decode_prefixes(r, Family::v4, err::invalid_network_field, u.nlri))
    return *e;

  if (auto e = decode_path_attributes(*attrs, ctx, u))
    return *e;
  return u;
}

}  // namespace detail

std::optional<AfiSafi> Update::end_of_rib() const {
  if (!withdrawn.empty() || !nlri.empty() || mp_reach)
    return std::nullopt;
  if (!mp_unreach)
    return attrs == PathAttributes{} ? std::optional(kIpv4Unicast) : std::nullopt;
  if (mp_unreach->withdrawn.empty() && mp_unreach->supported)
    return mp_unreach->afi_safi;
  return std::nullopt;
}

std::vector<Prefix> Update::announced() const {
  std::vector<Prefix> out;
  if (treat_as_withdraw)
    return out;
  out = nlri;
  if (mp_reach)
    out.insert(out.end(), mp_reach->nlri.begin(), mp_reach->nlri.end());
  return out;
}

std::vector<Prefix> Update::all_withdrawn() const {
  std::vector<Prefix> out = withdrawn;
  if (mp_unreach)
    out.insert(out.end(), mp_unreach->withdrawn.begin(), mp_unreach->withdrawn.end());
  if (treat_as_withdraw) {
    out.insert(out.end(), nlri.begin(), nlri.end());
    if (mp_reach)
      out.insert(out.end(), mp_reach->nlri.begin(), mp_reach->nlri.end());
  }
  return out;
}

namespace {

void encode_v4_prefixes_field(Writer& w, std::span<const Prefix> prefixes) {
  size_t at = w.placeholder(2);
  for (const auto& p : prefixes)
    detail::encode_prefix(w, p);
  w.patch(at, 2);
}

}  // namespace

std::vector<uint8_t> encode_update(const Update& u, const EncodeContext& ctx) {
  Writer w;
  detail::begin_message(w, MessageType::update);
  encode_v4_prefixes_field(w, u.withdrawn);

  size_t attrs_at = w.placeholder(2);
  if (u.mp_unreach)
    detail::encode_mp_unreach(w, u.mp_unreach->afi_safi, u.mp_unreach->withdrawn);
  if (u.mp_reach)
    detail::encode_mp_reach(w, u.mp_reach->afi_safi, u.mp_reach->next_hop, u.mp_reach->link_local,
                            u.mp_reach->nlri);
  detail::encode_path_attributes(w, u.attrs, ctx);
  if (!w.patch(attrs_at, 2))
    return {};

  for (const auto& p : u.nlri)
    detail::encode_prefix(w, p);
  if (w.size() > ctx.max_message_size())
    return {};
  detail::finish_message(w);
  return w.take();
}

std::vector<uint8_t> encode_end_of_rib(AfiSafi afi_safi) {
  Update u;
  if (afi_safi != kIpv4Unicast)
    u.mp_unreach = MpUnreach{afi_safi, true, {}};
  return encode_update(u, EncodeContext{});
}

namespace {

// How many prefixes from `from` fit in `room` octets.
size_t fitting(std::span<const Prefix> prefixes, size_t from, size_t room) {
  size_t i = from;
  for (size_t used = 0; i < prefixes.size(); i++) {
    used += detail::encoded_prefix_size(prefixes[i]);
    if (used > room)
      break;
  }
  return i - from;
}

std::vector<Prefix> of_family(std::span<const Prefix> prefixes, Family family) {
  std::vector<Prefix> out;
  std::copy_if(prefixes.begin(), prefixes.end(), std::back_inserter(out),
               [family](const Prefix& p) { return p.family() == family; });
  return out;
}

}  // namespace

std::vector<std::vector<uint8_t>> pack_announcements(const PathAttributes& attrs,
                                                     const NextHop& next_hop,
                                                     std::span<const Prefix> prefixes,
                                                     const EncodeContext& ctx) {
  std::vector<std::vector<uint8_t>> out;
  if (prefixes.empty())
    return out;
  Family family = prefixes.front().family();
  bool v4 = family == Family::v4;
  if (v4 != next_hop.global.is_v4() ||
      std::any_of(prefixes.begin(), prefixes.end(),
                  [family](const Prefix& p) { return p.family() != family; }))
    return out;

  // The attribute bytes are the same in every message; only the NLRI differ.
  PathAttributes a = attrs;
  a.next_hop = v4 ? std::optional(next_hop.global) : std::nullopt;
  Writer encoded;
  detail::encode_path_attributes(encoded, a, ctx);
  size_t fixed = kHeaderSize + 4 + encoded.size() +
                 (v4 ? 0 : detail::mp_reach_overhead(next_hop.global, next_hop.link_local));
  if (fixed + 1 + 16 > ctx.max_message_size())
    return out;  // the attributes alone leave no room for a prefix

  for (size_t i = 0; i < prefixes.size();) {
    size_t n = fitting(prefixes, i, ctx.max_message_size() - fixed);
    auto batch = prefixes.subspan(i, n);
    Writer w;
    detail::begin_message(w, MessageType::update);
    w.u16(0);
    size_t attrs_at = w.placeholder(2);
    if (!v4)
      detail::encode_mp_reach(w, kIpv6Unicast, next_hop.global, next_hop.link_local, batch);
    w.bytes(encoded.data());
    w.patch(attrs_at, 2);
    if (v4)
      for (const auto& p : batch)
        detail::encode_prefix(w, p);
    detail::finish_message(w);
    out.push_back(w.take());
    i += n;
  }
  return out;
}

std::vector<std::vector<uint8_t>> pack_withdrawals(std::span<const Prefix> prefixes,
                                                   const EncodeContext& ctx) {
  std::vector<std::vector<uint8_t>> out;
  for (Family family : {Family::v4, Family::v6}) {
    auto list = of_family(prefixes, family);
    // Header, both length fields, and for IPv6 the MP_UNREACH header with AFI/SAFI.
    size_t fixed = kHeaderSize + 4 + (family == Family::v4 ? 0 : 4 + 3);
    for (size_t i = 0; i < list.size();) {
      size_t n = fitting(list, i, ctx.max_message_size() - fixed);
      Update u;
      std::vector<Prefix> batch(list.begin() + long(i), list.begin() + long(i + n));
      if (family == Family::v4)
        u.withdrawn = std::move(batch);
      else
        u.mp_unreach = MpUnreach{kIpv6Unicast, true, std::move(batch)};
      out.push_back(encode_update(u, ctx));
      i += n;
    }
  }
  return out;
}

}  // namespace bpfr::bgp
