// The Path Attributes field of an UPDATE (RFC 4271 4.3, 5), one decoder per attribute, with the
// RFC 7606 section 7 action for each way an attribute can be malformed.
#include <algorithm>
#include <bitset>

#include "bgp/codec.h"
#include "bgp/message.h"

namespace bpfr::bgp::detail {

namespace {

// One attribute as found in the list: `whole` is flags through value, as NOTIFICATIONs carry it.
struct RawAttr {
  uint8_t flags = 0;
  uint8_t type = 0;
  size_t offset = 0;
  std::span<const uint8_t> whole;
  Reader value{std::span<const uint8_t>{}};
};

struct Failure {
  Action action;
  uint8_t subcode;
  std::string what;
};

using Outcome = std::optional<Failure>;

Failure withdraw(uint8_t subcode, std::string what) {
  return {Action::treat_as_withdraw, subcode, std::move(what)};
}

Failure discard(uint8_t subcode, std::string what) {
  return {Action::attribute_discard, subcode, std::move(what)};
}

Failure reset(uint8_t subcode, std::string what) {
  return {Action::session_reset, subcode, std::move(what)};
}

// State of one walk over the list: AS4_PATH and AS4_AGGREGATOR wait here for the merge.
struct Walk {
  const DecodeContext& ctx;
  Update& u;
  std::optional<AsPath> as4_path;
  std::optional<Aggregator> as4_aggregator;
};

Failure length_error(const RawAttr& a, Action action, const char* name) {
  return {action, err::attribute_length_error,
          fmt::format("{}: length {} is invalid", name, a.value.remaining())};
}

// RFC 7606 7.1
Outcome decode_origin(RawAttr& a, Walk& w) {
  if (a.value.remaining() != 1)
    return length_error(a, Action::treat_as_withdraw, "ORIGIN");
  uint8_t v = *a.value.u8();
  if (v > uint8_t(Origin::incomplete))
    return withdraw(err::invalid_origin, fmt::format("ORIGIN: undefined value {}", v));
  w.u.attrs.origin = Origin(v);
  return std::nullopt;
}

// Segments of AS_PATH or AS4_PATH (RFC 4271 4.3, RFC 7606 7.2): `width` is 2 or 4 octets.
std::optional<std::string> decode_segments(Reader& r, unsigned width, AsPath& path) {
  while (!r.empty()) {
    auto type = r.u8();
    auto count = r.u8();
    if (!count)
      return fmt::format("segment header cut short at offset {}", r.offset());
    if (*type < uint8_t(SegmentType::set) || *type > uint8_t(SegmentType::confed_set))
      return fmt::format("unknown segment type {}", *type);
    if (*count == 0)
      return std::string("segment of length 0");
    if (r.remaining() < size_t(*count) * width)
      return fmt::format("segment of {} ASNs runs past the attribute end", *count);

    AsSegment seg{SegmentType(*type), {}};
    for (unsigned i = 0; i < *count; i++) {
      uint32_t asn = width == 2 ? *r.u16() : *r.u32();
      if (asn == 0)  // RFC 7607
        return std::string("AS 0 in path");
      seg.asns.push_back(asn);
    }
    path.segments.push_back(std::move(seg));
  }
  return std::nullopt;
}

bool has_confed(const AsPath& p) {
  return std::any_of(p.segments.begin(), p.segments.end(), [](const AsSegment& s) {
    return s.type == SegmentType::confed_sequence || s.type == SegmentType::confed_set;
  });
}

Outcome decode_as_path(RawAttr& a, Walk& w) {
  AsPath path;
  if (auto bad = decode_segments(a.value, w.ctx.four_octet_as ? 4 : 2, path))
    return withdraw(err::malformed_as_path, "AS_PATH: " + *bad);

  // RFC 5065 5 with RFC 7606 7.2: no confederation segments from outside the confederation.
  if (w.ctx.external && has_confed(path))
    return withdraw(err::malformed_as_path, "AS_PATH: confederation segment from eBGP peer");
  w.u.attrs.as_path = std::move(path);
  return std::nullopt;
}

// RFC 6793 6 and RFC 7606 7.2: a bad AS4_PATH is discarded, never more.
Outcome decode_as4_path(RawAttr& a, Walk& w) {
  if (w.ctx.four_octet_as)
    return discard(err::optional_attribute_error, "AS4_PATH: received from 4-octet AS peer");
  AsPath path;
  if (auto bad = decode_segments(a.value, 4, path))
    return discard(err::malformed_as_path, "AS4_PATH: " + *bad);
  if (has_confed(path))
    return discard(err::malformed_as_path, "AS4_PATH: confederation segment");
  w.as4_path = std::move(path);
  return std::nullopt;
}

// RFC 7606 7.3. Semantic checks on the address belong to the RIB, except the addresses that
// can never be a next hop.
Outcome decode_next_hop(RawAttr& a, Walk& w) {
  if (a.value.remaining() != 4)
    return length_error(a, Action::treat_as_withdraw, "NEXT_HOP");
  uint32_t v = *a.value.u32();
  if (!w.u.nlri.empty() && (v == 0 || v == 0xffffffff || (v >> 28) == 0xe))
    return withdraw(err::invalid_next_hop,
                    fmt::format("NEXT_HOP: {} cannot be a next hop", Address::v4(v)));
  w.u.attrs.next_hop = Address::v4(v);
  return std::nullopt;
}

// RFC 7606 7.4, 7.5, 7.9: a 4-octet number or treat-as-withdraw.
Outcome decode_u32(RawAttr& a, const char* name, std::optional<uint32_t>& out) {
  if (a.value.remaining() != 4)
    return length_error(a, Action::treat_as_withdraw, name);
  out = *a.value.u32();
  return std::nullopt;
}

Outcome decode_local_pref(RawAttr& a, Walk& w) {
  if (w.ctx.external)  // RFC 7606 7.5
    return discard(err::optional_attribute_error, "LOCAL_PREF: received from eBGP peer");
  return decode_u32(a, "LOCAL_PREF", w.u.attrs.local_pref);
}

Outcome decode_atomic_aggregate(RawAttr& a, Walk& w) {
  if (a.value.remaining() != 0)  // RFC 7606 7.6
    return length_error(a, Action::attribute_discard, "ATOMIC_AGGREGATE");
  w.u.attrs.atomic_aggregate = true;
  return std::nullopt;
}

// AGGREGATOR (RFC 7606 7.7) and AS4_AGGREGATOR (RFC 6793 6): bad ones are discarded.
Outcome decode_aggregator(RawAttr& a, unsigned width, const char* name,
                          std::optional<Aggregator>& out) {
  if (a.value.remaining() != width + 4)
    return length_error(a, Action::attribute_discard, name);
  Aggregator agg;
  agg.asn = width == 2 ? *a.value.u16() : *a.value.u32();
  agg.address = Address::v4(*a.value.u32());
  if (agg.asn == 0)  // RFC 7607
    return discard(err::optional_attribute_error, fmt::format("{}: AS 0", name));
  out = agg;
  return std::nullopt;
}

// COMMUNITIES (RFC 7606 7.8), EXTENDED COMMUNITIES (7.14), LARGE_COMMUNITY (RFC 8092 6) and
// CLUSTER_LIST (7.10): a non-zero multiple of the item size, else treat-as-withdraw.
template <typename T, typename Read>
Outcome decode_list(RawAttr& a, size_t item, const char* name, std::vector<T>& out, Read read) {
  size_t n = a.value.remaining();
  if (n == 0 || n % item != 0)
    return length_error(a, Action::treat_as_withdraw, name);
  out.reserve(n / item);
  while (!a.value.empty())
    out.push_back(read(a.value));
  return std::nullopt;
}

Outcome decode_communities(RawAttr& a, Walk& w) {
  return decode_list(a, 4, "COMMUNITIES", w.u.attrs.communities,
                     [](Reader& r) { return *r.u32(); });
}

Outcome decode_ext_communities(RawAttr& a, Walk& w) {
  return decode_list(a, 8, "EXTENDED_COMMUNITIES", w.u.attrs.ext_communities,
                     [](Reader& r) { return *r.u64(); });
}

Outcome decode_large_communities(RawAttr& a, Walk& w) {
  return decode_list(a, 12, "LARGE_COMMUNITY", w.u.attrs.large_communities, [](Reader& r) {
    LargeCommunity c;
    c.global = *r.u32();
    c.local1 = *r.u32();
    c.local2 = *r.u32();
    return c;
  });
}

Outcome decode_cluster_list(RawAttr& a, Walk& w) {
  return decode_list(a, 4, "CLUSTER_LIST", w.u.attrs.cluster_list,
                     [](Reader& r) { return *r.u32(); });
}

// MP_REACH_NLRI (RFC 4760 3). Errors reset the session (RFC 7606 7.11); families this codec
// does not carry are left unparsed and marked unsupported. IPv4 NLRI with an IPv6 next hop
// (RFC 8950) is not supported and resets the session: bpfrouter never offers capability 5.
Outcome decode_mp_reach(RawAttr& a, Walk& w) {
  Reader& r = a.value;
  MpReach mp;
  auto afi = r.u16();
  auto safi = r.u8();
  if (!safi)
    return reset(err::optional_attribute_error, "MP_REACH_NLRI: shorter than AFI/SAFI");
  mp.afi_safi = {*afi, *safi};
  auto family = family_of(mp.afi_safi);
  if (!family || w.ctx.add_path) {
    mp.supported = false;
    w.u.mp_reach = std::move(mp);
    return std::nullopt;
  }

  auto nh_len = r.u8();
  size_t size = *family == Family::v4 ? 4 : 16;
  if (!nh_len || (*nh_len != size && !(*family == Family::v6 && *nh_len == 32)))
    return reset(
        err::optional_attribute_error,
        fmt::format("MP_REACH_NLRI: next hop length {} for {}", nh_len.value_or(0), mp.afi_safi));
  auto nh = r.bytes(*nh_len);
  if (!nh || !r.u8())  // next hop, then the reserved octet
    return reset(err::optional_attribute_error, "MP_REACH_NLRI: next hop runs past the end");
  mp.next_hop = Address::from_bytes(*family, nh->first(size));
  if (*nh_len == 32)
    mp.link_local = Address::from_bytes(Family::v6, nh->subspan(16));

  if (auto e = decode_prefixes(r, *family, err::optional_attribute_error, mp.nlri))
    return reset(err::optional_attribute_error, "MP_REACH_NLRI: " + e->description);
  w.u.mp_reach = std::move(mp);
  return std::nullopt;
}

// MP_UNREACH_NLRI (RFC 4760 4, RFC 7606 7.12).
Outcome decode_mp_unreach(RawAttr& a, Walk& w) {
  Reader& r = a.value;
  MpUnreach mp;
  auto afi = r.u16();
  auto safi = r.u8();
  if (!safi)
    return reset(err::optional_attribute_error, "MP_UNREACH_NLRI: shorter than AFI/SAFI");
  mp.afi_safi = {*afi, *safi};
  auto family = family_of(mp.afi_safi);
  if (!family || w.ctx.add_path) {
    mp.supported = false;
  } else if (auto e = decode_prefixes(r, *family, err::optional_attribute_error, mp.withdrawn)) {
    return reset(err::optional_attribute_error, "MP_UNREACH_NLRI: " + e->description);
  }
  w.u.mp_unreach = std::move(mp);
  return std::nullopt;
}

// RFC 4271 5: unknown optional transitive attributes go on with the partial bit set, unknown
// optional non-transitive ones are dropped, an unknown well-known one is an error.
Outcome decode_unknown(RawAttr& a, Walk& w) {
  if (!(a.flags & flag::optional))
    return reset(err::unrecognized_wellknown_attribute,
                 fmt::format("attribute {}: unrecognized well-known attribute", a.type));
  if (!(a.flags & flag::transitive))
    return std::nullopt;
  auto v = a.value.rest();
  uint8_t flags = (a.flags | flag::partial) & ~flag::extended_length;
  w.u.attrs.unknown.push_back({flags, a.type, {v.begin(), v.end()}});
  return std::nullopt;
}

// Flags each known attribute must carry (optional and transitive bits), RFC 7606 3(c).
std::optional<uint8_t> expected_flags(uint8_t type) {
  constexpr uint8_t wellknown = flag::transitive;
  constexpr uint8_t opt_trans = flag::optional | flag::transitive;
  constexpr uint8_t opt = flag::optional;
  switch (type) {
    case attr::origin:
    case attr::as_path:
    case attr::next_hop:
    case attr::local_pref:
    case attr::atomic_aggregate:
      return wellknown;
    case attr::med:
    case attr::originator_id:
    case attr::cluster_list:
    case attr::mp_reach:
    case attr::mp_unreach:
      return opt;
    case attr::aggregator:
    case attr::communities:
    case attr::ext_communities:
    case attr::as4_path:
    case attr::as4_aggregator:
    case attr::large_communities:
      return opt_trans;
    default:
      return std::nullopt;
  }
}

const char* attr_name(uint8_t type) {
  switch (type) {
    case attr::origin:
      return "ORIGIN";
    case attr::as_path:
      return "AS_PATH";
    case attr::next_hop:
      return "NEXT_HOP";
    case attr::med:
      return "MULTI_EXIT_DISC";
    case attr::local_pref:
      return "LOCAL_PREF";
    case attr::atomic_aggregate:
      return "ATOMIC_AGGREGATE";
    case attr::aggregator:
      return "AGGREGATOR";
    case attr::communities:
      return "COMMUNITIES";
    case attr::originator_id:
      return "ORIGINATOR_ID";
    case attr::cluster_list:
      return "CLUSTER_LIST";
    case attr::mp_reach:
      return "MP_REACH_NLRI";
    case attr::mp_unreach:
      return "MP_UNREACH_NLRI";
    case attr::ext_communities:
      return "EXTENDED_COMMUNITIES";
    case attr::as4_path:
      return "AS4_PATH";
    case attr::as4_aggregator:
      return "AS4_AGGREGATOR";
    case attr::large_communities:
      return "LARGE_COMMUNITY";
    default:
      return "attribute";
  }
}

Outcome check_flags(const RawAttr& a) {
  auto want = expected_flags(a.type);
  uint8_t got = a.flags & (flag::optional | flag::transitive);
  if (!want || got == *want)
    return std::nullopt;
  // RFC 6793 6: even bad flags on AS4_* only discard the attribute.
  Action action = a.type == attr::as4_path || a.type == attr::as4_aggregator
                      ? Action::attribute_discard
                      : Action::treat_as_withdraw;
  return Failure{
      action, err::attribute_flags_error,
      fmt::format("{}: flags {:#04x}, expected {:#04x}", attr_name(a.type), a.flags, *want)};
}

Outcome decode_one(RawAttr& a, Walk& w) {
  auto& attrs = w.u.attrs;
  switch (a.type) {
    case attr::origin:
      return decode_origin(a, w);
    case attr::as_path:
      return decode_as_path(a, w);
    case attr::next_hop:
      return decode_next_hop(a, w);
    case attr::med:
      return decode_u32(a, "MULTI_EXIT_DISC", attrs.med);
    case attr::local_pref:
      return decode_local_pref(a, w);
    case attr::atomic_aggregate:
      return decode_atomic_aggregate(a, w);
    case attr::aggregator:
      return decode_aggregator(a, w.ctx.four_octet_as ? 4 : 2, "AGGREGATOR", attrs.aggregator);
    case attr::communities:
      return decode_communities(a, w);
    case attr::originator_id:
      return decode_u32(a, "ORIGINATOR_ID", attrs.originator_id);
    case attr::cluster_list:
      return decode_cluster_list(a, w);
    case attr::mp_reach:
      return decode_mp_reach(a, w);
    case attr::mp_unreach:
      return decode_mp_unreach(a, w);
    case attr::ext_communities:
      return decode_ext_communities(a, w);
    case attr::as4_path:
      return decode_as4_path(a, w);
    case attr::as4_aggregator:
      if (w.ctx.four_octet_as)
        return discard(err::optional_attribute_error,
                       "AS4_AGGREGATOR: received from 4-octet AS peer");
      return decode_aggregator(a, 4, "AS4_AGGREGATOR", w.as4_aggregator);
    case attr::large_communities:
      return decode_large_communities(a, w);
    default:
      return decode_unknown(a, w);
  }
}

// Reads the next attribute header. nullopt: the list is cut short (RFC 7606 4).
std::optional<RawAttr> next_attribute(Reader& r) {
  RawAttr a;
  a.offset = r.offset();
  auto start = r.rest();
  auto flags = r.u8();
  auto type = r.u8();
  if (!type)
    return std::nullopt;
  auto len = (*flags & flag::extended_length) ? r.u16() : std::optional<uint16_t>(r.u8());
  if (!len || r.remaining() < *len)
    return std::nullopt;
  a.flags = *flags;
  a.type = *type;
  a.whole = start.first(start.size() - r.remaining() + *len);
  a.value = *r.sub(*len);
  return a;
}

// Leading ASNs of as_path, as many as needed, in front of as4_path (RFC 6793 4.2.3).
AsPath merge_as4_path(const AsPath& as_path, const AsPath& as4_path) {
  unsigned take = as_path.length() - as4_path.length();
  AsPath merged;
  for (const auto& seg : as_path.segments) {
    bool confed = seg.type == SegmentType::confed_sequence || seg.type == SegmentType::confed_set;
    if (confed) {
      merged.segments.push_back(seg);
      continue;
    }
    if (take == 0)
      break;
    if (seg.type == SegmentType::set) {
      merged.segments.push_back(seg);
      take--;
      continue;
    }
    size_t n = std::min<size_t>(take, seg.asns.size());
    merged.segments.push_back({seg.type, {seg.asns.begin(), seg.asns.begin() + long(n)}});
    take -= unsigned(n);
  }
  for (const auto& seg : as4_path.segments) {
    auto& last = merged.segments;
    if (!last.empty() && last.back().type == SegmentType::sequence &&
        seg.type == SegmentType::sequence && last.back().asns.size() + seg.asns.size() <= 255)
      last.back().asns.insert(last.back().asns.end(), seg.asns.begin(), seg.asns.end());
    else
      last.push_back(seg);
  }
  return merged;
}

// RFC 6793 4.2.3: rebuild the 4-octet path and aggregator of a route from a 2-octet peer.
void merge_as4(Walk& w) {
  auto& attrs = w.u.attrs;
  if (attrs.aggregator && attrs.aggregator->asn != kAsTrans && w.as4_aggregator)
    return;  // the aggregating speaker was old: AS4_AGGREGATOR and AS4_PATH are ignored
  if (attrs.aggregator && w.as4_aggregator)
    attrs.aggregator = w.as4_aggregator;
  if (attrs.as_path && w.as4_path && attrs.as_path->length() >= w.as4_path->length())
    attrs.as_path = merge_as4_path(*attrs.as_path, *w.as4_path);
}

void add_issue(Update& u, const RawAttr& a, Failure&& f) {
  if (f.action == Action::treat_as_withdraw)
    u.treat_as_withdraw = true;
  u.issues.push_back(
      {f.action, a.type, make_error(err::update, f.subcode, a.offset, a.whole, std::move(f.what))});
}

// RFC 7606 3(d): ORIGIN and AS_PATH with any NLRI, NEXT_HOP with NLRI in the NLRI field. One
// that was present but malformed has had its own issue already.
void check_mandatory(Walk& w, const std::bitset<256>& seen, size_t end_offset) {
  Update& u = w.u;
  bool mp_nlri = u.mp_reach && u.mp_reach->supported && !u.mp_reach->nlri.empty();
  if (u.nlri.empty() && !mp_nlri)
    return;
  auto missing = [&](uint8_t type) {
    RawAttr none;
    none.type = type;
    none.offset = end_offset;
    add_issue(
        u, none,
        withdraw(err::missing_wellknown_attribute, fmt::format("{}: missing", attr_name(type))));
    u.issues.back().error.data = {type};
  };
  if (!seen[attr::origin])
    missing(attr::origin);
  if (!seen[attr::as_path])
    missing(attr::as_path);
  if (!u.nlri.empty() && !seen[attr::next_hop])
    missing(attr::next_hop);
}

// RFC 9774 3: routes whose path holds AS_SET or AS_CONFED_SET are treated as withdrawn.
void check_as_set(Walk& w, size_t end_offset) {
  if (!w.ctx.reject_as_set || !w.u.attrs.as_path || !w.u.attrs.as_path->has_set())
    return;
  RawAttr where;
  where.type = attr::as_path;
  where.offset = end_offset;
  add_issue(w.u, where, withdraw(err::malformed_as_path, "AS_PATH: AS_SET (RFC 9774)"));
}

}  // namespace

std::optional<DecodeError> decode_path_attributes(Reader& r, const DecodeContext& ctx, Update& u) {
  Walk w{ctx, u, {}, {}};
  std::bitset<256> seen;
  size_t end = r.offset() + r.remaining();

  while (!r.empty()) {
    size_t at = r.offset();
    auto a = next_attribute(r);
    if (!a) {
      // RFC 7606 4: the attribute list cannot be parsed further; treat-as-withdraw. An MP_REACH
      // behind this point is never seen, so its prefixes stay announced until replaced.
      RawAttr tail;
      tail.offset = at;
      tail.whole = r.rest();
      add_issue(u, tail,
                withdraw(err::malformed_attribute_list,
                         fmt::format("attribute at offset {} runs past the path "
                                     "attributes end",
                                     at)));
      break;
    }

    // RFC 7606 3(g): repeated MP attributes reset, other repeats are discarded.
    if (seen[a->type]) {
      Failure f = a->type == attr::mp_reach || a->type == attr::mp_unreach
                      ? reset(err::malformed_attribute_list, "")
                      : discard(err::malformed_attribute_list, "");
      f.what = fmt::format("{} {}: appears more than once", attr_name(a->type), a->type);
      if (f.action == Action::session_reset)
        return make_error(err::update, f.subcode, a->offset, a->whole, std::move(f.what));
      add_issue(u, *a, std::move(f));
      continue;
    }
    seen[a->type] = true;

    Outcome out = check_flags(*a);
    if (!out || a->type == attr::mp_reach || a->type == attr::mp_unreach) {
      // MP attributes are parsed even with bad flags so their prefixes can be withdrawn.
      Outcome decoded = decode_one(*a, w);
      if (decoded && (!out || decoded->action == Action::session_reset))
        out = std::move(decoded);
    }
    if (!out)
      continue;
    if (out->action == Action::session_reset)
      return make_error(err::update, out->subcode, a->offset, a->whole, std::move(out->what));
    add_issue(u, *a, std::move(*out));
  }

  std::stable_sort(u.attrs.unknown.begin(), u.attrs.unknown.end(),
                   [](const RawAttribute& x, const RawAttribute& y) { return x.type < y.type; });
  if (!ctx.four_octet_as)
    merge_as4(w);
  check_mandatory(w, seen, end);
  check_as_set(w, end);
  return std::nullopt;
}

}  // namespace bpfr::bgp::detail
