// `protocol kernel` export (FIB entries to kernel routes) and the kernel state fed into the RIB.
// clang-format off
// <net/if.h> (which asio includes) must precede the <linux/if.h> that <linux/if_arp.h> pulls in.
#include <net/if.h>
// clang-format on
#include <gtest/gtest.h>
#include <linux/if_arp.h>
#include <linux/rtnetlink.h>

#include "rib/kernel_export.h"
#include "rib/kernel_sync.h"

namespace bpfr::rib {
namespace {

using netlink::KernelRoute;
using netlink::RouteOp;

Address addr(const char* text) {
  return *Address::parse(text);
}
Prefix pfx(const char* text) {
  return *Prefix::parse(text);
}

struct Written {
  RouteOp op;
  KernelRoute route;
};

FibEntry entry(const char* prefix, Action action, Source source = Source::static_) {
  FibEntry e;
  e.prefix = pfx(prefix);
  e.action = action;
  e.source = source;
  return e;
}

struct ExportRow {
  const char* name;
  FibEntry entry;
  bool exported;
  uint8_t type;
  uint8_t scope;
};

FibEntry forward_via(const char* prefix, const char* gw, uint32_t ifindex,
                     Source source = Source::bgp) {
  FibEntry e = entry(prefix, Action::forward, source);
  e.gateway = addr(gw);
  e.ifindex = ifindex;
  return e;
}

FibEntry forward_dev(const char* prefix, uint32_t ifindex) {
  FibEntry e = entry(prefix, Action::forward);
  e.ifindex = ifindex;
  return e;
}

class ExportKind : public testing::TestWithParam<ExportRow> {};

TEST_P(ExportKind, Row) {
  const auto& row = GetParam();
  auto r = KernelExporter::to_kernel(row.entry, KernelExportOptions{});
  ASSERT_EQ(r.has_value(), row.exported);
  if (!r)
    return;
  EXPECT_EQ(r->type, row.type);
  EXPECT_EQ(r->scope, row.scope);
  EXPECT_EQ(r->protocol, RTPROT_BIRD);
  EXPECT_EQ(r->priority, 32u);
}

INSTANTIATE_TEST_SUITE_P(
    Rows, ExportKind,
    testing::Values(
        ExportRow{"GatewayIsUnicastUniverse", forward_via("192.0.2.0/24", "10.0.0.1", 2), true,
                  RTN_UNICAST, RT_SCOPE_UNIVERSE},
        ExportRow{"DeviceRouteIsUnicastLink", forward_dev("192.0.2.0/24", 2), true, RTN_UNICAST,
                  RT_SCOPE_LINK},
        ExportRow{"Blackhole", entry("192.0.2.0/24", Action::blackhole), true, RTN_BLACKHOLE,
                  RT_SCOPE_UNIVERSE},
        ExportRow{"Unreachable", entry("192.0.2.0/24", Action::unreachable), true, RTN_UNREACHABLE,
                  RT_SCOPE_UNIVERSE},
        ExportRow{"Prohibit", entry("192.0.2.0/24", Action::prohibit), true, RTN_PROHIBIT,
                  RT_SCOPE_UNIVERSE},
        ExportRow{"KernelHandOffIsNotExported", entry("192.0.2.0/24", Action::kernel), false, 0, 0},
        ExportRow{"LocalAddressIsNotExported", entry("192.0.2.1/32", Action::local), false, 0, 0},
        ExportRow{"DirectRouteIsNotExported",
                  forward_via("192.0.2.0/24", "10.0.0.1", 2, Source::direct), false, 0, 0},
        ExportRow{"KernelLearnedRouteIsNotExportedBack",
                  forward_via("192.0.2.0/24", "10.0.0.1", 2, Source::kernel), false, 0, 0}),
    [](const auto& row) { return std::string(row.param.name); });

struct ExporterFixture : testing::Test {
  std::vector<Written> written;
  KernelExportOptions options() {
    KernelExportOptions o;
    o.table = 100;
    o.metric = 50;
    o.prefsrc_v4 = addr("10.0.0.254");
    return o;
  }
  RouteWriter writer() {
    return [this](RouteOp op, const KernelRoute& r) { written.push_back({op, r}); };
  }
};

TEST_F(ExporterFixture, UpdateReplacesInTheConfiguredTableWithMetricAndPrefsrc) {
  KernelExporter ex(writer(), options());
  ex.on_fib_update(pfx("192.0.2.0/24"), forward_via("192.0.2.0/24", "10.0.0.1", 2));
  ASSERT_EQ(written.size(), 1u);
  EXPECT_EQ(written[0].op, RouteOp::replace);
  EXPECT_EQ(written[0].route.table, 100u);
  EXPECT_EQ(written[0].route.priority, 50u);
  EXPECT_EQ(written[0].route.prefsrc, addr("10.0.0.254"));
  ASSERT_EQ(written[0].route.nexthops.size(), 1u);
  EXPECT_EQ(written[0].route.nexthops[0].gateway, addr("10.0.0.1"));
  EXPECT_EQ(written[0].route.nexthops[0].ifindex, 2u);
}

TEST_F(ExporterFixture, Ipv6RouteGetsNoIpv4Prefsrc) {
  KernelExporter ex(writer(), options());
  ex.on_fib_update(pfx("2001:db8::/32"), forward_via("2001:db8::/32", "fe80::1", 2));
  ASSERT_EQ(written.size(), 1u);
  EXPECT_FALSE(written[0].route.prefsrc);
}

TEST_F(ExporterFixture, WithdrawRemovesOnlyWhatWasInstalled) {
  KernelExporter ex(writer(), options());
  ex.on_fib_withdraw(pfx("192.0.2.0/24"));
  EXPECT_TRUE(written.empty());
  ex.on_fib_update(pfx("192.0.2.0/24"), entry("192.0.2.0/24", Action::blackhole));
  ex.on_fib_withdraw(pfx("192.0.2.0/24"));
  ASSERT_EQ(written.size(), 2u);
  EXPECT_EQ(written[1].op, RouteOp::remove);
  EXPECT_EQ(written[1].route.table, 100u);
  EXPECT_EQ(written[1].route.priority, 50u);
}

TEST_F(ExporterFixture, EntryBecomingUnexportableIsRemoved) {
  KernelExporter ex(writer(), options());
  ex.on_fib_update(pfx("192.0.2.0/24"), forward_via("192.0.2.0/24", "10.0.0.1", 2));
  ex.on_fib_update(pfx("192.0.2.0/24"), entry("192.0.2.0/24", Action::kernel));
  ASSERT_EQ(written.size(), 2u);
  EXPECT_EQ(written[1].op, RouteOp::remove);
  EXPECT_EQ(ex.installed(), 0u);
}

TEST_F(ExporterFixture, ExportFilterRejects) {
  auto o = options();
  o.accept = [](const FibEntry& e, KernelAttrs&) { return e.prefix.len <= 24; };
  KernelExporter ex(writer(), o);
  ex.on_fib_update(pfx("192.0.2.128/25"), entry("192.0.2.128/25", Action::blackhole));
  EXPECT_TRUE(written.empty());
}

// `export filter { krt_prefsrc = ...; krt_metric = ...; accept; }` as BIRD honours it.
TEST_F(ExporterFixture, FilterSetsPrefsrcAndMetricOfTheRoute) {
  auto o = options();
  o.accept = [](const FibEntry& e, KernelAttrs& a) {
    if (e.prefix == pfx("192.0.2.0/24")) {
      a.prefsrc = addr("10.0.0.7");
      a.metric = 77;
    }
    return true;
  };
  KernelExporter ex(writer(), o);
  ex.on_fib_update(pfx("192.0.2.0/24"), forward_via("192.0.2.0/24", "10.0.0.1", 2));
  ex.on_fib_update(pfx("198.51.100.0/24"), forward_via("198.51.100.0/24", "10.0.0.1", 2));
  ASSERT_EQ(written.size(), 2u);
  EXPECT_EQ(written[0].route.prefsrc, addr("10.0.0.7"));
  EXPECT_EQ(written[0].route.priority, 77u);
  EXPECT_EQ(written[1].route.prefsrc, addr("10.0.0.254"));  // the options' own
  EXPECT_EQ(written[1].route.priority, 50u);

  ex.on_fib_withdraw(pfx("192.0.2.0/24"));
  ASSERT_EQ(written.size(), 3u);
  EXPECT_EQ(written[2].op, RouteOp::remove);
  EXPECT_EQ(written[2].route.priority, 77u);  // the kernel finds the route by its metric
}

TEST_F(ExporterFixture, ChangedMetricRemovesTheRouteOfTheOldOne) {
  uint32_t metric = 10;
  auto o = options();
  o.accept = [&metric](const FibEntry&, KernelAttrs& a) {
    a.metric = metric;
    return true;
  };
  KernelExporter ex(writer(), o);
  ex.on_fib_update(pfx("192.0.2.0/24"), entry("192.0.2.0/24", Action::blackhole));
  metric = 20;
  ex.on_fib_update(pfx("192.0.2.0/24"), entry("192.0.2.0/24", Action::blackhole));
  ASSERT_EQ(written.size(), 3u);
  EXPECT_EQ(written[1].op, RouteOp::remove);
  EXPECT_EQ(written[1].route.priority, 10u);
  EXPECT_EQ(written[2].op, RouteOp::replace);
  EXPECT_EQ(written[2].route.priority, 20u);
  EXPECT_EQ(ex.installed(), 1u);
}

TEST_F(ExporterFixture, ShutdownRemovesUnlessPersist) {
  {
    KernelExporter ex(writer(), options());
    ex.on_fib_update(pfx("192.0.2.0/24"), entry("192.0.2.0/24", Action::blackhole));
    ex.shutdown();
    ASSERT_EQ(written.size(), 2u);
    EXPECT_EQ(written[1].op, RouteOp::remove);
  }
  written.clear();
  auto o = options();
  o.persist = true;
  KernelExporter ex(writer(), o);
  ex.on_fib_update(pfx("192.0.2.0/24"), entry("192.0.2.0/24", Action::blackhole));
  ex.shutdown();
  EXPECT_EQ(written.size(), 1u);
}

TEST_F(ExporterFixture, PruneRemovesStaleRoutesOfOurProtocolOnly) {
  KernelExporter ex(writer(), options());
  KernelRoute ours;
  ours.prefix = pfx("203.0.113.0/24");
  ours.table = 100;
  ours.protocol = RTPROT_BIRD;
  ours.priority = 50;
  KernelRoute kept = ours;
  kept.prefix = pfx("192.0.2.0/24");
  KernelRoute foreign = ours;
  foreign.prefix = pfx("198.51.100.0/24");
  foreign.protocol = RTPROT_STATIC;
  for (const auto& r : {ours, kept, foreign})
    ex.on_kernel_route(netlink::Change::added, r);
  ex.on_fib_update(pfx("192.0.2.0/24"), entry("192.0.2.0/24", Action::blackhole));
  written.clear();
  ex.prune();
  ASSERT_EQ(written.size(), 1u);
  EXPECT_EQ(written[0].op, RouteOp::remove);
  EXPECT_EQ(written[0].route.prefix, pfx("203.0.113.0/24"));
}

TEST_F(ExporterFixture, AttachedToTheRibItFollowsBestRoutes) {
  Rib rib;
  KernelExporter ex(writer(), options());
  rib.add_listener(&ex);
  ProtoId s = rib.add_protocol("static1", Source::static_);
  rib.add_connected(pfx("10.0.0.0/24"), 2);
  RouteSpec spec;
  spec.gateway = addr("10.0.0.1");
  rib.update(pfx("192.0.2.0/24"), s, spec);
  rib.withdraw(pfx("192.0.2.0/24"), s);
  ASSERT_EQ(written.size(), 2u);
  EXPECT_EQ(written[0].op, RouteOp::replace);
  EXPECT_EQ(written[1].op, RouteOp::remove);
}

// --- KernelSync --------------------------------------------------------------------------------

struct SyncFixture : testing::Test {
  Rib rib;
  ProtoId direct = rib.add_protocol("direct1", Source::direct);
  ProtoId local = rib.add_protocol("local", Source::direct);
  ProtoId kernel = rib.add_protocol("kernel1", Source::kernel);
  ProtoId stat = rib.add_protocol("static1", Source::static_);
  KernelSync sync{rib, [this] {
                    KernelSyncOptions o;
                    o.direct = direct;
                    o.direct_interfaces = [](const netlink::Link& l) {
                      return l.name.starts_with("dummy");
                    };
                    o.local = local;
                    o.learn = kernel;
                    return o;
                  }()};

