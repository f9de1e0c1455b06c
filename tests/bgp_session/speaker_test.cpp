// Two of our own speakers over loopback: collisions, refusing strangers, RFC 8212 and import
// limits. No privileges needed: 127.0.0.1 and 127.0.0.2, ports chosen by the kernel.
#include "bgp/speaker.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include "harness.h"

namespace bpfr::bgp::test {
namespace {

using namespace std::chrono_literals;

ChannelConfig open_channel(Family f) {
  ChannelConfig ch;
  ch.family = f;
  ch.import_policy = Policy::accept_all();
  ch.export_policy = Policy::accept_all();
  return ch;
}

struct Side {
  Side(asio::io_context& io, const char* addr, uint32_t id) : address(*Address::parse(addr)) {
    SpeakerSettings s;
    s.router_id = id;
    s.listen_address = address;
    s.port = 0;
    speaker = std::make_unique<Speaker>(io, s, sink);
    EXPECT_FALSE(speaker->open());
  }

  PeerConfig peer_config(const Side& other, uint32_t local_as, uint32_t peer_as) const {
    PeerConfig c;
    c.name = other.address.str();
    c.neighbor = other.address;
    c.port = other.speaker->port();
    c.source_address = address;
    c.local_as = local_as;
    c.peer_as = peer_as;
    c.multihop = 1;
    c.connect_delay_time = 0;
    c.connect_retry_time = 1;
    c.hold_time = 9;
    c.ipv4 = open_channel(Family::v4);
    c.ipv6 = open_channel(Family::v6);
    return c;
  }

  Address address;
  MemorySink sink;
  std::unique_ptr<Speaker> speaker;
};

class LoopbackPair : public ::testing::Test {
 protected:
  void SetUp() override {
    if (getenv("BPFR_DEBUG"))
      spdlog::set_level(spdlog::level::debug);
  }
  void connect(PeerConfig ca, PeerConfig cb) {
    sa = &a.speaker->add_peer(std::move(ca));
    sb = &b.speaker->add_peer(std::move(cb));
    a.speaker->start_all();
    b.speaker->start_all();
  }
  bool both_up() {
    return run_until(
        io, [&] { return sa->state() == State::established && sb->state() == State::established; },
        10s);
  }

