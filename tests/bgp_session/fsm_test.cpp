// RFC 4271 section 8 state machine, driven as rows of events with a fake clock.
#include "bgp/fsm.h"

#include <gtest/gtest.h>

namespace bpfr::bgp {
namespace {

constexpr uint32_t kLocalId = 0x0a000001;  // 10.0.0.1

FsmSettings settings(uint32_t router_id = kLocalId) {
  FsmSettings s;
  s.local_as = 65535;
  s.peer_as = 64515;
  s.router_id = router_id;
  s.hold_time = 90;
  s.connect_retry_time = 30;
  s.connect_delay_time = 5;
  s.capabilities.multiprotocol = {kIpv6Unicast};
  s.capabilities.four_octet_as = 65535;
  s.capabilities.route_refresh = true;
  return s;
}

Open peer_open(uint32_t id = 0x0a000002, uint16_t hold = 60, uint32_t as = 64515) {
  Open o;
  o.my_as = static_cast<uint16_t>(as);
  o.hold_time = hold;
  o.bgp_id = id;
  o.caps.multiprotocol = {kIpv6Unicast, kIpv4Unicast};
  o.caps.four_octet_as = as;
  o.caps.route_refresh = true;
  return o;
}

class FsmTest : public ::testing::Test {
 protected:
  std::vector<FsmAction> run(const FsmEvent& e) { return fsm.handle(e, now); }
  std::vector<FsmAction> wait(int seconds) {
    now += Seconds(seconds);
    return fsm.advance(now);
  }
  // Start, connect out, exchange OPEN and KEEPALIVE.
  void establish(Conn c = Conn::outgoing) {
    run(EvStart{});
    if (c == Conn::outgoing) {
      wait(5);
      run(EvTcpConnected{});
    } else {
      run(EvTcpAccepted{});
    }
    run(EvMessage{c, peer_open()});
    auto a = run(EvMessage{c, Keepalive{}});
    ASSERT_EQ(fsm.state(), State::established);
  }

