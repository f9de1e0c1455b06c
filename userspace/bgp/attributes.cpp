#include "bgp/attributes.h"

#include <algorithm>
#include <functional>

namespace bpfr::bgp {

unsigned AsPath::length() const {
  unsigned n = 0;
  for (const auto& s : segments) {
    if (s.type == SegmentType::sequence)
      n += unsigned(s.asns.size());
    else if (s.type == SegmentType::set)
      n += 1;
  }
  return n;
}

bool AsPath::contains(uint32_t asn) const {
  return std::any_of(segments.begin(), segments.end(), [asn](const AsSegment& s) {
    return std::find(s.asns.begin(), s.asns.end(), asn) != s.asns.end();
  });
}

bool AsPath::has_set() const {
  return std::any_of(segments.begin(), segments.end(), [](const AsSegment& s) {
    return s.type == SegmentType::set || s.type == SegmentType::confed_set;
  });
}

std::optional<uint32_t> AsPath::first_as() const {
  if (segments.empty() || segments.front().type != SegmentType::sequence ||
      segments.front().asns.empty())
    return std::nullopt;
  return segments.front().asns.front();
}

std::optional<uint32_t> AsPath::origin_as() const {
  if (segments.empty() || segments.back().type != SegmentType::sequence ||
      segments.back().asns.empty())
    return std::nullopt;
  return segments.back().asns.back();
}

AsPath AsPath::prepended(uint32_t asn, unsigned times) const {
  AsPath p = *this;
  if (times == 0)
    return p;

  // A segment holds at most 255 ASNs (RFC 4271 4.3): start a new one when the first is full.
  if (p.segments.empty() || p.segments.front().type != SegmentType::sequence ||
      p.segments.front().asns.size() + times > 255)
    p.segments.insert(p.segments.begin(), AsSegment{SegmentType::sequence, {}});
  auto& asns = p.segments.front().asns;
  asns.insert(asns.begin(), times, asn);
  return p;
}

std::string AsPath::str() const {
  std::string out;
  for (const auto& s : segments) {
    const char* open = "";
    const char* close = "";
    switch (s.type) {
      case SegmentType::set:
        open = "{";
        close = "}";
        break;
      case SegmentType::sequence:
        break;
      case SegmentType::confed_sequence:
        open = "(";
        close = ")";
        break;
      case SegmentType::confed_set:
        open = "[";
        close = "]";
        break;
    }
    if (!out.empty())
      out += ' ';
    out += open;
    for (size_t i = 0; i < s.asns.size(); i++)
      out += fmt::format("{}{}", i ? " " : "", s.asns[i]);
    out += close;
  }
  return out;
}

namespace {

struct Hasher {
  size_t h = 0xcbf29ce484222325ull;

  void add(uint64_t v) { h = (h ^ v) * 0x100000001b3ull + (h >> 29); }
};

}  // namespace

size_t PathAttributesHash::operator()(const PathAttributes& a) const noexcept {
  Hasher h;
  h.add(a.origin ? uint64_t(*a.origin) + 1 : 0);
  if (a.as_path) {
    for (const auto& s : a.as_path->segments) {
      h.add(uint64_t(s.type) << 32 | s.asns.size());
      for (uint32_t asn : s.asns)
        h.add(asn);
    }
  }
  h.add(a.next_hop ? AddressHash{}(*a.next_hop) : 0);
  h.add(a.med ? uint64_t(*a.med) | 1ull << 32 : 0);
  h.add(a.local_pref ? uint64_t(*a.local_pref) | 1ull << 32 : 0);
  h.add(a.atomic_aggregate);
  if (a.aggregator)
    h.add(uint64_t(a.aggregator->asn) << 32 | a.aggregator->address.v4_host_order());
  for (uint32_t c : a.communities)
    h.add(c);
  for (uint64_t c : a.ext_communities)
    h.add(c);
  for (const auto& c : a.large_communities)
    h.add(uint64_t(c.global) << 32 ^ uint64_t(c.local1) << 16 ^ c.local2);
  h.add(a.originator_id.value_or(0));
  for (uint32_t c : a.cluster_list)
    h.add(c);
  for (const auto& u : a.unknown) {
    h.add(uint64_t(u.flags) << 8 | u.type);
    for (uint8_t b : u.value)
      h.add(b);
  }
  return h.h;
}

}  // namespace bpfr::bgp
