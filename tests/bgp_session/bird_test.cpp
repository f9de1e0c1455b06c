// Sessions against BIRD 2 in namespaces, as the guide sets them up: upstream AS 64515 two hops
// away (multihop 2) with a TCP-MD5 password. Topology: us -- r -- bird, r forwarding.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "bgp/speaker.h"
#include "harness.h"

namespace bpfr::bgp::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kPassword = "bgpPassword";

struct BirdOptions {
  std::string password = kPassword;
  std::string extra;  // more lines inside `protocol bgp us`
  int multihop = 2;
  std::string v6_export = "where net ~ [ 2001:db8:100::/48 ]";
  std::string endpoints = "local 2001:db8:2::2 as 64515;\n  neighbor 2001:db8:1::1 as 65535;";
};

std::string bird_config(const BirdOptions& o) {
  return fmt::format(R"(router id 10.2.0.2;
log stderr all;
protocol device {{ scan time 1; }}
protocol static s6 {{
  ipv6;
  route 2001:db8:100::/48 blackhole;
  route 2001:db8:1::/64 via 2001:db8:2::1;
}}
protocol static s4 {{
  ipv4;
  route 198.51.100.0/24 blackhole;
  route 10.1.0.0/24 via 10.2.0.1;
}}
protocol bgp bpfr {{
  {}
  multihop {};
  {}
  hold time 9;
  connect delay time 1;
  connect retry time 2;
  error wait time 1, 2;
  {}
  ipv6 {{ import all; export {}; }};
  ipv4 {{ import all; export where net ~ [ 198.51.100.0/24 ]; next hop address 10.2.0.2; }};
}}
)",
                     o.endpoints, o.multihop,
                     o.password.empty() ? "" : fmt::format("password \"{}\";", o.password), o.extra,
                     o.v6_export);
}

class BirdSession : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0)
      GTEST_SKIP() << "needs root for namespaces";
    if (getenv("BPFR_DEBUG"))
      spdlog::set_level(spdlog::level::debug);
    link_pair(us, "up0", router, "down0", {"2001:db8:1::1/64", "10.1.0.1/24"},
              {"2001:db8:1::2/64", "10.1.0.2/24"});
    link_pair(router, "down1", peer, "up1", {"2001:db8:2::1/64", "10.2.0.1/24"},
              {"2001:db8:2::2/64", "10.2.0.2/24"});
    router.run("sysctl -qw net.ipv6.conf.all.forwarding=1");
    router.run("sysctl -qw net.ipv4.ip_forward=1");
    sh(fmt::format("ip -n {} -6 route add default via 2001:db8:1::2", us.name()));
    sh(fmt::format("ip -n {} route add default via 10.1.0.2", us.name()));
    sh(fmt::format("ip -n {} -6 route add default via 2001:db8:2::1", peer.name()));
    sh(fmt::format("ip -n {} route add default via 10.2.0.1", peer.name()));
    enter = std::make_unique<EnterNetns>(us);
    ASSERT_TRUE(enter->ok());
  }

  void TearDown() override {
    if (HasFailure() && bird)
      fprintf(stderr, "BIRD log:\n%s\n", bird->log().c_str());
    speaker.reset();
    bird.reset();
    enter.reset();
  }

  PeerConfig upstream_config() {
    PeerConfig c;
    c.name = "upstream";
    c.neighbor = *Address::parse("2001:db8:2::2");
    c.local_as = 65535;
    c.peer_as = 64515;
    c.multihop = 2;
    c.password = kPassword;
    c.hold_time = 9;
    c.connect_delay_time = 1;
    c.connect_retry_time = 2;
    ChannelConfig v6;
    v6.family = Family::v6;
    v6.import_policy = Policy::accept_all();
    v6.export_policy = Policy::callback(
        [](PolicyRoute& r) { return r.prefix == *Prefix::parse("2001:db8:1234::/48"); });
    ChannelConfig v4;
    v4.family = Family::v4;
    v4.import_policy = Policy::accept_all();
    v4.export_policy = Policy::accept_all();
    v4.next_hop_address = *Address::parse("10.1.0.1");
    c.ipv6 = v6;
    c.ipv4 = v4;
    return c;
  }

  // Starts BIRD and our speaker with one session.
  void start(const BirdOptions& bo = {}, const PeerConfig* pc = nullptr) {
    bird = std::make_unique<Bird>(peer, bird_config(bo));
    bird->start();
    SpeakerSettings s;
    s.router_id = our_id;
    speaker = std::make_unique<Speaker>(io, s, sink);
    session = &speaker->add_peer(pc ? *pc : upstream_config());
    ASSERT_FALSE(speaker->open());
    // Our own /48 (from static, in the guide) and an IPv4 prefix.
    speaker->export_update(*Prefix::parse("2001:db8:1234::/48"),
                           ExportRoute{{}, {}, nullptr, "static1"});
    speaker->export_update(*Prefix::parse("2001:db8:9999::/48"),
                           ExportRoute{{}, {}, nullptr, "static1"});
    speaker->export_update(*Prefix::parse("203.0.113.0/24"),
                           ExportRoute{{}, {}, nullptr, "static1"});
    speaker->start_all();
  }

  bool established() { return session->state() == State::established; }
  bool wait_established(std::chrono::milliseconds t = 20s) {
    return run_until(
        io, [&] { return established() && bird->established("bpfr"); }, t);
  }
  // Polls BIRD (a blocking call) while our io_context keeps running.
  bool wait_bird(const std::function<bool()>& pred, std::chrono::milliseconds t = 10s) {
    auto deadline = std::chrono::steady_clock::now() + t;
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred())
        return true;
      run_for(io, 200ms);
    }
    return pred();
  }

  uint32_t our_id = 0x0a010001;  // BIRD's is 10.2.0.2
  Netns us{unique_name("us")};
  Netns router{unique_name("r")};
  Netns peer{unique_name("bird")};
  std::unique_ptr<EnterNetns> enter;
  asio::io_context io;
  MemorySink sink;
  std::unique_ptr<Bird> bird;
  std::unique_ptr<Speaker> speaker;
  Session* session = nullptr;
};

