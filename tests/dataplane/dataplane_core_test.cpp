// Encoders, counter slot allocation, next-hop reference counting and FIB-to-map sync, without BPF.
#include <gtest/gtest.h>

#include <map>

#include "dataplane/encode.h"
#include "dataplane/fib_sync.h"
#include "dataplane/nexthops.h"
#include "dataplane/slots.h"

namespace bpfr::dp {
namespace {

Prefix P(const char* s) {
  return *Prefix::parse(s);
}
Address A(const char* s) {
  return *Address::parse(s);
}

// ---- encoders ----

TEST(Encode, KeyV4IsPrefixLengthThenNetworkOrderAddress) {
  auto k = encode_key_v4(P("192.0.2.0/24"));
  EXPECT_EQ(k.prefixlen, 24u);
  EXPECT_EQ(k.addr[0], 192);
  EXPECT_EQ(k.addr[1], 0);
  EXPECT_EQ(k.addr[2], 2);
  EXPECT_EQ(k.addr[3], 0);
  EXPECT_EQ(decode_key_v4(k), P("192.0.2.0/24"));
}

TEST(Encode, KeyV6RoundTrips) {
  auto k = encode_key_v6(P("2001:db8:1234::/48"));
  EXPECT_EQ(k.prefixlen, 48u);
  EXPECT_EQ(k.addr[0], 0x20);
  EXPECT_EQ(k.addr[1], 0x01);
  EXPECT_EQ(k.addr[5], 0x34);
  EXPECT_EQ(k.addr[6], 0);
  EXPECT_EQ(decode_key_v6(k), P("2001:db8:1234::/48"));
}

TEST(Encode, NonForwardRouteNeverCarriesANextHop) {
  auto v = encode_route(BPFR_ROUTE_BLACKHOLE, 7, 3, BPFR_ROUTE_F_OWN);
  EXPECT_EQ(v.nexthop, BPFR_NEXTHOP_NONE);
  EXPECT_EQ(v.slot, 3u);
  EXPECT_EQ(v.action, BPFR_ROUTE_BLACKHOLE);
  EXPECT_EQ(v.flags, BPFR_ROUTE_F_OWN);
  EXPECT_EQ(encode_route(BPFR_ROUTE_FORWARD, 7, 3, 0).nexthop, 7u);
}

TEST(Encode, NextHopWithoutMacHasNoMacFlag) {
  NextHopFacts f;
  f.valid = true;
  f.ifindex = 4;
  f.mtu = 1500;
  f.smac = {2, 0, 0, 0, 0, 1};
  auto n = encode_nexthop(f);
  EXPECT_EQ(n.flags, BPFR_NH_F_VALID);
  EXPECT_EQ(n.ifindex, 4u);
  EXPECT_EQ(n.smac[5], 1);

  f.mac_known = true;
  f.dmac = {2, 0, 0, 0, 0, 9};
  n = encode_nexthop(f);
  EXPECT_EQ(n.flags, BPFR_NH_F_VALID | BPFR_NH_F_MAC);
  EXPECT_EQ(n.dmac[5], 9);
}

TEST(Encode, InvalidNextHopIsAllZero) {
  NextHopFacts f;
  f.ifindex = 4;
  auto n = encode_nexthop(f);
  EXPECT_EQ(n.flags, 0);
  EXPECT_EQ(n.ifindex, 0u);
}

TEST(Encode, SlotRowCarriesFamilyLengthAndAddress) {
  auto s = encode_slot(P("10.1.0.0/16"), BPFR_SLOT_LIVE, 2, 99);
  EXPECT_EQ(s.family, 4);
  EXPECT_EQ(s.prefixlen, 16);
  EXPECT_EQ(s.state, BPFR_SLOT_LIVE);
  EXPECT_EQ(s.generation, 2u);
  EXPECT_EQ(s.addr[0], 10);
  EXPECT_EQ(s.addr[1], 1);
  EXPECT_EQ(s.since_ns, 99u);
}

// ---- slots ----

SlotAllocator make_slots(uint32_t n, std::vector<Prefix> always = {}) {
  SlotPolicy pol;
  pol.slots = n;
  pol.always = std::move(always);
  return SlotAllocator(pol, [] { return uint64_t(1); });
}

TEST(Slots, SlotZeroIsNeverHandedOut) {
  auto s = make_slots(3);
  EXPECT_EQ(s.acquire(P("10.0.0.0/8"), SlotClass::local), 1u);
  EXPECT_EQ(s.acquire(P("11.0.0.0/8"), SlotClass::local), 2u);
  EXPECT_EQ(s.acquire(P("12.0.0.0/8"), SlotClass::local), BPFR_SLOT_AGGREGATE);
}

TEST(Slots, PrefixKeepsItsSlotOnRepeatedAcquire) {
  auto s = make_slots(8);
  uint32_t a = s.acquire(P("10.0.0.0/8"), SlotClass::local);
  EXPECT_EQ(s.acquire(P("10.0.0.0/8"), SlotClass::local), a);
  EXPECT_EQ(s.live(), 1u);
}

TEST(Slots, WithdrawnSlotStaysReadableAndReturnsToTheSamePrefix) {
  auto s = make_slots(8);
  uint32_t a = s.acquire(P("10.0.0.0/8"), SlotClass::local);
  s.take_changes();
  s.release(P("10.0.0.0/8"));
  EXPECT_EQ(s.row(a).state, BPFR_SLOT_WITHDRAWN);
  EXPECT_EQ(s.row(a).prefixlen, 8);
  auto ch = s.take_changes();
  ASSERT_EQ(ch.size(), 1u);
  EXPECT_FALSE(ch[0].reassigned);

  EXPECT_EQ(s.acquire(P("10.0.0.0/8"), SlotClass::local), a);
  EXPECT_EQ(s.row(a).state, BPFR_SLOT_LIVE);
  EXPECT_EQ(s.row(a).generation, 0u);
}

TEST(Slots, OldestWithdrawnSlotIsReusedFirstWithNewGeneration) {
  auto s = make_slots(3);
  uint32_t a = s.acquire(P("10.0.0.0/8"), SlotClass::local);
  uint32_t b = s.acquire(P("11.0.0.0/8"), SlotClass::local);
  s.release(P("10.0.0.0/8"));
  s.release(P("11.0.0.0/8"));
  s.take_changes();
  EXPECT_EQ(s.acquire(P("12.0.0.0/8"), SlotClass::local), a);
  EXPECT_EQ(s.row(a).generation, 1u);
  EXPECT_EQ(s.row(b).state, BPFR_SLOT_WITHDRAWN);
  auto ch = s.take_changes();
  ASSERT_EQ(ch.size(), 1u);
  EXPECT_TRUE(ch[0].reassigned);
  // 10/8 lost its slot for good: it comes back into a fresh one (b is the only one left).
  EXPECT_EQ(s.acquire(P("10.0.0.0/8"), SlotClass::local), b);
}

TEST(Slots, MoreSpecificPrefixTakesTheSlotOfALessSpecificOneWhenFull) {
  auto s = make_slots(2);
  uint32_t a = s.acquire(P("10.0.0.0/8"), SlotClass::learned);
  EXPECT_EQ(s.acquire(P("10.1.0.0/16"), SlotClass::learned), a);
  EXPECT_EQ(s.slot_of(P("10.0.0.0/8")), BPFR_SLOT_AGGREGATE);
  auto moved = s.take_moved();
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0], P("10.0.0.0/8"));
  // Less specific and same class: no preemption.
  EXPECT_EQ(s.acquire(P("11.0.0.0/8"), SlotClass::learned), BPFR_SLOT_AGGREGATE);
}