  Fsm fsm{settings()};
  Clock::time_point now{};
};

template <class T>
int count(const std::vector<FsmAction>& actions) {
  return static_cast<int>(std::count_if(actions.begin(), actions.end(),
                                        [](auto& a) { return std::holds_alternative<T>(a); }));
}

std::optional<Notification> sent_notification(const std::vector<FsmAction>& actions) {
  for (const auto& a : actions)
    if (auto* s = std::get_if<DoSend>(&a))
      if (auto* n = std::get_if<Notification>(&s->message))
        return *n;
  return std::nullopt;
}

template <class T>
bool sent(const std::vector<FsmAction>& actions) {
  for (const auto& a : actions)
    if (auto* s = std::get_if<DoSend>(&a))
      if (std::holds_alternative<T>(s->message))
        return true;
  return false;
}

TEST_F(FsmTest, StartWaitsConnectDelayThenConnects) {
  EXPECT_EQ(fsm.state(), State::idle);
  EXPECT_TRUE(run(EvStart{}).empty());
  EXPECT_EQ(fsm.state(), State::active);
  EXPECT_EQ(count<DoConnect>(wait(4)), 0);
  EXPECT_EQ(count<DoConnect>(wait(1)), 1);
  EXPECT_EQ(fsm.state(), State::connect);
}

TEST_F(FsmTest, ConnectedSendsOpenWithOurSettings) {
  run(EvStart{});
  wait(5);
  auto a = run(EvTcpConnected{});
  ASSERT_EQ(a.size(), 1u);
  auto& open = std::get<Open>(std::get<DoSend>(a[0]).message);
  EXPECT_EQ(open.my_as, 65535);
  EXPECT_EQ(open.hold_time, 90);
  EXPECT_EQ(open.bgp_id, kLocalId);
  EXPECT_EQ(fsm.state(), State::open_sent);
}

TEST_F(FsmTest, FourOctetLocalAsSendsAsTrans) {
  auto s = settings();
  s.local_as = 4200000000;
  auto open = make_open(s);
  EXPECT_EQ(open.my_as, kAsTrans);
  EXPECT_EQ(open.caps.four_octet_as, 4200000000u);
}

TEST_F(FsmTest, ConnectFailureRetriesAfterConnectRetryTime) {
  run(EvStart{});
  wait(5);
  run(EvTcpFailed{Conn::outgoing, "refused"});
  EXPECT_EQ(fsm.state(), State::active);
  EXPECT_EQ(count<DoConnect>(wait(29)), 0);
  EXPECT_EQ(count<DoConnect>(wait(1)), 1);
}

TEST_F(FsmTest, PendingConnectIsAbandonedWhenConnectRetryExpires) {
  run(EvStart{});
  wait(5);
  auto a = wait(30);
  EXPECT_EQ(count<DoClose>(a), 1);
  EXPECT_EQ(count<DoConnect>(a), 1);
}

TEST_F(FsmTest, PassiveNeverConnects) {
  auto s = settings();
  s.passive = true;
  fsm = Fsm(s);
  run(EvStart{});
  EXPECT_EQ(count<DoConnect>(wait(1000)), 0);
  EXPECT_TRUE(fsm.accepts_incoming());
}

TEST_F(FsmTest, IdleRefusesIncoming) {
  EXPECT_FALSE(fsm.accepts_incoming());
  auto a = run(EvTcpAccepted{});
  EXPECT_EQ(count<DoClose>(a), 1);
  EXPECT_EQ(fsm.state(), State::idle);
}

TEST_F(FsmTest, PassiveOpenSendsOpenImmediately) {
  run(EvStart{});
  auto a = run(EvTcpAccepted{});
  EXPECT_TRUE(sent<Open>(a));
  EXPECT_EQ(fsm.state(), State::open_sent);
}

TEST_F(FsmTest, OpenThenKeepaliveEstablishesWithNegotiatedValues) {
  run(EvStart{});
  wait(5);
  run(EvTcpConnected{});
  auto a = run(EvMessage{Conn::outgoing, peer_open(0x0a000002, 60)});
  EXPECT_TRUE(sent<Keepalive>(a));
  EXPECT_EQ(fsm.state(), State::open_confirm);
  a = run(EvMessage{Conn::outgoing, Keepalive{}});
  ASSERT_EQ(count<DoEstablished>(a), 1);
  auto n = std::get<DoEstablished>(a.back()).negotiated;
  EXPECT_EQ(n.hold_time, 60);  // the smaller of 90 and 60
  EXPECT_EQ(n.keepalive_time, 20);
  EXPECT_TRUE(n.four_octet_as);
  EXPECT_TRUE(n.route_refresh);
  EXPECT_FALSE(n.extended_message);
  EXPECT_EQ(n.families, std::vector<AfiSafi>{kIpv6Unicast});  // IPv4 only offered by the peer
}

TEST_F(FsmTest, NoMultiprotocolMeansIpv4Only) {
  Open a;
  Open b;
  EXPECT_EQ(negotiate(a, b).families, std::vector<AfiSafi>{kIpv4Unicast});
}

TEST_F(FsmTest, KeepalivesAtAThirdOfHoldTime) {
  establish();
  EXPECT_FALSE(sent<Keepalive>(wait(19)));
  EXPECT_TRUE(sent<Keepalive>(wait(1)));
  EXPECT_TRUE(sent<Keepalive>(wait(20)));
}

TEST_F(FsmTest, HoldTimerExpiryNotifiesAndGoesDown) {
  establish();
  wait(59);
  EXPECT_EQ(fsm.state(), State::established);
  auto a = wait(1);
  auto n = sent_notification(a);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->code, err::hold_timer);
  EXPECT_EQ(n->subcode, 0);
  ASSERT_EQ(count<DoDown>(a), 1);
  EXPECT_FALSE(std::get<DoDown>(a.back()).graceful);
  EXPECT_EQ(fsm.state(), State::active);
  EXPECT_EQ(fsm.last_error(), "hold timer expired");
}

TEST_F(FsmTest, KeepaliveAndUpdateRestartHoldTimer) {
  establish();
  wait(50);
  run(EvMessage{Conn::outgoing, Keepalive{}});
  wait(50);
  auto a = run(EvMessage{Conn::outgoing, Update{}});
  EXPECT_EQ(count<DoDeliver>(a), 1);
  EXPECT_EQ(sent_notification(wait(59)), std::nullopt);
  EXPECT_EQ(fsm.state(), State::established);
}

TEST_F(FsmTest, ZeroHoldTimeMeansNoTimers) {
  run(EvStart{});
  run(EvTcpAccepted{});
  run(EvMessage{Conn::incoming, peer_open(0x0a000002, 0)});
  run(EvMessage{Conn::incoming, Keepalive{}});
  auto a = wait(100000);
  EXPECT_FALSE(sent<Keepalive>(a));
  EXPECT_EQ(fsm.state(), State::established);
}

TEST_F(FsmTest, HoldTimerInOpenSentIsFourMinutes) {
  run(EvStart{});
  run(EvTcpAccepted{});
  EXPECT_EQ(sent_notification(wait(239)), std::nullopt);
  auto n = sent_notification(wait(1));
  ASSERT_TRUE(n);
  EXPECT_EQ(n->code, err::hold_timer);
}

struct OpenErrorRow {
  const char* rule;
  Open open;
  uint8_t subcode;
  std::vector<uint8_t> data;
};

TEST_F(FsmTest, OpenErrorsGetTheirNotification) {
  auto version = peer_open();
  version.version = 3;
  auto bad_as = peer_open(0x0a000002, 60, 64999);
  auto zero_id = peer_open(0);
  auto hold_one = peer_open(0x0a000002, 1);
  auto hold_two = peer_open(0x0a000002, 2);
  std::vector<OpenErrorRow> rows = {
      {"version 3: unsupported, we offer 4", version, err::unsupported_version, {0, 4}},
      {"AS 64999 configured as 64515: bad peer AS", bad_as, err::bad_peer_as, {0xfd, 0xe7}},
      {"identifier 0: bad BGP identifier", zero_id, err::bad_bgp_identifier, {}},
      {"hold time 1: unacceptable", hold_one, err::unacceptable_hold_time, {}},
      {"hold time 2: unacceptable", hold_two, err::unacceptable_hold_time, {}},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.rule);
    fsm = Fsm(settings());
    run(EvStart{});
    run(EvTcpAccepted{});
    auto a = run(EvMessage{Conn::incoming, row.open});
    auto n = sent_notification(a);
    ASSERT_TRUE(n);
    EXPECT_EQ(n->code, err::open);
    EXPECT_EQ(n->subcode, row.subcode);
    EXPECT_EQ(n->data, row.data);
    EXPECT_EQ(count<DoClose>(a), 1);
    EXPECT_EQ(fsm.state(), State::active);
  }
}