TEST_F(BirdSession, EstablishedWithMultihopTwoAndPassword) {
  start();
  ASSERT_TRUE(wait_established());
  const auto& n = *session->negotiated();
  EXPECT_TRUE(n.has(kIpv6Unicast));
  EXPECT_TRUE(n.has(kIpv4Unicast));
  EXPECT_TRUE(n.four_octet_as);
  EXPECT_TRUE(n.route_refresh);
  EXPECT_EQ(n.hold_time, 9);
  EXPECT_EQ(session->info().router_id, 0x0a020002u);
}

TEST_F(BirdSession, RoutesBothWaysThenWithdrawn) {
  start();
  ASSERT_TRUE(wait_established());

  // From BIRD: IPv6 and IPv4, next hop BIRD itself, AS path 64515.
  ASSERT_TRUE(run_until(
      io, [&] { return sink.has("2001:db8:100::/48") && sink.has("198.51.100.0/24"); }, 10s));
  auto* r6 = sink.find("2001:db8:100::/48");
  EXPECT_EQ(r6->next_hop.global, *Address::parse("2001:db8:2::2"));
  EXPECT_EQ(r6->attrs->as_path->str(), "64515");
  EXPECT_EQ(sink.find("198.51.100.0/24")->next_hop.global, *Address::parse("10.2.0.2"));
  EXPECT_FALSE(sink.has("2001:db8:1::/64"));  // BIRD's export filter keeps it
  EXPECT_EQ(sink.end_of_ribs[Family::v6], 1);
  EXPECT_EQ(sink.end_of_ribs[Family::v4], 1);

  // To BIRD: the /48 our export filter allows, not the other one; IPv4 as well.
  ASSERT_TRUE(wait_bird([&] { return bird->has_route("2001:db8:1234::/48"); }));
  EXPECT_TRUE(wait_bird([&] { return bird->has_route("203.0.113.0/24"); }));
  EXPECT_FALSE(bird->has_route("2001:db8:9999::/48"));
  auto all = bird->birdc("show route 2001:db8:1234::/48 all");
  EXPECT_NE(all.find("BGP.as_path: 65535"), std::string::npos) << all;
  EXPECT_NE(all.find("BGP.next_hop: 2001:db8:1::1"), std::string::npos) << all;

  // Withdraw both ways.
  speaker->export_withdraw(*Prefix::parse("2001:db8:1234::/48"));
  EXPECT_TRUE(wait_bird([&] { return !bird->has_route("2001:db8:1234::/48"); }));
  bird->birdc("disable s6");
  EXPECT_TRUE(run_until(
      io, [&] { return !sink.has("2001:db8:100::/48"); }, 10s));
  EXPECT_TRUE(sink.has("198.51.100.0/24"));
}

