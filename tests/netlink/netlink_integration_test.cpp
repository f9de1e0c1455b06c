// The netlink connection against a real kernel: two namespaces joined by a veth pair. Needs root.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <thread>

#include "netlink/netlink.h"
#include "rib/kernel_export.h"
#include "rib/kernel_sync.h"
#include "rib/rib.h"

namespace bpfr::netlink {
namespace {

using namespace std::chrono_literals;

Address addr(const char* text) {
  return *Address::parse(text);
}
Prefix pfx(const char* text) {
  return *Prefix::parse(text);
}

int sh(const std::string& cmd) {
  return std::system((cmd + " >/dev/null 2>&1").c_str());
}

// A named network namespace that is removed again however the test ends.
class Netns {
 public:
  explicit Netns(std::string name) : name_(std::move(name)) {
    sh("ip netns del " + name_);
    ok_ = sh("ip netns add " + name_) == 0;
  }
  ~Netns() { sh("ip netns del " + name_); }
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;
  const std::string& name() const { return name_; }
  bool ok() const { return ok_; }
  int run(const std::string& cmd) const { return sh("ip -n " + name_ + " " + cmd); }

  // Runs f on a thread that has entered the namespace, so its sockets are created there.
  void enter(const std::function<void()>& f) const {
    std::thread t([&] {
      int fd = open(("/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC);
      ASSERT_GE(fd, 0);
      ASSERT_EQ(setns(fd, CLONE_NEWNET), 0);
      close(fd);
      f();
    });
    t.join();
  }

 private:
  std::string name_;
  bool ok_ = false;
};

// Everything the listener saw, by key.
class State : public Listener {
 public:
  void on_link(Change c, const Link& l) override { set(links, l.name, l, c); }
  void on_address(Change c, const InterfaceAddress& a) override {
    set(addresses, a.address.str(), a, c);
  }
  void on_neighbour(Change c, const Neighbour& n) override {
    set(neighbours, n.address.str(), n, c);
  }
  void on_route(Change c, const KernelRoute& r) override {
    set(routes, fmt::format("{} table {}", r.prefix, r.table), r, c);
  }
  void on_synced() override { synced = true; }

  std::map<std::string, Link> links;
  std::map<std::string, InterfaceAddress> addresses;
  std::map<std::string, Neighbour> neighbours;
  std::map<std::string, KernelRoute> routes;
  bool synced = false;

 private:
  template <typename M, typename V>
  static void set(M& m, const std::string& key, const V& v, Change c) {
    if (c == Change::added)
      m[key] = v;
    else
      m.erase(key);
  }
};

// Runs the io_context until pred holds or the deadline passes.
bool poll(asio::io_context& io, const std::function<bool()>& pred,
          std::chrono::milliseconds deadline = 5s) {
  auto end = std::chrono::steady_clock::now() + deadline;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end)
      return false;
    io.restart();
    io.run_for(20ms);
  }
  return true;
}

class NetlinkNamespaces : public testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0)
      GTEST_SKIP() << "needs root for namespaces";
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_EQ(sh("ip link add nlr-a netns " + a.name() +
                 " address 02:00:00:00:77:01 type veth "
                 "peer name nlr-b netns " +
                 b.name() + " address 02:00:00:00:77:02"),
              0);
    ASSERT_EQ(a.run("addr add 10.77.0.1/24 dev nlr-a"), 0);
    ASSERT_EQ(a.run("addr add 2001:db8:77::1/64 dev nlr-a nodad"), 0);
    ASSERT_EQ(b.run("addr add 10.77.0.2/24 dev nlr-b"), 0);
    ASSERT_EQ(b.run("addr add 2001:db8:77::2/64 dev nlr-b nodad"), 0);
    ASSERT_EQ(a.run("link set nlr-a up"), 0);
    ASSERT_EQ(b.run("link set nlr-b up"), 0);
    ASSERT_EQ(a.run("link set lo up"), 0);
    ASSERT_EQ(a.run("neigh add 10.77.0.9 lladdr 02:00:00:00:77:09 dev nlr-a nud permanent"), 0);
  }

  std::string tag = std::to_string(getpid());
  Netns a{"netlink" + tag + "a"};
  Netns b{"netlink" + tag + "b"};
};