TEST(Slots, OwnRoutesOutrankLearnedAndConfiguredOutrankAll) {
  auto s = make_slots(2, {P("0.0.0.0/0")});
  uint32_t a = s.acquire(P("10.1.2.0/24"), SlotClass::learned);
  EXPECT_EQ(s.acquire(P("10.0.0.0/8"), SlotClass::local), a);
  EXPECT_EQ(s.acquire(P("0.0.0.0/0"), SlotClass::learned), a);
  EXPECT_EQ(s.aggregated(), 2u);
}

TEST(Slots, WaitingPrefixGetsASlotWhenOneIsReleased) {
  auto s = make_slots(2);
  uint32_t a = s.acquire(P("10.0.0.0/8"), SlotClass::local);
  EXPECT_EQ(s.acquire(P("11.0.0.0/8"), SlotClass::local), BPFR_SLOT_AGGREGATE);
  s.take_moved();
  s.release(P("10.0.0.0/8"));
  EXPECT_EQ(s.slot_of(P("11.0.0.0/8")), a);
  auto moved = s.take_moved();
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0], P("11.0.0.0/8"));
}

TEST(Slots, PrefixShorterThanMinimumLengthIsAggregated) {
  SlotPolicy pol;
  pol.slots = 8;
  pol.min_length_v6 = 32;
  SlotAllocator s(pol, [] { return uint64_t(0); });
  EXPECT_EQ(s.acquire(P("2000::/3"), SlotClass::learned), BPFR_SLOT_AGGREGATE);
  EXPECT_NE(s.acquire(P("2001:db8::/32"), SlotClass::learned), BPFR_SLOT_AGGREGATE);
  EXPECT_NE(s.acquire(P("10.0.0.0/8"), SlotClass::learned), BPFR_SLOT_AGGREGATE);
}