TEST_F(FsmTest, InternalPeerWithOurIdentifierIsRefused) {
  auto s = settings();
  s.peer_as = s.local_as;
  fsm = Fsm(s);
  run(EvStart{});
  run(EvTcpAccepted{});
  auto a = run(EvMessage{Conn::incoming, peer_open(kLocalId, 60, 65535)});
  auto n = sent_notification(a);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->subcode, err::bad_bgp_identifier);
}

TEST_F(FsmTest, UnexpectedMessagesAreFsmErrorsWithRfc6608Subcodes) {
  struct Row {
    const char* rule;
    int opens_before;  // 0: in OpenSent, 1: in OpenConfirm, 2: in Established
    Message message;
    uint8_t subcode;
  };
  std::vector<Row> rows = {
      {"KEEPALIVE in OpenSent", 0, Keepalive{}, 1}, {"UPDATE in OpenSent", 0, Update{}, 1},
      {"UPDATE in OpenConfirm", 1, Update{}, 2},    {"OPEN in OpenConfirm", 1, peer_open(), 2},
      {"OPEN in Established", 2, peer_open(), 3},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.rule);
    fsm = Fsm(settings());
    run(EvStart{});
    run(EvTcpAccepted{});
    if (row.opens_before >= 1)
      run(EvMessage{Conn::incoming, peer_open()});
    if (row.opens_before >= 2)
      run(EvMessage{Conn::incoming, Keepalive{}});
    auto n = sent_notification(run(EvMessage{Conn::incoming, row.message}));
    ASSERT_TRUE(n);
    EXPECT_EQ(n->code, err::fsm);
    EXPECT_EQ(n->subcode, row.subcode);
  }
}