TEST_F(BirdSession, RouteRefreshBothWays) {
  start();
  ASSERT_TRUE(wait_established());
  ASSERT_TRUE(run_until(
      io, [&] { return sink.has("2001:db8:100::/48"); }, 10s));
  ASSERT_TRUE(wait_bird([&] { return bird->has_route("2001:db8:1234::/48"); }));
  EXPECT_TRUE(session->negotiated()->enhanced_route_refresh);

  // BIRD asks (`reload in` on its side): we resend our table.
  auto sent = session->stats().updates_sent;
  bird->birdc("reload in bpfr");
  EXPECT_TRUE(run_until(
      io, [&] { return session->stats().updates_sent > sent; }, 10s));
  EXPECT_TRUE(bird->has_route("2001:db8:1234::/48"));

  // We ask (`reload in` on ours): BIRD resends, nothing is lost on the way (enhanced refresh).
  auto received = session->stats().updates_received;
  auto withdrawals = sink.withdrawals;
  speaker->reload_in("upstream");
  EXPECT_TRUE(run_until(
      io, [&] { return session->stats().updates_received > received + 1; }, 10s));
  run_for(io, 500ms);
  EXPECT_TRUE(sink.has("2001:db8:100::/48"));
  EXPECT_EQ(sink.withdrawals, withdrawals);
}

TEST_F(BirdSession, FrozenPeerHoldTimerWithdrawsItsRoutes) {
  start();
  ASSERT_TRUE(wait_established());
  ASSERT_TRUE(run_until(
      io, [&] { return sink.has("2001:db8:100::/48"); }, 10s));

  bird->signal(SIGSTOP);
  auto frozen = std::chrono::steady_clock::now();
  ASSERT_TRUE(run_until(
      io, [&] { return !established(); }, 15s));
  auto took = std::chrono::steady_clock::now() - frozen;
  EXPECT_GE(took, 5s);  // not before a good part of the 9 s hold time
  EXPECT_EQ(session->last_error(), "hold timer expired");
  EXPECT_TRUE(sink.routes.empty());
  bird->signal(SIGCONT);
}

TEST_F(BirdSession, PeerRestartWithoutGracefulRestartWithdrawsAtOnce) {
  BirdOptions o;
  o.extra = "graceful restart off;";
  start(o);
  ASSERT_TRUE(wait_established());
  ASSERT_TRUE(run_until(
      io, [&] { return sink.has("2001:db8:100::/48"); }, 10s));

  bird->stop(SIGKILL);
  EXPECT_TRUE(run_until(
      io, [&] { return sink.routes.empty(); }, 3s));
  EXPECT_FALSE(session->graceful_restart_pending());

  bird->start();
  EXPECT_TRUE(wait_established());
  EXPECT_TRUE(run_until(
      io, [&] { return sink.has("2001:db8:100::/48"); }, 10s));
}

TEST_F(BirdSession, PeerRestartWithGracefulRestartKeepsRoutesStale) {
  BirdOptions o;
  o.extra = "graceful restart on; graceful restart time 30;";
  start(o);
  ASSERT_TRUE(wait_established());
  ASSERT_TRUE(run_until(
      io, [&] { return sink.has("2001:db8:100::/48"); }, 10s));
  ASSERT_TRUE(session->negotiated()->peer_graceful_restart);

  bird->stop(SIGKILL);
  ASSERT_TRUE(run_until(
      io, [&] { return !established(); }, 5s));
  run_for(io, 2s);
  EXPECT_TRUE(sink.has("2001:db8:100::/48"));  // kept, stale
  EXPECT_TRUE(session->graceful_restart_pending());
  EXPECT_EQ(sink.withdrawals, 0);

  bird->start(true);
  EXPECT_TRUE(wait_established(30s));
  EXPECT_TRUE(run_until(
      io, [&] { return !session->graceful_restart_pending(); }, 20s));
  EXPECT_TRUE(sink.has("2001:db8:100::/48"));
  EXPECT_TRUE(sink.has("198.51.100.0/24"));
}

