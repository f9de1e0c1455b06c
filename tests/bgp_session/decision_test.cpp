// RFC 4271 9.1.2 decision process: one row per rule, the route that must win first.
#include "bgp/decision.h"

#include <gtest/gtest.h>

namespace bpfr::bgp {
namespace {

PathAttributes path(std::vector<uint32_t> asns, Origin origin = Origin::igp) {
  PathAttributes a;
  a.origin = origin;
  a.as_path = AsPath{{AsSegment{SegmentType::sequence, std::move(asns)}}};
  return a;
}

PathAttributes with_lp(PathAttributes a, uint32_t lp) {
  a.local_pref = lp;
  return a;
}

PathAttributes with_med(PathAttributes a, uint32_t med) {
  a.med = med;
  return a;
}

PeerInfo peer(const char* addr, uint32_t as, uint32_t id, uint32_t local_as = 65535) {
  PeerInfo p;
  p.name = addr;
  p.address = *Address::parse(addr);
  p.peer_as = as;
  p.local_as = local_as;
  p.router_id = id;
  return p;
}

struct Row {
  const char* rule;
  PathAttributes better_attrs;
  PeerInfo better_peer;
  PathAttributes worse_attrs;
  PeerInfo worse_peer;
  Reason reason;
};

TEST(Decision, RulesInOrder) {
  auto p1 = peer("2001:db8::1", 64515, 1);
  auto p2 = peer("2001:db8::2", 64515, 2);
  auto p3 = peer("2001:db8::3", 64600, 3);
  auto ibgp = peer("2001:db8::4", 65535, 4);
  std::vector<Row> rows = {
      {"higher local pref wins over shorter path", with_lp(path({1, 2, 3}), 200), p2,
       with_lp(path({1}), 100), p1, Reason::local_pref},
      {"absent local pref counts as 100", path({1}), p1, with_lp(path({1}), 90), p1,
       Reason::local_pref},
      {"shorter AS path", path({64515}), p2, path({64515, 3}), p1, Reason::as_path_length},
      {"AS_SET counts one", path({64515, 2}), p2,
       PathAttributes{Origin::igp, AsPath{{AsSegment{SegmentType::sequence, {64515, 2}},
                                           AsSegment{SegmentType::set, {7, 8, 9}}}}},
       p1, Reason::as_path_length},
      {"IGP origin over EGP", path({64515}, Origin::igp), p2, path({64515}, Origin::egp), p1,
       Reason::origin},
      {"EGP origin over incomplete", path({64515}, Origin::egp), p2,
       path({64515}, Origin::incomplete), p1, Reason::origin},
      {"lower MED from the same neighbour AS", with_med(path({64515}), 10), p2,
       with_med(path({64515}), 20), p1, Reason::med},
      {"absent MED counts as 0", path({64515}), p2, with_med(path({64515}), 5), p1, Reason::med},
      {"MED ignored between neighbour ASes, eBGP then router id", with_med(path({64515}), 50), p1,
       with_med(path({64600}), 10), p3, Reason::router_id},
      {"eBGP over iBGP", path({64515}), p3, path({64515}), ibgp, Reason::external},
      {"lower router id", path({64515}), p1, path({64515}), p2, Reason::router_id},
      {"lower peer address", path({64515}), peer("2001:db8::1", 64515, 7), path({64515}),
       peer("2001:db8::9", 64515, 7), Reason::peer_address},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.rule);
    Candidate a{&row.better_attrs, &row.better_peer};
    Candidate b{&row.worse_attrs, &row.worse_peer};
    auto c = compare_routes(a, b);
    EXPECT_LT(c.order, 0);
    EXPECT_EQ(c.reason, row.reason);
    auto r = compare_routes(b, a);
    EXPECT_GT(r.order, 0);
    EXPECT_EQ(r.reason, row.reason);
  }
}

TEST(Decision, ReflectedRouteUsesOriginatorId) {
  auto a1 = path({64515});
  a1.originator_id = 9;
  auto a2 = path({64515});
  auto p1 = peer("2001:db8::1", 65535, 1);
  auto p2 = peer("2001:db8::2", 65535, 5);
  EXPECT_TRUE(better({&a2, &p2}, {&a1, &p1}));
}

TEST(Decision, SameRouteSamePeerIsEqual) {
  auto a = path({64515});
  auto p = peer("2001:db8::1", 64515, 1);
  EXPECT_EQ(compare_routes({&a, &p}, {&a, &p}).order, 0);
}

}  // namespace
}  // namespace bpfr::bgp