TEST_F(FsmTest, DecodeErrorSendsTheCodecsNotification) {
  establish();
  DecodeError e{err::update, err::malformed_as_path, 23, {1, 2}, "AS_PATH"};
  auto a = run(EvDecodeError{Conn::outgoing, e});
  auto n = sent_notification(a);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->code, err::update);
  EXPECT_EQ(n->subcode, err::malformed_as_path);
  EXPECT_EQ(n->data, (std::vector<uint8_t>{1, 2}));
  EXPECT_EQ(count<DoDown>(a), 1);
}

TEST_F(FsmTest, AdministrativeShutdownCarriesTheMessage) {
  establish();
  auto a = run(EvStop{cease::admin_shutdown, "maintenance"});
  auto n = sent_notification(a);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->code, err::cease);
  EXPECT_EQ(n->subcode, cease::admin_shutdown);
  std::vector<uint8_t> expected = {11, 'm', 'a', 'i', 'n', 't', 'e', 'n', 'a', 'n', 'c', 'e'};
  EXPECT_EQ(n->data, expected);
  EXPECT_EQ(fsm.state(), State::idle);
  EXPECT_EQ(count<DoConnect>(wait(1000)), 0);
}

TEST_F(FsmTest, ShutdownCommunicationIsCutOnACharacterBoundary) {
  std::string text(254, 'a');
  text += "\xc3\xa9";  // "é" straddles octet 255
  auto data = shutdown_data(text);
  EXPECT_EQ(data[0], 254);
  EXPECT_EQ(data.size(), 255u);
}

TEST_F(FsmTest, PeerNotificationTakesSessionDown) {
  establish();
  auto a = run(EvMessage{Conn::outgoing, Notification{err::cease, cease::admin_reset, {}}});
  EXPECT_FALSE(sent_notification(a));
  ASSERT_EQ(count<DoDown>(a), 1);
  EXPECT_FALSE(std::get<DoDown>(a.back()).graceful);
}

TEST_F(FsmTest, TcpLossWithGracefulRestartPeerIsGraceful) {
  auto s = settings();
  s.capabilities.graceful_restart = GracefulRestart{false, false, 120, {}};
  fsm = Fsm(s);
  auto open = peer_open();
  open.caps.graceful_restart = GracefulRestart{false, false, 90, {{kIpv6Unicast, true}}};
  run(EvStart{});
  run(EvTcpAccepted{});
  run(EvMessage{Conn::incoming, open});
  run(EvMessage{Conn::incoming, Keepalive{}});
  auto a = run(EvTcpFailed{Conn::incoming, "reset"});
  ASSERT_EQ(count<DoDown>(a), 1);
  EXPECT_TRUE(std::get<DoDown>(a.back()).graceful);
}

TEST_F(FsmTest, TcpLossWithoutGracefulRestartIsNot) {
  establish();
  auto a = run(EvTcpFailed{Conn::outgoing, "reset"});
  ASSERT_EQ(count<DoDown>(a), 1);
  EXPECT_FALSE(std::get<DoDown>(a.back()).graceful);
}

// RFC 4271 6.8: two connections, the one opened by the higher BGP identifier survives.
TEST_F(FsmTest, CollisionLowerLocalIdKeepsPeersConnection) {
  run(EvStart{});
  wait(5);
  run(EvTcpConnected{});
  run(EvTcpAccepted{});
  run(EvMessage{Conn::outgoing, peer_open(0x0a000002)});  // outgoing now OpenConfirm
  auto a = run(EvMessage{Conn::incoming, peer_open(0x0a000002)});
  auto n = sent_notification(a);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->code, err::cease);
  EXPECT_EQ(n->subcode, cease::connection_collision);
  EXPECT_EQ(std::get<DoSend>(a[0]).conn, Conn::outgoing);
  EXPECT_FALSE(fsm.connection_open(Conn::outgoing));
  EXPECT_TRUE(fsm.connection_open(Conn::incoming));
  run(EvMessage{Conn::incoming, Keepalive{}});
  EXPECT_EQ(fsm.established_conn(), Conn::incoming);
}