TEST_F(BirdSession, WeRestartGracefullyAndBirdKeepsOurRoutes) {
  BirdOptions o;
  o.extra = "graceful restart on;";
  start(o);
  ASSERT_TRUE(wait_established());
  ASSERT_TRUE(wait_bird([&] { return bird->has_route("2001:db8:1234::/48"); }));

  // Our daemon dies: its sockets close without a NOTIFICATION.
  speaker.reset();
  EXPECT_TRUE(wait_bird([&] { return !bird->established("bpfr"); }));
  EXPECT_TRUE(bird->has_route("2001:db8:1234::/48"));  // BIRD helps: kept, stale

  // Back with -R: the OPEN says we restarted and kept forwarding; BIRD waits for our EoR.
  SpeakerSettings st;
  st.router_id = 0x0a010001;
  st.restarting = true;
  speaker = std::make_unique<Speaker>(io, st, sink);
  session = &speaker->add_peer(upstream_config());
  ASSERT_FALSE(speaker->open());
  speaker->export_update(*Prefix::parse("2001:db8:1234::/48"), ExportRoute{});
  speaker->start_all();
  ASSERT_TRUE(wait_established(30s));
  auto shown = bird->birdc("show protocols all bpfr");
  EXPECT_NE(shown.find("Restart recovery"), std::string::npos) << shown;
  run_for(io, 1s);
  EXPECT_TRUE(bird->has_route("2001:db8:1234::/48"));
  EXPECT_FALSE(bird->has_route("203.0.113.0/24"));  // not re-announced: swept after our EoR
}

// IPv4 transport from a chosen source address (a second one on our interface): BIRD knows us
// only by that address, so the session comes up only if the connection leaves from it.
TEST_F(BirdSession, Ipv4TransportFromAChosenSourceAddress) {
  sh(fmt::format("ip -n {} addr add 10.1.0.5/24 dev up0", us.name()));
  BirdOptions o;
  o.endpoints = "local 10.2.0.2 as 64515;\n  neighbor 10.1.0.5 as 65535;";
  auto c = upstream_config();
  c.neighbor = *Address::parse("10.2.0.2");
  c.source_address = *Address::parse("10.1.0.5");
  c.ipv4->next_hop_address.reset();  // the session's own address: 10.1.0.5
  c.ipv6.reset();
  start(o, &c);
  ASSERT_TRUE(wait_established());
  EXPECT_EQ(session->info().address, *Address::parse("10.2.0.2"));
  ASSERT_TRUE(run_until(
      io, [&] { return sink.has("198.51.100.0/24"); }, 10s));
  ASSERT_TRUE(wait_bird([&] { return bird->has_route("203.0.113.0/24"); }));
  auto all = bird->birdc("show route 203.0.113.0/24 all");
  EXPECT_NE(all.find("BGP.next_hop: 10.1.0.5"), std::string::npos) << all;
}

TEST_F(BirdSession, PeerWithoutFourOctetAsCapability) {
  BirdOptions o;
  o.extra = "enable as4 off;";
  start(o);
  ASSERT_TRUE(wait_established());
  EXPECT_FALSE(session->negotiated()->four_octet_as);
  ASSERT_TRUE(run_until(
      io, [&] { return sink.has("2001:db8:100::/48"); }, 10s));
  EXPECT_EQ(sink.find("2001:db8:100::/48")->attrs->as_path->str(), "64515");
  ASSERT_TRUE(wait_bird([&] { return bird->has_route("2001:db8:1234::/48"); }));
  auto all = bird->birdc("show route 2001:db8:1234::/48 all");
  EXPECT_NE(all.find("BGP.as_path: 65535"), std::string::npos) << all;
}

TEST_F(BirdSession, WrongPasswordNoSession) {
  BirdOptions o;
  o.password = "notThePassword";
  start(o);
  run_for(io, 8s);
  EXPECT_FALSE(established());
  EXPECT_FALSE(bird->established("bpfr"));
}

TEST_F(BirdSession, GtsmRefusesPeerMoreHopsAway) {
  // Both sides send TTL 255; the peer is two hops away, so its packets arrive with 254 while
  // our GTSM for a direct neighbour requires 255.
  BirdOptions o;
  o.extra = "ttl security on;";
  auto c = upstream_config();
  c.ttl_security = true;
  c.multihop = 1;
  start(o, &c);
  run_for(io, 8s);
  EXPECT_FALSE(established());
  EXPECT_FALSE(bird->established("bpfr")) << bird->birdc("show protocols all bpfr");
}

TEST_F(BirdSession, GtsmAcceptsPeerWithinHops) {
  BirdOptions o;
  o.extra = "ttl security on;";
  auto c = upstream_config();
  c.ttl_security = true;
  c.multihop = 2;
  start(o, &c);
  EXPECT_TRUE(wait_established());
}