TEST_F(NetlinkNamespaces, DumpFindsLinksAddressesNeighboursAndRoutes) {
  a.enter([&] {
    asio::io_context io;
    State st;
    Netlink nl(io, st);
    std::string err;
    ASSERT_TRUE(nl.start(&err)) << err;
    ASSERT_TRUE(poll(io, [&] { return st.synced; }));

    ASSERT_TRUE(st.links.count("nlr-a"));
    const Link& veth = st.links["nlr-a"];
    EXPECT_EQ(veth.kind, LinkKind::veth);
    EXPECT_EQ(mac_str(*veth.mac), "02:00:00:00:77:01");
    EXPECT_TRUE(veth.up());
    EXPECT_FALSE(veth.l3());
    ASSERT_TRUE(st.links.count("lo"));
    EXPECT_TRUE(st.links["lo"].loopback());

    ASSERT_TRUE(st.addresses.count("10.77.0.1"));
    EXPECT_EQ(st.addresses["10.77.0.1"].network(), pfx("10.77.0.0/24"));
    EXPECT_EQ(st.addresses["10.77.0.1"].ifindex, veth.ifindex);
    ASSERT_TRUE(st.addresses.count("2001:db8:77::1"));

    ASSERT_TRUE(st.neighbours.count("10.77.0.9"));
    EXPECT_TRUE(st.neighbours["10.77.0.9"].usable());
    EXPECT_EQ(mac_str(*st.neighbours["10.77.0.9"].mac), "02:00:00:00:77:09");

    ASSERT_TRUE(st.routes.count("10.77.0.0/24 table 254"));
    const KernelRoute& connected = st.routes["10.77.0.0/24 table 254"];
    EXPECT_EQ(connected.protocol, RTPROT_KERNEL);
    ASSERT_EQ(connected.nexthops.size(), 1u);
    EXPECT_EQ(connected.nexthops[0].ifindex, veth.ifindex);
    EXPECT_TRUE(st.routes.count("2001:db8:77::/64 table 254"));
    EXPECT_TRUE(st.routes.count("10.77.0.1/32 table 255"));  // the local table
  });
}

TEST_F(NetlinkNamespaces, FollowsChangesAfterTheDump) {
  a.enter([&] {
    asio::io_context io;
    State st;
    Netlink nl(io, st);
    std::string err;
    ASSERT_TRUE(nl.start(&err)) << err;
    ASSERT_TRUE(poll(io, [&] { return st.synced; }));

    ASSERT_EQ(sh("ip addr add 10.88.0.1/24 dev nlr-a"), 0);
    EXPECT_TRUE(poll(io, [&] { return st.addresses.count("10.88.0.1") > 0; }));
    ASSERT_EQ(sh("ip link set nlr-a mtu 1400"), 0);
    EXPECT_TRUE(poll(io, [&] { return st.links["nlr-a"].mtu == 1400; }));
    ASSERT_EQ(sh("ip addr del 10.88.0.1/24 dev nlr-a"), 0);
    EXPECT_TRUE(poll(io, [&] { return st.addresses.count("10.88.0.1") == 0; }));
  });
}

TEST_F(NetlinkNamespaces, ProbeMakesAnUnknownNeighbourReachable) {
  a.enter([&] {
    asio::io_context io;
    State st;
    Netlink nl(io, st);
    std::string err;
    ASSERT_TRUE(nl.start(&err)) << err;
    ASSERT_TRUE(poll(io, [&] { return st.synced; }));
    uint32_t ifindex = st.links["nlr-a"].ifindex;

    for (const char* peer : {"10.77.0.2", "2001:db8:77::2"}) {
      EXPECT_FALSE(st.neighbours.count(peer) && st.neighbours[peer].usable()) << peer;
      std::optional<Ack> ack;
      nl.resolve_neighbour(ifindex, addr(peer), [&](const Ack& x) { ack = x; });
      ASSERT_TRUE(poll(io, [&] { return ack.has_value(); })) << peer;
      EXPECT_EQ(ack->error, 0) << peer << ": " << ack->message;
      ASSERT_TRUE(poll(io, [&] {
        return st.neighbours.count(peer) && st.neighbours[peer].usable();
      })) << peer;
      EXPECT_EQ(mac_str(*st.neighbours[peer].mac), "02:00:00:00:77:02") << peer;
    }
  });
}