  asio::io_context io;
  Side a{io, "127.0.0.1", 1};  // the lower BGP identifier
  Side b{io, "127.0.0.2", 2};
  Session* sa = nullptr;
  Session* sb = nullptr;
};

TEST_F(LoopbackPair, OpenCollisionKeepsTheConnectionOfTheHigherIdentifier) {
  connect(a.peer_config(b, 65001, 65002), b.peer_config(a, 65002, 65001));
  ASSERT_TRUE(both_up());
  run_for(io, 300ms);
  ASSERT_EQ(sa->state(), State::established);
  // Both opened at the same moment; one pair of connections was closed with Cease 7.
  EXPECT_GE(sa->stats().notifications_sent + sb->stats().notifications_sent, 1u);
  // RFC 4271 6.8: B (identifier 2) opened the connection that stays.
  EXPECT_EQ(sa->established_conn(), Conn::incoming);
  EXPECT_EQ(sb->established_conn(), Conn::outgoing);
}

TEST_F(LoopbackPair, RoutesAreExportedAndWithdrawn) {
  connect(a.peer_config(b, 65001, 65002), b.peer_config(a, 65002, 65001));
  ASSERT_TRUE(both_up());
  a.speaker->export_update(*Prefix::parse("10.10.0.0/16"), ExportRoute{});
  ASSERT_TRUE(run_until(
      io, [&] { return b.sink.has("10.10.0.0/16"); }, 5s));
  auto* r = b.sink.find("10.10.0.0/16");
  EXPECT_EQ(r->next_hop.global, a.address);  // next hop self on eBGP
  EXPECT_EQ(r->attrs->as_path->str(), "65001");
  EXPECT_EQ(r->attrs->origin, Origin::incomplete);
  a.speaker->export_withdraw(*Prefix::parse("10.10.0.0/16"));
  EXPECT_TRUE(run_until(
      io, [&] { return !b.sink.has("10.10.0.0/16"); }, 5s));
}

TEST_F(LoopbackPair, UnconfiguredNeighbourIsRefusedBeforeAnyOpen) {
  connect(a.peer_config(b, 65001, 65002), b.peer_config(a, 65002, 65001));
  asio::ip::tcp::socket stranger(io);
  stranger.open(asio::ip::tcp::v4());
  stranger.bind(make_endpoint(*Address::parse("127.0.0.3"), 0));
  stranger.connect(make_endpoint(a.address, a.speaker->port()));
  std::array<uint8_t, 64> buf{};
  size_t got = 0;
  asio::error_code result;
  bool done = false;
  stranger.async_read_some(asio::buffer(buf), [&](const asio::error_code& ec, size_t n) {
    result = ec;
    got = n;
    done = true;
  });
  ASSERT_TRUE(run_until(
      io, [&] { return done; }, 5s));
  EXPECT_EQ(got, 0u);  // closed without a byte: no OPEN was sent to it
  EXPECT_TRUE(result == asio::error::eof || result == asio::error::connection_reset);
}

TEST_F(LoopbackPair, Rfc8212ExternalSessionWithoutPoliciesExchangesNothing) {
  auto cb = b.peer_config(a, 65002, 65001);
  cb.ipv4->import_policy = Policy{};
  cb.ipv4->export_policy = Policy{};
  connect(a.peer_config(b, 65001, 65002), cb);
  ASSERT_TRUE(both_up());
  a.speaker->export_update(*Prefix::parse("10.10.0.0/16"), ExportRoute{});
  b.speaker->export_update(*Prefix::parse("10.20.0.0/16"), ExportRoute{});
  run_for(io, 1s);
  EXPECT_FALSE(b.sink.has("10.10.0.0/16"));
  EXPECT_FALSE(a.sink.has("10.20.0.0/16"));
}

TEST_F(LoopbackPair, InternalSessionWithoutPoliciesExchangesRoutes) {
  auto ca = a.peer_config(b, 65001, 65001);
  auto cb = b.peer_config(a, 65001, 65001);
  ca.ipv4->export_policy = Policy{};
  cb.ipv4->import_policy = Policy{};
  connect(ca, cb);
  ASSERT_TRUE(both_up());
  a.speaker->export_update(*Prefix::parse("10.10.0.0/16"), ExportRoute{});
  ASSERT_TRUE(run_until(
      io, [&] { return b.sink.has("10.10.0.0/16"); }, 5s));
  EXPECT_EQ(b.sink.find("10.10.0.0/16")->attrs->local_pref, 100u);
  EXPECT_EQ(b.sink.find("10.10.0.0/16")->attrs->as_path->str(), "");
}

void export_many(Speaker& s, int n) {
  for (int i = 0; i < n; ++i)
    s.export_update(Prefix::make(Address::v4(0x0a000000u + (uint32_t(i) << 8)), 24), ExportRoute{});
}

TEST_F(LoopbackPair, ImportLimitActions) {
  struct Row {
    const char* rule;
    ImportLimit::Action action;
    size_t routes_kept;
    State state;
  };
  std::vector<Row> rows = {
      {"warn: all routes kept", ImportLimit::Action::warn, 10, State::established},
      {"block: routes over the limit dropped", ImportLimit::Action::block, 5, State::established},
      {"disable: session shut down and stays down", ImportLimit::Action::disable, 0, State::idle},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.rule);
    asio::io_context ctx;
    Side x{ctx, "127.0.0.1", 1};
    Side y{ctx, "127.0.0.2", 2};
    auto cy = y.peer_config(x, 65002, 65001);
    cy.ipv4->import_limit = ImportLimit{5, row.action};
    auto& sx = x.speaker->add_peer(x.peer_config(y, 65001, 65002));
    auto& sy = y.speaker->add_peer(cy);
    export_many(*x.speaker, 10);
    x.speaker->start_all();
    y.speaker->start_all();
    ASSERT_TRUE(run_until(
        ctx, [&] { return sx.stats().updates_sent > 0; }, 10s));
    run_until(
        ctx, [&] { return y.sink.routes.size() == row.routes_kept && sy.state() == row.state; },
        5s);
    run_for(ctx, 500ms);
    EXPECT_EQ(y.sink.routes.size(), row.routes_kept);
    EXPECT_EQ(sy.state(), row.state);
  }
}

TEST_F(LoopbackPair, BackPressureStopsReadingUntilTheSinkIsReady) {
  connect(a.peer_config(b, 65001, 65002), b.peer_config(a, 65002, 65001));
  ASSERT_TRUE(both_up());
  b.sink.accepting = false;
  run_for(io, 200ms);
  export_many(*a.speaker, 2000);
  run_for(io, 1s);
  EXPECT_TRUE(b.sink.routes.empty());  // the UPDATEs wait in the socket, not in our memory
  EXPECT_EQ(sb->state(), State::established);
  b.sink.accepting = true;
  EXPECT_TRUE(run_until(
      io, [&] { return b.sink.routes.size() == 2000; }, 5s));
}

TEST_F(LoopbackPair, AdministrativeShutdownReachesThePeer) {
  connect(a.peer_config(b, 65001, 65002), b.peer_config(a, 65002, 65001));
  ASSERT_TRUE(both_up());
  a.speaker->disable(b.address.str(), "maintenance until 16:00");
  ASSERT_TRUE(run_until(
      io, [&] { return sb->state() != State::established; }, 5s));
  EXPECT_EQ(sa->state(), State::idle);
  EXPECT_NE(sb->last_error().find("Administrative Shutdown"), std::string::npos)
      << sb->last_error();
}

}  // namespace
}  // namespace bpfr::bgp::test