TEST(Slots, AdoptedRowIsKeptForItsPrefix) {
  auto s = make_slots(8);
  auto row = encode_slot(P("2001:db8::/32"), BPFR_SLOT_LIVE, 5, 1);
  s.adopt(6, row);
  EXPECT_EQ(s.row(6).state, BPFR_SLOT_WITHDRAWN);
  EXPECT_EQ(s.acquire(P("2001:db8::/32"), SlotClass::local), 6u);
  EXPECT_EQ(s.row(6).generation, 5u);
}

// ---- next hops ----

LinkFacts eth(uint32_t ifindex) {
  LinkFacts l;
  l.ifindex = ifindex;
  l.name = "eth" + std::to_string(ifindex);
  l.has_mac = true;
  l.mac = {2, 0, 0, 0, 0, uint8_t(ifindex)};
  return l;
}

TEST(NextHops, SameGatewayAndDeviceShareOneIdCountedByReference) {
  NextHopTable t;
  t.set_link(eth(3));
  uint32_t a = t.acquire({A("192.0.2.1"), 3});
  uint32_t b = t.acquire({A("192.0.2.1"), 3});
  uint32_t c = t.acquire({A("192.0.2.1"), 4});
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_NE(a, BPFR_NEXTHOP_NONE);
  EXPECT_EQ(t.refcount(a), 2u);
  t.release(a);
  EXPECT_EQ(t.refcount(a), 1u);
  EXPECT_TRUE(t.key_of(a));
  t.release(b);
  EXPECT_FALSE(t.key_of(a));
}

TEST(NextHops, FreedIdIsReused) {
  NextHopTable t;
  uint32_t a = t.acquire({A("192.0.2.1"), 3});
  t.release(a);
  EXPECT_EQ(t.acquire({A("192.0.2.9"), 3}), a);
}

TEST(NextHops, FullTableGivesNone) {
  NextHopTable t(3);  // ids 1 and 2
  EXPECT_NE(t.acquire({A("192.0.2.1"), 3}), BPFR_NEXTHOP_NONE);
  EXPECT_NE(t.acquire({A("192.0.2.2"), 3}), BPFR_NEXTHOP_NONE);
  EXPECT_EQ(t.acquire({A("192.0.2.3"), 3}), BPFR_NEXTHOP_NONE);
}

TEST(NextHops, UnknownMacAsksForResolutionAndNeighbourFillsIt) {
  NextHopTable t;
  t.set_link(eth(3));
  uint32_t id = t.acquire({A("2001:db8::1"), 3});
  auto req = t.take_resolve_requests();
  ASSERT_EQ(req.size(), 1u);
  EXPECT_EQ(req[0].gateway, A("2001:db8::1"));
  auto f = t.facts(id);
  EXPECT_TRUE(f.valid);
  EXPECT_FALSE(f.mac_known);
  EXPECT_EQ(encode_nexthop(f).flags, BPFR_NH_F_VALID);

  t.take_dirty();
  t.set_neighbour(3, A("2001:db8::1"), Mac{2, 0, 0, 0, 0, 0x42});
  auto dirty = t.take_dirty();
  ASSERT_EQ(dirty.size(), 1u);
  EXPECT_EQ(dirty[0], id);
  f = t.facts(id);
  EXPECT_TRUE(f.mac_known);
  EXPECT_EQ(f.dmac[5], 0x42);
  EXPECT_EQ(f.smac[5], 3);

  // The neighbour fails: back to the kernel path.
  t.set_neighbour(3, A("2001:db8::1"), std::nullopt);
  EXPECT_FALSE(t.facts(id).mac_known);
}