TEST_F(BirdSession, UpdateOverFourKilobytesWithExtendedMessages) {
  BirdOptions o;
  o.extra = "enable extended messages on;";
  auto c = upstream_config();
  c.enable_extended_messages = true;
  start(o, &c);
  ASSERT_TRUE(wait_established());
  ASSERT_TRUE(session->negotiated()->extended_message);

  // 1,500 communities: about 6,000 octets of attributes, one UPDATE.
  PathAttributes big;
  for (uint32_t i = 0; i < 1500; ++i)
    big.communities.push_back((65535u << 16) | i);
  auto sent = session->stats().updates_sent;
  speaker->export_update(*Prefix::parse("2001:db8:1234::/48"),
                         ExportRoute{speaker->attrs().intern(big), {}, nullptr, "static1"});
  ASSERT_TRUE(wait_bird([&] {
    return bird->birdc("show route 2001:db8:1234::/48 all").find("(65535,1499)") !=
           std::string::npos;
  }));
  EXPECT_EQ(session->stats().updates_sent, sent + 1);
  EXPECT_TRUE(established());
}

TEST_F(BirdSession, OwnAsInPathIsALoop) {
  // BIRD sends its /48 with our AS 65535 in the path: a loop, not used.
  BirdOptions o;
  o.v6_export =
      "filter { if net ~ [ 2001:db8:100::/48 ] then { bgp_path.prepend(65535); accept; } reject; }";
  start(o);
  ASSERT_TRUE(wait_established());
  ASSERT_TRUE(run_until(
      io, [&] { return sink.has("198.51.100.0/24"); }, 10s));
  run_for(io, 500ms);
  EXPECT_FALSE(sink.has("2001:db8:100::/48"));
  EXPECT_GE(session->stats().prefixes_rejected, 1u);
}

// Both sides connect at once: BIRD is frozen (SIGSTOP) once its protocol has started, our session
// connects and sends its OPEN into BIRD's listen queue, and when BIRD thaws its connect delay is
// over, so it accepts our connection and opens its own in the same moment. Each side then holds
// two connections; whichever way the race goes (RFC 4271 6.8 by identifier when both reach
// OpenConfirm, else the established one stays), exactly one session must remain, and stay.
// Which connection wins by identifier is checked without timing in fsm_test and speaker_test.
class OpenCollision : public BirdSession {
 protected:
  // TCP connections on port 179 in our namespace, as `ss` lists them.
  std::vector<std::string> bgp_connections() {
    auto out = capture(fmt::format(
        "ip netns exec {} ss -Htn state established '( sport = :179 or dport = :179 )'",
        us.name()));
    std::vector<std::string> rows;
    std::istringstream lines(out);
    std::string line;
    while (std::getline(lines, line))
      if (line.find(":179") != std::string::npos)
        rows.push_back(line);
    return rows;
  }

  void collide() {
    BirdOptions o;
    o.extra = "disabled; debug { states, events };";
    bird = std::make_unique<Bird>(peer, bird_config(o));
    bird->start();
    ASSERT_TRUE(wait_bird([&] { return bird->birdc("show status").find("Daemon") != std::string::npos; }));
    bird->birdc("enable bpfr");
    // Its listening socket is open once it waits for its connect delay.
    ASSERT_TRUE(wait_bird([&] { return bird->log().find("Connect delayed") != std::string::npos; }))
        << bird->log();
    bird->signal(SIGSTOP);
    auto enabled = std::chrono::steady_clock::now();

    SpeakerSettings st;
    st.router_id = our_id;
    speaker = std::make_unique<Speaker>(io, st, sink);
    session = &speaker->add_peer(upstream_config());
    ASSERT_FALSE(speaker->open());
    speaker->export_update(*Prefix::parse("2001:db8:1234::/48"), ExportRoute{});
    speaker->start_all();
    // Our OPEN waits in BIRD's socket; BIRD's connect delay (at most 1 s) is over.
    ASSERT_TRUE(run_until(
        io, [&] { return session->state() == State::open_sent; }, 10s))
        << state_name(session->state());
    run_until(
        io, [&] { return std::chrono::steady_clock::now() - enabled > 1200ms; }, 2s);
    bird->signal(SIGCONT);
  }