  netlink::Link link(uint32_t ifindex, const char* name, bool up) {
    netlink::Link l;
    l.ifindex = ifindex;
    l.name = name;
    l.type = ARPHRD_ETHER;
    l.flags = up ? IFF_UP | IFF_RUNNING : 0;
    return l;
  }
  netlink::InterfaceAddress address(uint32_t ifindex, const char* a, uint8_t len) {
    netlink::InterfaceAddress x;
    x.ifindex = ifindex;
    x.address = addr(a);
    x.prefixlen = len;
    return x;
  }
};

TEST_F(SyncFixture, AddressOnAnUpLinkMakesConnectedDirectAndLocal) {
  sync.on_link(netlink::Change::added, link(3, "dummy0", true));
  sync.on_address(netlink::Change::added, address(3, "2001:db8:1234::1", 48));
  ASSERT_TRUE(rib.best(pfx("2001:db8:1234::/48")));
  EXPECT_EQ(rib.best(pfx("2001:db8:1234::/48"))->proto, direct);
  EXPECT_EQ(rib.fib(pfx("2001:db8:1234::1/128"))->action, Action::local);

  RouteSpec spec;
  spec.gateway = addr("2001:db8:1234::99");
  rib.update(pfx("2001:db8:ffff::/48"), stat, spec);
  EXPECT_EQ(rib.fib(pfx("2001:db8:ffff::/48"))->ifindex, 3u);
}

TEST_F(SyncFixture, DirectFollowsTheInterfacePattern) {
  sync.on_link(netlink::Change::added, link(2, "eth0", true));
  sync.on_address(netlink::Change::added, address(2, "10.0.0.5", 24));
  EXPECT_FALSE(rib.best(pfx("10.0.0.0/24")));
  // ... but the network is still connected for next-hop resolution.
  RouteSpec spec;
  spec.gateway = addr("10.0.0.1");
  rib.update(pfx("192.0.2.0/24"), stat, spec);
  EXPECT_EQ(rib.fib(pfx("192.0.2.0/24"))->action, Action::forward);
}

TEST_F(SyncFixture, LinkDownTakesItsAddressesOut) {
  sync.on_link(netlink::Change::added, link(3, "dummy0", true));
  sync.on_address(netlink::Change::added, address(3, "10.1.0.1", 24));
  sync.on_link(netlink::Change::added, link(3, "dummy0", false));
  EXPECT_FALSE(rib.find(pfx("10.1.0.0/24")));
  sync.on_link(netlink::Change::added, link(3, "dummy0", true));
  EXPECT_TRUE(rib.best(pfx("10.1.0.0/24")));
  sync.on_address(netlink::Change::removed, address(3, "10.1.0.1", 24));
  EXPECT_FALSE(rib.find(pfx("10.1.0.0/24")));
  EXPECT_FALSE(rib.find(pfx("10.1.0.1/32")));
}

TEST_F(SyncFixture, KernelRoutesAreLearnedExceptOursAndTheKernelsOwn) {
  KernelRoute r;
  r.prefix = pfx("0.0.0.0/0");
  r.protocol = RTPROT_BOOT;
  r.nexthops.push_back({addr("10.0.0.1"), 2});
  sync.on_route(netlink::Change::added, r);
  EXPECT_EQ(rib.best(pfx("0.0.0.0/0"))->proto, kernel);

  KernelRoute ours = r;
  ours.prefix = pfx("192.0.2.0/24");
  ours.protocol = RTPROT_BIRD;
  sync.on_route(netlink::Change::added, ours);
  KernelRoute connected = r;
  connected.prefix = pfx("10.0.0.0/24");
  connected.protocol = RTPROT_KERNEL;
  sync.on_route(netlink::Change::added, connected);
  KernelRoute other_table = r;
  other_table.prefix = pfx("198.51.100.0/24");
  other_table.table = 100;
  sync.on_route(netlink::Change::added, other_table);
  EXPECT_EQ(rib.prefix_count(), 1u);

  sync.on_route(netlink::Change::removed, r);
  EXPECT_EQ(rib.prefix_count(), 0u);
}

}  // namespace
}  // namespace bpfr::rib
