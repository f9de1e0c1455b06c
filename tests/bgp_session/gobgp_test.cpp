// A second implementation: GoBGP 3 (gobgpd) directly connected, with a TCP-MD5 password.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include "bgp/speaker.h"
#include "harness.h"

namespace bpfr::bgp::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kGobgpConfig = R"([global.config]
  as = 64600
  router-id = "10.3.0.2"
  port = 179
[[neighbors]]
  [neighbors.config]
    neighbor-address = "2001:db8:3::1"
    peer-as = 65535
    auth-password = "gobgpPassword"
  [neighbors.timers.config]
    connect-retry = 2
    hold-time = 9
    keepalive-interval = 3
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
)";

class Gobgp : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0)
      GTEST_SKIP() << "needs root for namespaces";
    if (getenv("BPFR_DEBUG"))
      spdlog::set_level(spdlog::level::debug);
    link_pair(us, "gb0", peer, "gb1", {"2001:db8:3::1/64", "10.3.0.1/24"},
              {"2001:db8:3::2/64", "10.3.0.2/24"});
    dir = std::filesystem::temp_directory_path() / unique_name("gobgp");
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "gobgpd.toml") << kGobgpConfig;
    gobgpd = std::make_unique<Child>(
        peer,
        std::vector<std::string>{"gobgpd", "-f", (dir / "gobgpd.toml").string(), "-p",
                                 "--api-hosts=127.0.0.1:50051", "--pprof-disable"},
        (dir / "gobgpd.log").string());
  }
  void TearDown() override {
    if (HasFailure() && gobgpd)
      fprintf(stderr, "gobgpd log:\n%s\n", gobgpd->log().c_str());
    gobgpd.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::string gobgp(const std::string& args) {
    return capture(
        fmt::format("nsenter --net={} gobgp -u 127.0.0.1 -p 50051 {}", peer.path(), args));
  }

  Netns us{unique_name("us")};
  Netns peer{unique_name("gobgp")};
  std::filesystem::path dir;
  std::unique_ptr<Child> gobgpd;
};

TEST_F(Gobgp, EstablishedAndRoutesBothWays) {
  EnterNetns enter(us);
  ASSERT_TRUE(enter.ok());
  asio::io_context io;
  MemorySink sink;
  Speaker speaker(io, SpeakerSettings{0x0a030001}, sink);
  PeerConfig c;
  c.name = "gobgp";
  c.neighbor = *Address::parse("2001:db8:3::2");
  c.local_as = 65535;
  c.peer_as = 64600;
  c.password = "gobgpPassword";
  c.hold_time = 9;
  c.connect_delay_time = 1;
  c.connect_retry_time = 2;
  for (auto f : {Family::v4, Family::v6}) {
    ChannelConfig ch;
    ch.family = f;
    ch.import_policy = Policy::accept_all();
    ch.export_policy = Policy::accept_all();
    if (f == Family::v4)
      ch.next_hop_address = *Address::parse("10.3.0.1");
    (f == Family::v4 ? c.ipv4 : c.ipv6) = ch;
  }
  auto& s = speaker.add_peer(c);
  ASSERT_FALSE(speaker.open());
  speaker.export_update(*Prefix::parse("2001:db8:1234::/48"), ExportRoute{});
  speaker.export_update(*Prefix::parse("203.0.113.0/24"), ExportRoute{});
  speaker.start_all();

  ASSERT_TRUE(run_until(
      io, [&] { return s.state() == State::established; }, 20s));

  gobgp("global rib -a ipv6 add 2001:db8:300::/48");
  gobgp("global rib -a ipv4 add 192.0.2.0/24 nexthop 10.3.0.2");
  ASSERT_TRUE(run_until(
      io, [&] { return sink.has("2001:db8:300::/48") && sink.has("192.0.2.0/24"); }, 10s));
  EXPECT_EQ(sink.find("2001:db8:300::/48")->attrs->as_path->str(), "64600");

  bool seen = false;
  for (int i = 0; i < 30 && !seen; ++i) {
    auto v6 = gobgp("global rib -a ipv6");
    auto v4 = gobgp("global rib -a ipv4");
    seen = v6.find("2001:db8:1234::/48") != std::string::npos &&
           v4.find("203.0.113.0/24") != std::string::npos;
    run_for(io, 200ms);
  }
  EXPECT_TRUE(seen) << gobgp("global rib -a ipv6");

  gobgp("global rib -a ipv6 del 2001:db8:300::/48");
  EXPECT_TRUE(run_until(
      io, [&] { return !sink.has("2001:db8:300::/48"); }, 10s));
  EXPECT_TRUE(sink.has("192.0.2.0/24"));
}

}  // namespace
}  // namespace bpfr::bgp::test