  void expect_one_session() {
    ASSERT_TRUE(wait_established()) << bird->log();
    auto log = bird->log();
    EXPECT_NE(log.find("Incoming connection"), std::string::npos) << log;  // ours
    EXPECT_NE(log.find("Connecting to"), std::string::npos) << log;        // and BIRD's own
    EXPECT_TRUE(run_until(io, [&] { return bgp_connections().size() == 1; }, 10s))
        << fmt::format("{}", fmt::join(bgp_connections(), "\n"));

    // It stays so: no second session coming up, no flap on either side.
    auto sent = session->stats().notifications_sent;
    run_for(io, 3s);
    auto rows = bgp_connections();
    EXPECT_EQ(rows.size(), 1u) << fmt::format("{}", fmt::join(rows, "\n"));
    EXPECT_TRUE(established());
    EXPECT_TRUE(bird->established("bpfr"));
    EXPECT_EQ(session->stats().notifications_sent, sent);
    EXPECT_EQ(bird->log().find("State changed to start", log.find("State changed to up")),
              std::string::npos)
        << bird->log();
    EXPECT_TRUE(wait_bird([&] { return bird->has_route("2001:db8:1234::/48"); }));
    EXPECT_TRUE(run_until(io, [&] { return sink.has("2001:db8:100::/48"); }, 10s));
  }
};

TEST_F(OpenCollision, OneSessionWhenThePeerHasTheHigherIdentifier) {
  our_id = 0x0a010001;  // lower than BIRD's 10.2.0.2
  collide();
  expect_one_session();
}

TEST_F(OpenCollision, OneSessionWhenWeHaveTheHigherIdentifier) {
  our_id = 0x0a030001;  // higher than BIRD's 10.2.0.2
  collide();
  expect_one_session();
}

// A neighbour known only by its link-local address on an interface: no multihop, no router.
class LinkLocal : public ::testing::Test {
 protected:
  Netns us{unique_name("us")};
  Netns peer{unique_name("bird")};
};

TEST_F(LinkLocal, SessionAndRoutesOverLinkLocal) {
  if (geteuid() != 0)
    GTEST_SKIP() << "needs root for namespaces";
  link_pair(us, "ll0", peer, "ll1", {"fe80::1/64"}, {"fe80::2/64"});
  EnterNetns enter(us);
  ASSERT_TRUE(enter.ok());

  Bird bird(peer, R"(router id 10.9.0.2;
protocol device { scan time 1; }
protocol static s6 { ipv6; route 2001:db8:100::/48 blackhole; }
protocol bgp bpfr {
  local as 64515;
  neighbor fe80::1 % 'll1' as 65535;
  hold time 9; connect delay time 1; connect retry time 2; error wait time 1, 2;
  ipv6 { import all; export where net ~ [ 2001:db8:100::/48 ]; };
}
)");
  bird.start();

  asio::io_context io;
  MemorySink sink;
  Speaker speaker(io, SpeakerSettings{0x0a090001}, sink);
  PeerConfig c;
  c.name = "linklocal";
  c.neighbor = *Address::parse("fe80::2");
  c.interface = "ll0";
  c.local_as = 65535;
  c.peer_as = 64515;
  c.hold_time = 9;
  c.connect_delay_time = 1;
  c.connect_retry_time = 2;
  ChannelConfig v6;
  v6.import_policy = Policy::accept_all();
  v6.export_policy = Policy::accept_all();
  c.ipv6 = v6;
  auto& s = speaker.add_peer(c);
  ASSERT_FALSE(speaker.open());
  speaker.export_update(*Prefix::parse("2001:db8:1234::/48"), ExportRoute{});
  speaker.start_all();

  ASSERT_TRUE(run_until(
      io, [&] { return s.state() == State::established; }, 20s))
      << bird.log();
  ASSERT_TRUE(run_until(
      io, [&] { return sink.has("2001:db8:100::/48"); }, 10s));
  auto* r = sink.find("2001:db8:100::/48");
  bool link_local_next_hop = r->next_hop.global.is_link_local() ||
                             (r->next_hop.link_local && r->next_hop.link_local->is_link_local());
  EXPECT_TRUE(link_local_next_hop);
  bool seen = false;
  for (int i = 0; i < 20 && !seen; ++i) {
    seen = bird.has_route("2001:db8:1234::/48");
    run_for(io, 300ms);
  }
  EXPECT_TRUE(seen) << bird.birdc("show route all");
}

}  // namespace
}  // namespace bpfr::bgp::test
