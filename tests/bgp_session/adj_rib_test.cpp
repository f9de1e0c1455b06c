// Attribute interning and the per-peer tables.
#include "bgp/adj_rib.h"

#include <gtest/gtest.h>

namespace bpfr::bgp {
namespace {

PathAttributes attrs(uint32_t med) {
  PathAttributes a;
  a.origin = Origin::igp;
  a.med = med;
  return a;
}

Prefix pfx(const char* text) {
  return *Prefix::parse(text);
}

TEST(AttrStore, EqualAttributesShareOneCopy) {
  AttrStore store;
  auto a = store.intern(attrs(1));
  auto b = store.intern(attrs(1));
  auto c = store.intern(attrs(2));
  EXPECT_EQ(a.get(), b.get());
  EXPECT_NE(a.get(), c.get());
  EXPECT_EQ(store.size(), 2u);
}

TEST(AttrStore, LastReferenceFreesTheEntry) {
  AttrStore store;
  {
    auto a = store.intern(attrs(1));
    EXPECT_EQ(store.size(), 1u);
  }
  EXPECT_EQ(store.size(), 0u);
}

TEST(AttrStore, ReferencesMayOutliveTheStore) {
  AttrsRef kept;
  {
    AttrStore store;
    kept = store.intern(attrs(3));
  }
  EXPECT_EQ(kept->med, 3u);
}

TEST(AttrStore, MillionRoutesFewAttributeSets) {
  AttrStore store;
  AdjRibIn rib;
  for (uint32_t i = 0; i < 100000; ++i) {
    auto p = Prefix::make(Address::v4(0x0a000000 + (i << 8)), 24);
    rib.update(p, InRoute{store.intern(attrs(i % 100)), {}, true, false});
  }
  EXPECT_EQ(rib.size(), 100000u);
  EXPECT_EQ(store.size(), 100u);
}

TEST(AdjRibIn, CountsAcceptedRoutes) {
  AttrStore store;
  AdjRibIn rib;
  rib.update(pfx("10.0.0.0/8"), InRoute{store.intern(attrs(1)), {}, true, false});
  rib.update(pfx("11.0.0.0/8"), InRoute{store.intern(attrs(1)), {}, false, false});
  EXPECT_EQ(rib.accepted_count(), 1u);
  rib.update(pfx("10.0.0.0/8"), InRoute{store.intern(attrs(2)), {}, false, false});
  EXPECT_EQ(rib.accepted_count(), 0u);
  rib.set_accepted(pfx("11.0.0.0/8"), true);
  EXPECT_EQ(rib.accepted_count(), 1u);
  rib.remove(pfx("11.0.0.0/8"));
  EXPECT_EQ(rib.accepted_count(), 0u);
}

TEST(AdjRibIn, StaleMarkingIsPerFamily) {
  AttrStore store;
  AdjRibIn rib;
  rib.update(pfx("10.0.0.0/8"), InRoute{store.intern(attrs(1)), {}, true, false});
  rib.update(pfx("2001:db8::/32"), InRoute{store.intern(attrs(1)), {}, true, false});
  rib.mark_stale(Family::v6);
  EXPECT_EQ(rib.stale(Family::v6), std::vector<Prefix>{pfx("2001:db8::/32")});
  EXPECT_TRUE(rib.stale(Family::v4).empty());
  rib.update(pfx("2001:db8::/32"), InRoute{store.intern(attrs(1)), {}, true, false});
  EXPECT_TRUE(rib.stale(Family::v6).empty());
}

TEST(AdjRibOut, ChurnBeforeSendingSendsOnce) {
  AttrStore store;
  AdjRibOut out;
  auto p = pfx("2001:db8::/48");
  out.set(p, OutRoute{store.intern(attrs(1)), {}});
  out.set(p, OutRoute{store.intern(attrs(2)), {}});
  auto sent = out.take_pending(100);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[p]->attrs->med, 2u);
  EXPECT_FALSE(out.has_pending());
}

TEST(AdjRibOut, UnchangedRouteIsNotResent) {
  AttrStore store;
  AdjRibOut out;
  auto p = pfx("2001:db8::/48");
  out.set(p, OutRoute{store.intern(attrs(1)), {}});
  out.take_pending(100);
  out.set(p, OutRoute{store.intern(attrs(1)), {}});
  EXPECT_FALSE(out.has_pending());
}

TEST(AdjRibOut, WithdrawOfUnsentRouteCancelsIt) {
  AttrStore store;
  AdjRibOut out;
  auto p = pfx("2001:db8::/48");
  out.set(p, OutRoute{store.intern(attrs(1)), {}});
  out.set(p, std::nullopt);
  EXPECT_FALSE(out.has_pending());
}

TEST(AdjRibOut, ResendQueuesWhatWasAdvertised) {
  AttrStore store;
  AdjRibOut out;
  out.set(pfx("2001:db8::/48"), OutRoute{store.intern(attrs(1)), {}});
  out.set(pfx("10.0.0.0/8"), OutRoute{store.intern(attrs(1)), {}});
  out.take_pending(100);
  out.resend(Family::v6);
  auto again = out.take_pending(100);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_TRUE(again.contains(pfx("2001:db8::/48")));
}

TEST(Policy, Rfc8212NoPolicyRejectsOnlyExternal) {
  PolicyRoute r;
  EXPECT_FALSE(Policy{}.run(r, true));
  EXPECT_TRUE(Policy{}.run(r, false));
  EXPECT_TRUE(Policy::accept_all().run(r, true));
  EXPECT_FALSE(Policy::reject_all().run(r, false));
  auto set_med = Policy::callback([](PolicyRoute& x) {
    x.attrs.med = 7;
    return true;
  });
  EXPECT_TRUE(set_med.run(r, true));
  EXPECT_EQ(r.attrs.med, 7u);
}

}  // namespace
}  // namespace bpfr::bgp
