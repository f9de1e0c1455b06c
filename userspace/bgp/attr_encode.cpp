// Path attributes to wire form, toward 4-octet peers or, with AS_TRANS plus AS4_PATH and
// AS4_AGGREGATOR, toward 2-octet peers (RFC 6793 4.2.2).
#include "bgp/codec.h"
#include "bgp/message.h"

namespace bpfr::bgp::detail {

void encode_attribute(Writer& w, uint8_t flags, uint8_t type, std::span<const uint8_t> value) {
  bool extended = value.size() > 255;
  w.u8(extended ? flags | flag::extended_length : flags & ~flag::extended_length);
  w.u8(type);
  if (extended)
    w.u16(uint16_t(value.size()));
  else
    w.u8(uint8_t(value.size()));
  w.bytes(value);
}

namespace {

constexpr uint8_t kWellKnown = flag::transitive;
constexpr uint8_t kOptional = flag::optional;
constexpr uint8_t kOptionalTransitive = flag::optional | flag::transitive;

uint16_t two_octet(uint32_t asn) {
  return asn > 0xffff ? uint16_t(kAsTrans) : uint16_t(asn);
}

bool needs_four_octets(const AsPath& p) {
  for (const auto& s : p.segments)
    for (uint32_t asn : s.asns)
      if (asn > 0xffff)
        return true;
  return false;
}

// Segments of at most 255 ASNs each (RFC 4271 4.3); confederation segments are left out of
// AS4_PATH (RFC 6793 3).
void encode_segments(Writer& w, const AsPath& path, unsigned width, bool skip_confed) {
  for (const auto& seg : path.segments) {
    bool confed = seg.type == SegmentType::confed_sequence || seg.type == SegmentType::confed_set;
    if (skip_confed && confed)
      continue;
    for (size_t i = 0; i < seg.asns.size(); i += 255) {
      size_t n = std::min<size_t>(255, seg.asns.size() - i);
      w.u8(uint8_t(seg.type));
      w.u8(uint8_t(n));
      for (size_t j = i; j < i + n; j++) {
        if (width == 4)
          w.u32(seg.asns[j]);
        else
          w.u16(two_octet(seg.asns[j]));
      }
    }
  }
}

void encode_aggregator(Writer& w, const Aggregator& agg, unsigned width) {
  if (width == 4)
    w.u32(agg.asn);
  else
    w.u16(two_octet(agg.asn));
  w.bytes(std::span(agg.address.bytes).first(4));
}

// Emits the attributes in ascending type order, unknown ones in between at their place.
class AttributeList {
 public:
  AttributeList(Writer& out, const std::vector<RawAttribute>& unknown)
      : out_(out), unknown_(unknown) {}

  // Returns a scratch writer for the value of `type`; emit() writes it out.
  Writer& value() {
    scratch_.truncate(0);
    return scratch_;
  }

  void emit(uint8_t flags, uint8_t type) {
    flush_below(type);
    encode_attribute(out_, flags, type, scratch_.data());
  }

  void flush_below(unsigned type) {
    for (; next_ < unknown_.size() && unknown_[next_].type < type; next_++)
      encode_attribute(out_, unknown_[next_].flags, unknown_[next_].type, unknown_[next_].value);
  }

 private:
  Writer& out_;
  const std::vector<RawAttribute>& unknown_;
  Writer scratch_;
  size_t next_ = 0;
};

void encode_paths(AttributeList& list, const PathAttributes& a, const EncodeContext& ctx) {
  if (!a.as_path)
    return;
  encode_segments(list.value(), *a.as_path, ctx.four_octet_as ? 4 : 2, false);
  list.emit(kWellKnown, attr::as_path);
}

}  // namespace

void encode_path_attributes(Writer& w, const PathAttributes& a, const EncodeContext& ctx) {
  AttributeList list(w, a.unknown);
  bool as4_path = !ctx.four_octet_as && a.as_path && needs_four_octets(*a.as_path);
  bool as4_aggregator = !ctx.four_octet_as && a.aggregator && a.aggregator->asn > 0xffff;

  if (a.origin) {
    list.value().u8(uint8_t(*a.origin));
    list.emit(kWellKnown, attr::origin);
  }
  encode_paths(list, a, ctx);
  if (a.next_hop) {
    list.value().bytes(std::span(a.next_hop->bytes).first(4));
    list.emit(kWellKnown, attr::next_hop);
  }
  if (a.med) {
    list.value().u32(*a.med);
    list.emit(kOptional, attr::med);
  }
  if (a.local_pref) {
    list.value().u32(*a.local_pref);
    list.emit(kWellKnown, attr::local_pref);
  }
  if (a.atomic_aggregate) {
    list.value();
    list.emit(kWellKnown, attr::atomic_aggregate);
  }
  if (a.aggregator) {
    encode_aggregator(list.value(), *a.aggregator, ctx.four_octet_as ? 4 : 2);
    list.emit(kOptionalTransitive, attr::aggregator);
  }
  if (!a.communities.empty()) {
    Writer& v = list.value();
    for (uint32_t c : a.communities)
      v.u32(c);
    list.emit(kOptionalTransitive, attr::communities);
  }
  if (a.originator_id) {
    list.value().u32(*a.originator_id);
    list.emit(kOptional, attr::originator_id);
  }
  if (!a.cluster_list.empty()) {
    Writer& v = list.value();
    for (uint32_t c : a.cluster_list)
      v.u32(c);
    list.emit(kOptional, attr::cluster_list);
  }
  if (!a.ext_communities.empty()) {
    Writer& v = list.value();
    for (uint64_t c : a.ext_communities)
      v.u64(c);
    list.emit(kOptionalTransitive, attr::ext_communities);
  }
  if (as4_path) {
    encode_segments(list.value(), *a.as_path, 4, true);
    list.emit(kOptionalTransitive, attr::as4_path);
  }
  if (as4_aggregator) {
    encode_aggregator(list.value(), *a.aggregator, 4);
    list.emit(kOptionalTransitive, attr::as4_aggregator);
  }
  if (!a.large_communities.empty()) {
    Writer& v = list.value();
    for (const auto& c : a.large_communities) {
      v.u32(c.global);
      v.u32(c.local1);
      v.u32(c.local2);
    }
    list.emit(kOptionalTransitive, attr::large_communities);
  }
  list.flush_below(256);
}

size_t mp_reach_overhead(const Address& next_hop, const std::optional<Address>& link_local) {
  return 4 + 5 + next_hop.size() + (link_local ? 16 : 0);
}

void encode_mp_reach(Writer& w, AfiSafi afi_safi, const Address& next_hop,
                     const std::optional<Address>& link_local, std::span<const Prefix> nlri) {
  Writer v;
  v.u16(afi_safi.afi);
  v.u8(afi_safi.safi);
  v.u8(uint8_t(next_hop.size() + (link_local ? 16 : 0)));
  v.bytes(std::span(next_hop.bytes).first(next_hop.size()));
  if (link_local)
    v.bytes(link_local->bytes);
  v.u8(0);  // reserved
  for (const auto& p : nlri)
    encode_prefix(v, p);
  encode_attribute(w, kOptional, attr::mp_reach, v.data());
}

void encode_mp_unreach(Writer& w, AfiSafi afi_safi, std::span<const Prefix> withdrawn) {
  Writer v;
  v.u16(afi_safi.afi);
  v.u8(afi_safi.safi);
  for (const auto& p : withdrawn)
    encode_prefix(v, p);
  encode_attribute(w, kOptional, attr::mp_unreach, v.data());
}

}  // namespace bpfr::bgp::detail