TEST_F(FsmTest, CollisionHigherLocalIdKeepsOurConnection) {
  fsm = Fsm(settings(0x0a000009));
  run(EvStart{});
  wait(5);
  run(EvTcpConnected{});
  run(EvTcpAccepted{});
  run(EvMessage{Conn::outgoing, peer_open(0x0a000002)});
  auto a = run(EvMessage{Conn::incoming, peer_open(0x0a000002)});
  auto n = sent_notification(a);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->subcode, cease::connection_collision);
  EXPECT_EQ(std::get<DoSend>(a[0]).conn, Conn::incoming);
  EXPECT_TRUE(fsm.connection_open(Conn::outgoing));
  EXPECT_FALSE(fsm.connection_open(Conn::incoming));
  run(EvMessage{Conn::outgoing, Keepalive{}});
  EXPECT_EQ(fsm.established_conn(), Conn::outgoing);
}

TEST_F(FsmTest, EstablishingOneConnectionClosesTheOther) {
  run(EvStart{});
  wait(5);
  run(EvTcpConnected{});
  run(EvTcpAccepted{});
  run(EvMessage{Conn::incoming, peer_open()});
  auto a = run(EvMessage{Conn::incoming, Keepalive{}});
  auto n = sent_notification(a);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->subcode, cease::connection_collision);
  EXPECT_EQ(fsm.established_conn(), Conn::incoming);
  EXPECT_FALSE(fsm.connection_open(Conn::outgoing));
}

// Our OPEN is out on both connections and the peer's KEEPALIVE arrives on the one the
// identifiers would close: the peer may hold both in OpenConfirm and close that one, so it
// waits for the peer's OPEN on the other (seen with BIRD when both sides connect at once).
class HeldBack : public FsmTest {
 protected:
  void SetUp() override {
    fsm = Fsm(settings(0x0a000009));  // higher than the peer's: our outgoing connection stays
    run(EvStart{});
    wait(5);
    run(EvTcpConnected{});
    run(EvTcpAccepted{});
    run(EvMessage{Conn::incoming, peer_open(0x0a000002)});
    auto a = run(EvMessage{Conn::incoming, Keepalive{}});
    EXPECT_FALSE(fsm.established_conn());
    EXPECT_FALSE(sent_notification(a));
  }
};

TEST_F(HeldBack, PeersOpenOnTheOtherConnectionResolvesByIdentifier) {
  auto a = run(EvMessage{Conn::outgoing, peer_open(0x0a000002)});
  auto n = sent_notification(a);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->subcode, cease::connection_collision);
  EXPECT_FALSE(fsm.connection_open(Conn::incoming));
  run(EvMessage{Conn::outgoing, Keepalive{}});
  EXPECT_EQ(fsm.established_conn(), Conn::outgoing);
}

TEST_F(HeldBack, ComesUpWhenTheOtherConnectionFails) {
  auto a = run(EvTcpFailed{Conn::outgoing, "connection closed by peer"});
  EXPECT_EQ(count<DoEstablished>(a), 1);
  EXPECT_EQ(fsm.established_conn(), Conn::incoming);
}

TEST_F(HeldBack, AnUpdateSaysThePeerChoseThisConnection) {
  auto a = run(EvMessage{Conn::incoming, Update{}});
  EXPECT_EQ(fsm.established_conn(), Conn::incoming);
  EXPECT_EQ(count<DoEstablished>(a), 1);
  EXPECT_EQ(count<DoDeliver>(a), 1);
  EXPECT_FALSE(fsm.connection_open(Conn::outgoing));
}

TEST_F(FsmTest, EstablishedRefusesSecondConnectionWithoutGracefulRestart) {
  establish();
  EXPECT_FALSE(fsm.accepts_incoming());
}

}  // namespace
}  // namespace bpfr::bgp
