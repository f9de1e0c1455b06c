#include "bgp/decision.h"

namespace bpfr::bgp {
namespace {

constexpr uint32_t kDefaultLocalPref = 100;

Comparison by(Reason reason, auto a, auto b, bool lower_wins) {
  if (a == b)
    return {0, Reason::equal};
  bool a_wins = lower_wins ? a < b : a > b;
  return {a_wins ? -1 : 1, reason};
}

// The neighbour AS for MED: the first AS of the path, or the peer's AS for an empty path.
uint32_t neighbour_as(const Candidate& c) {
  if (c.attrs->as_path)
    if (auto first = c.attrs->as_path->first_as())
      return *first;
  return c.peer ? c.peer->peer_as : 0;
}

}  // namespace

Comparison compare_routes(const Candidate& a, const Candidate& b) {
  const auto& x = *a.attrs;
  const auto& y = *b.attrs;

  if (auto c = by(Reason::local_pref, x.local_pref.value_or(kDefaultLocalPref),
                  y.local_pref.value_or(kDefaultLocalPref), false);
      c.order)
    return c;

  unsigned lx = x.as_path ? x.as_path->length() : 0;
  unsigned ly = y.as_path ? y.as_path->length() : 0;
  if (auto c = by(Reason::as_path_length, lx, ly, true); c.order)
    return c;

  if (auto c = by(Reason::origin, static_cast<int>(x.origin.value_or(Origin::incomplete)),
                  static_cast<int>(y.origin.value_or(Origin::incomplete)), true);
      c.order)
    return c;

  if (neighbour_as(a) == neighbour_as(b))
    if (auto c = by(Reason::med, x.med.value_or(0), y.med.value_or(0), true); c.order)
      return c;

  bool ex = a.peer && a.peer->external();
  bool ey = b.peer && b.peer->external();
  if (auto c = by(Reason::external, ex, ey, false); c.order)
    return c;

  // RFC 4456 9: a reflected route competes with its ORIGINATOR_ID.
  uint32_t ix = x.originator_id.value_or(a.peer ? a.peer->router_id : 0);
  uint32_t iy = y.originator_id.value_or(b.peer ? b.peer->router_id : 0);
  if (auto c = by(Reason::router_id, ix, iy, true); c.order)
    return c;

  if (a.peer && b.peer)
    return by(Reason::peer_address, a.peer->address, b.peer->address, true);
  return {0, Reason::equal};
}

}  // namespace bpfr::bgp