TEST_F(NetlinkNamespaces, ExporterInstallsAndRemovesRoutesInItsTable) {
  a.enter([&] {
    asio::io_context io;
    State st;
    Netlink nl(io, st);
    std::string err;
    ASSERT_TRUE(nl.start(&err)) << err;
    ASSERT_TRUE(poll(io, [&] { return st.synced; }));
    uint32_t ifindex = st.links["nlr-a"].ifindex;

    rib::Rib table;
    rib::KernelExportOptions options;
    options.table = 100;
    options.metric = 77;
    options.prefsrc_v4 = addr("10.77.0.1");
    rib::KernelExporter exporter(rib::netlink_writer(nl, "kernel1"), options);
    table.add_listener(&exporter);
    table.add_connected(pfx("10.77.0.0/24"), ifindex);
    table.add_connected(pfx("2001:db8:77::/64"), ifindex);
    auto stat = table.add_protocol("static1", rib::Source::static_);
    auto bgp = table.add_protocol("upstream1", rib::Source::bgp);

    rib::RouteSpec via_peer;
    via_peer.gateway = addr("10.77.0.2");
    table.update(pfx("192.0.2.0/24"), stat, via_peer);
    rib::RouteSpec recursive;
    recursive.gateway = addr("192.0.2.1");  // resolved through the static route
    table.update(pfx("198.51.100.0/24"), bgp, recursive);
    rib::RouteSpec via_peer6;
    via_peer6.gateway = addr("2001:db8:77::2");
    table.update(pfx("2001:db8:1234::/48"), stat, via_peer6);
    rib::RouteSpec hole;
    hole.kind = rib::RouteKind::blackhole;
    table.update(pfx("203.0.113.0/24"), stat, hole);

    ASSERT_TRUE(poll(io, [&] {
      return st.routes.count("198.51.100.0/24 table 100") &&
             st.routes.count("2001:db8:1234::/48 table 100") &&
             st.routes.count("203.0.113.0/24 table 100");
    }));
    const KernelRoute& r = st.routes["198.51.100.0/24 table 100"];
    EXPECT_EQ(r.protocol, RTPROT_BIRD);
    EXPECT_EQ(r.priority, 77u);
    EXPECT_EQ(r.prefsrc, addr("10.77.0.1"));
    ASSERT_EQ(r.nexthops.size(), 1u);
    EXPECT_EQ(r.nexthops[0].gateway, addr("10.77.0.2"));
    EXPECT_EQ(r.nexthops[0].ifindex, ifindex);
    EXPECT_EQ(st.routes["2001:db8:1234::/48 table 100"].nexthops[0].gateway,
              addr("2001:db8:77::2"));
    EXPECT_EQ(st.routes["203.0.113.0/24 table 100"].type, RTN_BLACKHOLE);

    table.withdraw(pfx("192.0.2.0/24"), stat);  // the BGP route loses its next hop too
    table.withdraw(pfx("2001:db8:1234::/48"), stat);
    EXPECT_TRUE(poll(io, [&] {
      return !st.routes.count("192.0.2.0/24 table 100") &&
             !st.routes.count("198.51.100.0/24 table 100") &&
             !st.routes.count("2001:db8:1234::/48 table 100");
    }));
    exporter.shutdown();
    EXPECT_TRUE(poll(io, [&] { return !st.routes.count("203.0.113.0/24 table 100"); }));
  });
}

TEST_F(NetlinkNamespaces, KernelRefusalIsReportedWithItsRequest) {
  a.enter([&] {
    asio::io_context io;
    State st;
    Netlink nl(io, st);
    std::string err;
    ASSERT_TRUE(nl.start(&err)) << err;
    ASSERT_TRUE(poll(io, [&] { return st.synced; }));

    KernelRoute r;
    r.prefix = pfx("192.0.2.0/24");
    r.table = 100;
    r.protocol = RTPROT_BIRD;
    r.nexthops.push_back({addr("10.99.0.1"), st.links["nlr-a"].ifindex});  // not on-link
    std::optional<Ack> ack;
    nl.install_route(RouteOp::replace, r, [&](const Ack& x) { ack = x; });
    ASSERT_TRUE(poll(io, [&] { return ack.has_value(); }));
    EXPECT_LT(ack->error, 0);
    EXPECT_FALSE(ack->message.empty());
  });
}

// The kernel's own state feeds the RIB: a BGP next hop two hops away resolves through a route
// someone added with `ip route`, and follows it when it changes.
TEST_F(NetlinkNamespaces, BgpNextHopResolvesThroughALearnedKernelRoute) {
  a.enter([&] {
    asio::io_context io;
    rib::Rib table;
    rib::ProtoId kernel = table.add_protocol("kernel1", rib::Source::kernel);
    rib::ProtoId bgp = table.add_protocol("upstream1", rib::Source::bgp);
    rib::KernelSyncOptions options;
    options.learn = kernel;
    rib::KernelSync sync(table, options);
    bool synced = false;

    struct Tee : Listener {
      rib::KernelSync& sync;
      bool& synced;
      Tee(rib::KernelSync& s, bool& d) : sync(s), synced(d) {}
      void on_link(Change c, const Link& l) override { sync.on_link(c, l); }
      void on_address(Change c, const InterfaceAddress& x) override { sync.on_address(c, x); }
      void on_route(Change c, const KernelRoute& r) override { sync.on_route(c, r); }
      void on_synced() override { synced = true; }
    } tee(sync, synced);

    Netlink nl(io, tee);
    std::string err;
    ASSERT_TRUE(nl.start(&err)) << err;
    ASSERT_TRUE(poll(io, [&] { return synced; }));
    uint32_t ifindex = sync.link("nlr-a")->ifindex;

    rib::RouteSpec spec;
    spec.gateway = addr("198.18.0.1");
    table.update(pfx("203.0.113.0/24"), bgp, spec);
    EXPECT_EQ(table.fib(pfx("203.0.113.0/24"))->action, rib::Action::kernel);

    ASSERT_EQ(sh("ip route add 198.18.0.0/15 via 10.77.0.2"), 0);
    ASSERT_TRUE(
        poll(io, [&] { return table.fib(pfx("203.0.113.0/24"))->action == rib::Action::forward; }));
    auto f = table.fib(pfx("203.0.113.0/24"));
    EXPECT_EQ(f->ifindex, ifindex);
    EXPECT_EQ(f->gateway, addr("10.77.0.2"));

    ASSERT_EQ(sh("ip route del 198.18.0.0/15"), 0);
    EXPECT_TRUE(
        poll(io, [&] { return table.fib(pfx("203.0.113.0/24"))->action == rib::Action::kernel; }));
  });
}

}  // namespace
}  // namespace bpfr::netlink
