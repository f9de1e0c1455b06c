// Best route selection across protocols and recursive next-hop resolution, as the FIB listeners
// see them.
#include "rib/rib.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace bpfr::rib {
namespace {

Address addr(const char* text) {
  return *Address::parse(text);
}
Prefix pfx(const char* text) {
  return *Prefix::parse(text);
}

// Keeps what the listeners were told: the current FIB and every event in order.
class Recorder : public FibListener {
 public:
  void on_fib_update(const Prefix& p, const FibEntry& e) override {
    EXPECT_EQ(p, e.prefix);
    fib[p] = e;
    events.push_back("update " + p.str());
  }
  void on_fib_withdraw(const Prefix& p) override {
    EXPECT_TRUE(fib.count(p)) << "withdraw without update for " << p.str();
    fib.erase(p);
    events.push_back("withdraw " + p.str());
  }
  const FibEntry& at(const char* p) const { return fib.at(pfx(p)); }
  std::map<Prefix, FibEntry> fib;
  std::vector<std::string> events;
};

RouteSpec via(const char* gw, uint32_t ifindex = 0) {
  RouteSpec s;
  s.kind = RouteKind::gateway;
  s.gateway = addr(gw);
  s.ifindex = ifindex;
  return s;
}

RouteSpec dev(uint32_t ifindex) {
  RouteSpec s;
  s.kind = RouteKind::interface;
  s.ifindex = ifindex;
  return s;
}

RouteSpec kind(RouteKind k) {
  RouteSpec s;
  s.kind = k;
  return s;
}

RouteSpec with_attrs(RouteSpec s, int value) {
  s.attrs = std::make_shared<const int>(value);
  return s;
}

struct Fixture : testing::Test {
  Fixture() {
    rib.add_listener(&rec);
    rib.add_connected(pfx("10.0.0.0/24"), 2);
    rib.add_connected(pfx("10.0.1.0/24"), 3);
    rib.add_connected(pfx("2001:db8:ff::/64"), 2);
  }
  Rib rib;
  Recorder rec;
  ProtoId direct = rib.add_protocol("direct1", Source::direct);
  ProtoId stat = rib.add_protocol("static1", Source::static_);
  ProtoId kernel = rib.add_protocol("kernel1", Source::kernel);
  ProtoId bgp1 = rib.add_protocol("upstream1", Source::bgp);
  ProtoId bgp2 = rib.add_protocol("upstream2", Source::bgp);
};

// --- Best selection ----------------------------------------------------------------------------

struct Offer {
  const char* proto;  // direct1, static1, kernel1, upstream1, upstream2
  RouteSpec spec;
};

struct SelectionRow {
  const char* name;
  std::vector<Offer> offers;  // announced in this order for 192.0.2.0/24
  const char* winner;
  Action action;
};

class BestSelection : public Fixture, public testing::WithParamInterface<SelectionRow> {};

TEST_P(BestSelection, Row) {
  const auto& row = GetParam();
  // upstream1 and upstream2 compare by their attribute value: lower is better.
  rib.set_bgp_better([](const Route& a, const Route& b) {
    return *static_cast<const int*>(a.attrs.get()) < *static_cast<const int*>(b.attrs.get());
  });
  std::map<std::string, ProtoId> ids{{"direct1", direct},
                                     {"static1", stat},
                                     {"kernel1", kernel},
                                     {"upstream1", bgp1},
                                     {"upstream2", bgp2}};
  for (const auto& o : row.offers)
    rib.update(pfx("192.0.2.0/24"), ids.at(o.proto), o.spec);
  const FibEntry& f = rec.at("192.0.2.0/24");
  EXPECT_EQ(rib.protocol(f.proto).name, row.winner);
  EXPECT_EQ(f.action, row.action);
}

INSTANTIATE_TEST_SUITE_P(
    Rows, BestSelection,
    testing::Values(
        SelectionRow{"DirectBeatsStatic",
                     {{"static1", via("10.0.0.1")}, {"direct1", dev(2)}},
                     "direct1",
                     Action::forward},
        SelectionRow{"StaticBeatsBgp",
                     {{"upstream1", with_attrs(via("10.0.0.1"), 1)}, {"static1", via("10.0.1.1")}},
                     "static1",
                     Action::forward},
        SelectionRow{
            "BgpBeatsKernel",
            {{"kernel1", via("10.0.0.9", 2)}, {"upstream1", with_attrs(via("10.0.0.1"), 1)}},
            "upstream1",
            Action::forward},
        SelectionRow{"BgpRoutesOrderedByTheBgpComparator",
                     {{"upstream1", with_attrs(via("10.0.0.1"), 5)},
                      {"upstream2", with_attrs(via("10.0.1.1"), 3)}},
                     "upstream2",
                     Action::forward},
        SelectionRow{"UnresolvableGatewayLosesToLowerPreference",
                     {{"static1", via("203.0.113.9")}, {"kernel1", via("10.0.0.9", 2)}},
                     "kernel1",
                     Action::forward},
        SelectionRow{"BlackholeIsChosenLikeAnyRoute",
                     {{"upstream1", with_attrs(via("10.0.0.1"), 1)},
                      {"static1", kind(RouteKind::blackhole)}},
                     "static1",
                     Action::blackhole},
        SelectionRow{"UnreachableRoute",
                     {{"static1", kind(RouteKind::unreachable)}},
                     "static1",
                     Action::unreachable},
        SelectionRow{
            "ProhibitRoute", {{"static1", kind(RouteKind::prohibit)}}, "static1", Action::prohibit},
        SelectionRow{"OnlyUnresolvableRoutesHandToTheKernel",
                     {{"upstream1", with_attrs(via("203.0.113.1"), 1)}},
                     "upstream1",
                     Action::kernel}),
    [](const auto& row) { return std::string(row.param.name); });

TEST_F(Fixture, BgpWithoutComparatorTakesTheFirstConfiguredSession) {
  rib.update(pfx("192.0.2.0/24"), bgp2, via("10.0.1.1"));
  rib.update(pfx("192.0.2.0/24"), bgp1, via("10.0.0.1"));
  EXPECT_EQ(rec.at("192.0.2.0/24").proto, bgp1);
}

TEST_F(Fixture, ConfiguredPreferenceOverridesTheDefault) {
  ProtoId pref_bgp = rib.add_protocol("preferred", Source::bgp, 250);
  rib.update(pfx("10.0.0.0/24"), direct, dev(2));
  rib.update(pfx("10.0.0.0/24"), pref_bgp, via("10.0.1.1"));
  EXPECT_EQ(rec.at("10.0.0.0/24").proto, pref_bgp);
}

TEST_F(Fixture, FlagsCarryLearnedAndOwn) {
  RouteSpec own = kind(RouteKind::blackhole);
  own.own = true;
  rib.update(pfx("2001:db8:1234::/48"), stat, own);
  rib.update(pfx("198.51.100.0/24"), bgp1, via("10.0.0.1"));
  EXPECT_TRUE(rec.at("2001:db8:1234::/48").own);
  EXPECT_FALSE(rec.at("2001:db8:1234::/48").learned);
  EXPECT_TRUE(rec.at("198.51.100.0/24").learned);
  EXPECT_EQ(rec.at("198.51.100.0/24").source, Source::bgp);
}

TEST_F(Fixture, WithdrawOfANonBestRouteTellsNobody) {
  rib.update(pfx("192.0.2.0/24"), stat, via("10.0.0.1"));
  rib.update(pfx("192.0.2.0/24"), bgp1, via("10.0.1.1"));
  rec.events.clear();
  rib.withdraw(pfx("192.0.2.0/24"), bgp1);
  EXPECT_TRUE(rec.events.empty());
  rib.withdraw(pfx("192.0.2.0/24"), stat);
  EXPECT_EQ(rec.events, std::vector<std::string>{"withdraw 192.0.2.0/24"});
  EXPECT_EQ(rib.prefix_count(), 0u);
}

TEST_F(Fixture, WithdrawOfTheBestFallsBackToTheNext) {
  rib.update(pfx("192.0.2.0/24"), bgp1, via("10.0.1.1"));
  rib.update(pfx("192.0.2.0/24"), stat, via("10.0.0.1"));
  rib.withdraw(pfx("192.0.2.0/24"), stat);
  EXPECT_EQ(rec.at("192.0.2.0/24").proto, bgp1);
  EXPECT_EQ(rec.at("192.0.2.0/24").ifindex, 3u);
}

TEST_F(Fixture, ReannouncingTheSameNextHopTellsNobody) {
  rib.update(pfx("192.0.2.0/24"), bgp1, with_attrs(via("10.0.1.1"), 1));
  rec.events.clear();
  rib.update(pfx("192.0.2.0/24"), bgp1, with_attrs(via("10.0.1.1"), 2));
  EXPECT_TRUE(rec.events.empty());
}

TEST_F(Fixture, WithdrawAllRemovesOneSessionsRoutes) {
  for (int i = 0; i < 50; i++) {
    Prefix p = Prefix::make(Address::v4(0xc6336400u + uint32_t(i) * 256u), 24);
    rib.update(p, bgp1, via("10.0.0.1"));
    rib.update(p, bgp2, via("10.0.1.1"));
  }
  rib.withdraw_all(bgp1);
  EXPECT_EQ(rib.route_count(), 50u);
  EXPECT_EQ(rec.fib.size(), 50u);
  for (const auto& [p, f] : rec.fib)
    EXPECT_EQ(f.proto, bgp2);
}

// --- Recursive next-hop resolution -------------------------------------------------------------

TEST_F(Fixture, ConnectedGatewayIsItsOwnNeighbour) {
  rib.update(pfx("192.0.2.0/24"), stat, via("10.0.0.1"));
  const FibEntry& f = rec.at("192.0.2.0/24");
  EXPECT_EQ(f.action, Action::forward);
  EXPECT_EQ(f.ifindex, 2u);
  EXPECT_EQ(f.gateway, addr("10.0.0.1"));
}

TEST_F(Fixture, GatewayViaStaticRouteViaConnectedNetwork) {
  rib.update(pfx("192.0.2.0/24"), stat, via("10.0.0.1"));
  rib.update(pfx("198.51.100.0/24"), bgp1, via("192.0.2.5"));
  const FibEntry& f = rec.at("198.51.100.0/24");
  EXPECT_EQ(f.action, Action::forward);
  EXPECT_EQ(f.ifindex, 2u);
  EXPECT_EQ(f.gateway, addr("10.0.0.1"));
}

TEST_F(Fixture, GatewayAnnouncedBeforeTheRouteToItResolvesWhenItArrives) {
  rib.update(pfx("198.51.100.0/24"), bgp1, via("192.0.2.5"));
  EXPECT_EQ(rec.at("198.51.100.0/24").action, Action::kernel);
  rib.update(pfx("192.0.2.0/24"), stat, via("10.0.0.1"));
  EXPECT_EQ(rec.at("198.51.100.0/24").action, Action::forward);
  EXPECT_EQ(rec.at("198.51.100.0/24").gateway, addr("10.0.0.1"));
}

TEST_F(Fixture, ChangeOfTheUnderlyingRoutePropagates) {
  rib.update(pfx("192.0.2.0/24"), stat, via("10.0.0.1"));
  rib.update(pfx("198.51.100.0/24"), bgp1, via("192.0.2.5"));
  rib.update(pfx("192.0.2.0/24"), stat, via("10.0.1.1"));
  EXPECT_EQ(rec.at("192.0.2.0/24").ifindex, 3u);
  EXPECT_EQ(rec.at("198.51.100.0/24").ifindex, 3u);
  EXPECT_EQ(rec.at("198.51.100.0/24").gateway, addr("10.0.1.1"));

  rib.withdraw(pfx("192.0.2.0/24"), stat);
  EXPECT_EQ(rec.at("198.51.100.0/24").action, Action::kernel);
}

TEST_F(Fixture, MoreSpecificRouteToTheGatewayTakesOver) {
  rib.update(pfx("192.0.0.0/16"), stat, via("10.0.0.1"));
  rib.update(pfx("198.51.100.0/24"), bgp1, via("192.0.2.5"));
  ProtoId stat2 = rib.add_protocol("static2", Source::static_);
  rib.update(pfx("192.0.2.0/24"), stat2, via("10.0.1.1"));
  EXPECT_EQ(rec.at("198.51.100.0/24").gateway, addr("10.0.1.1"));
  rib.withdraw(pfx("192.0.2.0/24"), stat2);
  EXPECT_EQ(rec.at("198.51.100.0/24").gateway, addr("10.0.0.1"));
}

TEST_F(Fixture, GatewayNeverResolvesThroughAnotherRecursiveRoute) {
  // 203.0.113.0/24 is itself recursive (via 192.0.2.7 through 192.0.2.0/24), so it cannot carry
  // 203.0.113.9, as in BIRD; the default route, direct, can.
  rib.update(pfx("192.0.2.0/24"), stat, via("10.0.0.1"));
  rib.update(pfx("203.0.113.0/24"), kernel, via("192.0.2.7"));
  rib.update(pfx("198.51.100.0/24"), bgp1, via("203.0.113.9"));
  EXPECT_EQ(rec.at("203.0.113.0/24").gateway, addr("10.0.0.1"));
  EXPECT_EQ(rec.at("198.51.100.0/24").action, Action::kernel);
  rib.update(pfx("0.0.0.0/0"), kernel, via("10.0.1.254", 3));
  EXPECT_EQ(rec.at("198.51.100.0/24").gateway, addr("10.0.1.254"));
}

TEST_F(Fixture, ConnectedNetworkShorterThanTheRouteUsedStillWins) {
  rib.update(pfx("172.16.0.0/16"), stat, via("10.0.0.1"));
  rib.update(pfx("198.51.100.0/24"), bgp1, via("172.16.5.5"));
  EXPECT_EQ(rec.at("198.51.100.0/24").gateway, addr("10.0.0.1"));
  rib.add_connected(pfx("172.16.0.0/12"), 7);
  EXPECT_EQ(rec.at("198.51.100.0/24").gateway, addr("172.16.5.5"));
  EXPECT_EQ(rec.at("198.51.100.0/24").ifindex, 7u);
}

TEST_F(Fixture, PeersAnnouncingThePrefixOfTheirOwnNextHopsLoseItWithTheLink) {
  // Three sessions announce 10.0.0.0/24, their own connected network, and more behind them.
  // When the link goes, none may resolve through another's route for 10.0.0.0/24.
  ProtoId bgp3 = rib.add_protocol("upstream3", Source::bgp);
  ProtoId peers[] = {bgp1, bgp2, bgp3};
  const char* hops[] = {"10.0.0.1", "10.0.0.2", "10.0.0.3"};
  for (int i = 0; i < 3; i++) {
    rib.update(pfx("10.0.0.0/24"), peers[i], via(hops[i]));
    rib.update(pfx("198.51.100.0/24"), peers[i], via(hops[i]));
  }
  rec.events.clear();
  rib.remove_connected(pfx("10.0.0.0/24"), 2);
  EXPECT_EQ(rec.at("10.0.0.0/24").action, Action::kernel);
  EXPECT_EQ(rec.at("198.51.100.0/24").action, Action::kernel);
  EXPECT_EQ(rec.events.size(), 2u) << testing::PrintToString(rec.events);
}

TEST_F(Fixture, ConnectedNetworkGoingAwayAndBack) {
  rib.update(pfx("192.0.2.0/24"), stat, via("10.0.0.1"));
  rib.update(pfx("198.51.100.0/24"), bgp1, via("192.0.2.5"));
  rib.remove_connected(pfx("10.0.0.0/24"), 2);
  EXPECT_EQ(rec.at("192.0.2.0/24").action, Action::kernel);
  EXPECT_EQ(rec.at("198.51.100.0/24").action, Action::kernel);
  rib.add_connected(pfx("10.0.0.0/24"), 5);
  EXPECT_EQ(rec.at("198.51.100.0/24").action, Action::forward);
  EXPECT_EQ(rec.at("198.51.100.0/24").ifindex, 5u);
}

TEST_F(Fixture, RouteCoveringItsOwnGatewayIsALoopAndRefused) {
  rib.update(pfx("172.16.0.0/12"), bgp1, via("172.16.1.1"));
  EXPECT_EQ(rec.at("172.16.0.0/12").action, Action::kernel);
  EXPECT_FALSE(rib.gateway(addr("172.16.1.1"))->ok);
}

TEST_F(Fixture, TwoRoutesThroughEachOtherAreALoopAndRefused) {
  rib.update(pfx("192.0.2.0/24"), stat, via("198.51.100.1"));
  rib.update(pfx("198.51.100.0/24"), stat, via("192.0.2.1"));
  EXPECT_EQ(rec.at("192.0.2.0/24").action, Action::kernel);
  EXPECT_EQ(rec.at("198.51.100.0/24").action, Action::kernel);
}

TEST_F(Fixture, LoopIsBrokenByAnotherRouteForTheSamePrefix) {
  // 172.16.1.1 resolves through the kernel's route for 172.16.0.0/12, not through the static
  // route that uses it, so the static route wins with the kernel route's next hop.
  rib.update(pfx("172.16.0.0/12"), stat, via("172.16.1.1"));
  rib.update(pfx("172.16.0.0/12"), kernel, via("10.0.0.254", 2));
  const FibEntry& f = rec.at("172.16.0.0/12");
  EXPECT_EQ(f.proto, stat);
  EXPECT_EQ(f.gateway, addr("10.0.0.254"));
}

TEST_F(Fixture, GatewayThroughABlackholeIsUnresolved) {
  rib.update(pfx("192.0.2.0/24"), stat, kind(RouteKind::blackhole));
  rib.update(pfx("198.51.100.0/24"), bgp1, via("192.0.2.5"));
  EXPECT_EQ(rec.at("198.51.100.0/24").action, Action::kernel);
}

TEST_F(Fixture, KernelDefaultRouteResolvesBgpNextHops) {
  rib.update(pfx("0.0.0.0/0"), kernel, via("10.0.0.254", 2));
  rib.update(pfx("198.51.100.0/24"), bgp1, via("203.0.113.1"));
  EXPECT_EQ(rec.at("198.51.100.0/24").gateway, addr("10.0.0.254"));
}

TEST_F(Fixture, LinkLocalGatewayWithInterfaceIsOnLink) {
  rib.update(pfx("2001:db8:1234::/48"), bgp1, via("fe80::1", 4));
  const FibEntry& f = rec.at("2001:db8:1234::/48");
  EXPECT_EQ(f.action, Action::forward);
  EXPECT_EQ(f.ifindex, 4u);
  EXPECT_EQ(f.gateway, addr("fe80::1"));
}

TEST_F(Fixture, RouteViaInterfaceIsOnLinkWithoutGateway) {
  rib.update(pfx("2001:db8:1234:100::/56"), stat, dev(9));
  const FibEntry& f = rec.at("2001:db8:1234:100::/56");
  EXPECT_EQ(f.action, Action::forward);
  EXPECT_EQ(f.ifindex, 9u);
  EXPECT_FALSE(f.gateway);
}

TEST_F(Fixture, Ipv6GatewayViaStaticRoute) {
  rib.update(pfx("2001:db8:aa::/48"), stat, via("2001:db8:ff::1"));
  rib.update(pfx("2001:db8:bb::/48"), bgp1, via("2001:db8:aa::1"));
  EXPECT_EQ(rec.at("2001:db8:bb::/48").gateway, addr("2001:db8:ff::1"));
  EXPECT_EQ(rec.at("2001:db8:bb::/48").ifindex, 2u);
}

TEST(RibOptions, UnresolvedMayBeUnreachable) {
  Rib rib(Rib::Options{Action::unreachable});
  Recorder rec;
  rib.add_listener(&rec);
  ProtoId bgp = rib.add_protocol("upstream1", Source::bgp);
  rib.update(pfx("198.51.100.0/24"), bgp, via("203.0.113.1"));
  EXPECT_EQ(rec.at("198.51.100.0/24").action, Action::unreachable);
}

TEST_F(Fixture, ManyRoutesFollowOneGatewayChange) {
  rib.update(pfx("192.0.2.0/24"), stat, via("10.0.0.1"));
  for (uint32_t i = 0; i < 10000; i++)
    rib.update(Prefix::make(Address::v4(0x64000000u + i * 256u), 24), bgp1, via("192.0.2.5"));
  rec.events.clear();
  rib.update(pfx("192.0.2.0/24"), stat, via("10.0.1.1"));
  EXPECT_EQ(rec.events.size(), 10001u);
  EXPECT_EQ(rec.at("100.0.0.0/24").ifindex, 3u);
  EXPECT_EQ(rib.gateway(addr("192.0.2.5"))->dependents.size(), 10000u);
}

}  // namespace
}  // namespace bpfr::rib