TEST(NextHops, KnownNeighbourNeedsNoResolution) {
  NextHopTable t;
  t.set_link(eth(3));
  t.set_neighbour(3, A("192.0.2.1"), Mac{1, 2, 3, 4, 5, 6});
  uint32_t id = t.acquire({A("192.0.2.1"), 3});
  EXPECT_TRUE(t.take_resolve_requests().empty());
  EXPECT_TRUE(t.facts(id).mac_known);
}

TEST(NextHops, L3DeviceNeedsNoMac) {
  NextHopTable t;
  LinkFacts wg;
  wg.ifindex = 9;
  wg.has_mac = false;
  wg.mtu = 1420;
  t.set_link(wg);
  uint32_t id = t.acquire({Address{}, 9});
  auto f = t.facts(id);
  EXPECT_TRUE(f.valid);
  EXPECT_EQ(f.kind, BPFR_NH_L3);
  EXPECT_EQ(f.mtu, 1420);
  EXPECT_TRUE(t.take_resolve_requests().empty());
}

TEST(NextHops, DownOrUnknownDeviceIsInvalid) {
  NextHopTable t;
  uint32_t id = t.acquire({A("192.0.2.1"), 3});
  EXPECT_FALSE(t.facts(id).valid);
  auto l = eth(3);
  l.up = false;
  t.set_link(l);
  EXPECT_FALSE(t.facts(id).valid);
}

// ---- FIB sync ----

struct FakeMaps : MapWriter {
  std::map<Prefix, bpfr_route_value> routes;
  std::map<uint32_t, bpfr_nexthop> nexthops;
  std::map<uint32_t, bpfr_slot_prefix> slots;
  std::vector<std::string> log;  // write order

  bool put_route(const Prefix& p, const bpfr_route_value& v) override {
    routes[p] = v;
    log.push_back("route " + p.str());
    return true;
  }
  bool delete_route(const Prefix& p) override {
    routes.erase(p);
    log.push_back("delete " + p.str());
    return true;
  }
  bool put_nexthop(uint32_t id, const bpfr_nexthop& nh) override {
    nexthops[id] = nh;
    log.push_back("nexthop " + std::to_string(id) + (nh.flags ? "" : " zero"));
    return true;
  }
  bool put_slot(uint32_t slot, const bpfr_slot_prefix& row, bool) override {
    slots[slot] = row;
    return true;
  }
};

struct SyncFixture : ::testing::Test {
  FakeMaps maps;
  NextHopTable nexthops;
  SlotAllocator slots{SlotPolicy{}, [] { return uint64_t(1); }};
  FibSync sync{maps, nexthops, slots};

  rib::FibEntry via(const char* prefix, const char* gw, uint32_t ifindex) {
    rib::FibEntry e;
    e.prefix = P(prefix);
    e.action = rib::Action::forward;
    e.gateway = A(gw);
    e.ifindex = ifindex;
    return e;
  }
  void SetUp() override {
    sync.on_link(eth(3));
    sync.on_link(eth(4));
    maps.log.clear();
  }
};

TEST_F(SyncFixture, RouteIsWrittenAfterItsNextHop) {
  auto e = via("2001:db8:1::/48", "fe80::1", 3);
  sync.on_fib_update(e.prefix, e);
  ASSERT_EQ(maps.log.size(), 2u);
  EXPECT_EQ(maps.log[0], "nexthop 1");
  EXPECT_EQ(maps.log[1], "route 2001:db8:1::/48");
  auto v = maps.routes.at(e.prefix);
  EXPECT_EQ(v.action, BPFR_ROUTE_FORWARD);
  EXPECT_EQ(v.nexthop, 1u);
  EXPECT_NE(v.slot, BPFR_SLOT_AGGREGATE);
  EXPECT_EQ(maps.nexthops.at(1).ifindex, 3u);
  EXPECT_EQ(maps.slots.at(v.slot).state, BPFR_SLOT_LIVE);
}