namespace bpfr::rib {
namespace {

// Random announcements and withdrawals from several protocols over a few prefixes and
// gateways: the dependency index stays exact, and the listeners' FIB equals the RIB's.
TEST(RibRandomised, IndexAndFibStayConsistent) {
  Rib rib;
  Recorder rec;
  rib.add_listener(&rec);
  rib.add_connected(pfx("10.0.0.0/24"), 2);
  std::vector<ProtoId> protos;
  for (auto [name, src] : {std::pair{"static1", Source::static_},
                           {"kernel1", Source::kernel},
                           {"up1", Source::bgp},
                           {"up2", Source::bgp},
                           {"up3", Source::bgp}})
    protos.push_back(rib.add_protocol(name, src));
  const char* prefixes[] = {"192.0.2.0/24", "192.0.2.0/25",   "198.51.100.0/24", "10.0.0.0/8",
                            "0.0.0.0/0",    "203.0.113.0/24", "192.0.0.0/16"};
  const char* gateways[] = {"10.0.0.1",     "10.0.0.2",    "192.0.2.1", "192.0.2.200",
                            "198.51.100.7", "203.0.113.5", "10.1.1.1"};
  uint32_t seed = 12345;
  auto rnd = [&](uint32_t n) {
    seed = seed * 1103515245u + 12345u;
    return (seed >> 16) % n;
  };
  for (int step = 0; step < 5000; step++) {
    Prefix p = pfx(prefixes[rnd(std::size(prefixes))]);
    ProtoId proto = protos[rnd(protos.size())];
    switch (rnd(6)) {
      case 0:
        rib.withdraw(p, proto);
        break;
      case 1:
        rib.update(p, proto, dev(3));
        break;
      case 2:
        rib.update(p, proto, kind(RouteKind::blackhole));
        break;
      default:
        rib.update(p, proto, via(gateways[rnd(std::size(gateways))]));
        break;
    }
    if (rnd(50) == 0)
      rib.remove_connected(pfx("10.0.0.0/24"), 2);
    if (rnd(50) == 0)
      rib.add_connected(pfx("10.0.0.0/24"), 2);
    std::string why;
    ASSERT_TRUE(rib.check_index(&why)) << "step " << step << ": " << why;
  }
  size_t in_rib = 0;
  rib.for_each([&](const PrefixEntry& e) {
    auto f = rib.fib(e.prefix);
    if (!f)
      return;
    in_rib++;
    ASSERT_TRUE(rec.fib.count(e.prefix)) << e.prefix.str();
    EXPECT_EQ(rec.fib.at(e.prefix), *f) << e.prefix.str();
  });
  EXPECT_EQ(in_rib, rec.fib.size());
}

}  // namespace
}  // namespace bpfr::rib