TEST_F(SyncFixture, RouteKeepsItsSlotWhenItsNextHopChanges) {
  auto e = via("192.0.2.0/24", "198.51.100.1", 3);
  sync.on_fib_update(e.prefix, e);
  uint32_t slot = maps.routes.at(e.prefix).slot;
  maps.log.clear();

  auto e2 = via("192.0.2.0/24", "198.51.100.2", 4);
  sync.on_fib_update(e2.prefix, e2);
  EXPECT_EQ(maps.routes.at(e.prefix).slot, slot);
  EXPECT_EQ(maps.routes.at(e.prefix).nexthop, 2u);
  // new next hop, route, then the old next hop zeroed
  ASSERT_EQ(maps.log.size(), 3u);
  EXPECT_EQ(maps.log[0], "nexthop 2");
  EXPECT_EQ(maps.log[1], "route 192.0.2.0/24");
  EXPECT_EQ(maps.log[2], "nexthop 1 zero");
}

TEST_F(SyncFixture, SharedNextHopSurvivesOneWithdraw) {
  auto a = via("192.0.2.0/24", "198.51.100.1", 3);
  auto b = via("203.0.113.0/24", "198.51.100.1", 3);
  sync.on_fib_update(a.prefix, a);
  sync.on_fib_update(b.prefix, b);
  EXPECT_EQ(maps.routes.at(a.prefix).nexthop, maps.routes.at(b.prefix).nexthop);
  sync.on_fib_withdraw(a.prefix);
  EXPECT_FALSE(maps.routes.count(a.prefix));
  EXPECT_EQ(maps.nexthops.at(1).flags, BPFR_NH_F_VALID);
  sync.on_fib_withdraw(b.prefix);
  EXPECT_EQ(maps.nexthops.at(1).flags, 0);
  EXPECT_EQ(maps.log.back(), "nexthop 1 zero");
}

TEST_F(SyncFixture, WithdrawnPrefixSlotIsMarkedWithdrawn) {
  auto a = via("192.0.2.0/24", "198.51.100.1", 3);
  sync.on_fib_update(a.prefix, a);
  uint32_t slot = maps.routes.at(a.prefix).slot;
  sync.on_fib_withdraw(a.prefix);
  EXPECT_EQ(maps.slots.at(slot).state, BPFR_SLOT_WITHDRAWN);
}

TEST_F(SyncFixture, NonForwardActionsCarryNoNextHop) {
  rib::FibEntry e;
  e.prefix = P("2001:db8:dead::/48");
  e.action = rib::Action::blackhole;
  e.own = true;
  sync.on_fib_update(e.prefix, e);
  auto v = maps.routes.at(e.prefix);
  EXPECT_EQ(v.action, BPFR_ROUTE_BLACKHOLE);
  EXPECT_EQ(v.nexthop, BPFR_NEXTHOP_NONE);
  EXPECT_EQ(v.flags, BPFR_ROUTE_F_OWN);
  EXPECT_TRUE(nexthops.size() == 0);
}

TEST_F(SyncFixture, ForwardWithoutDeviceGoesToTheKernel) {
  rib::FibEntry e;
  e.prefix = P("10.0.0.0/8");
  e.action = rib::Action::forward;
  e.learned = true;
  sync.on_fib_update(e.prefix, e);
  EXPECT_EQ(maps.routes.at(e.prefix).action, BPFR_ROUTE_KERNEL);
  EXPECT_EQ(maps.routes.at(e.prefix).flags, BPFR_ROUTE_F_LEARNED);
}

TEST_F(SyncFixture, NeighbourChangeRewritesTheNextHop) {
  auto a = via("192.0.2.0/24", "198.51.100.1", 3);
  sync.on_fib_update(a.prefix, a);
  auto req = sync.take_resolve_requests();
  ASSERT_EQ(req.size(), 1u);
  EXPECT_EQ(maps.nexthops.at(1).flags, BPFR_NH_F_VALID);
  sync.on_neighbour(3, A("198.51.100.1"), Mac{2, 0, 0, 0, 0, 7});
  EXPECT_EQ(maps.nexthops.at(1).flags, BPFR_NH_F_VALID | BPFR_NH_F_MAC);
  EXPECT_EQ(maps.nexthops.at(1).dmac[5], 7);
}

}  // namespace
}  // namespace bpfr::dp
