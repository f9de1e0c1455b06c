// bpfrouterd speaking BGP to a real BIRD 2 two hops away, in the guide's shape: multihop 2,
// a TCP MD5 password, local AS 65535, neighbour AS 64515.
//
//   bird  b0 ---- m1  mid  m0 ---- r0  router (bpfrouterd)
//   fd00:2::2        fd00:2::1  fd00:1::1        fd00:1::2
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "integration/router_lab.h"
#include "lab/lab.h"

namespace bpfr {
namespace {

using namespace std::chrono_literals;

constexpr const char* bird_conf = R"(router id 10.0.2.2;
protocol device {}
protocol static {
  ipv6;
  route 2001:db8:200::/48 unreachable;
  route fd00:1::/64 via fd00:2::1;
}
protocol bgp upstream {
  local fd00:2::2 as 64515;
  neighbor fd00:1::2 as 65535;
  multihop 2;
  password "lab-secret";
  ipv6 { import all; export where net = 2001:db8:200::/48; };
}
)";

std::string router_conf(const std::filesystem::path& pin_root, const std::string& extra = {}) {
  return std::string(R"(router id 10.0.1.2;
protocol device {}
protocol static {
  ipv6;)") +
         extra + R"(
  route 2001:db8:100::/48 unreachable;
  route fd00:2::/64 via fd00:1::1;
}
protocol bgp upstream1 {
  local fd00:1::2 as 65535;
  neighbor fd00:2::2 as 64515;
  multihop 2;
  password "lab-secret";
  ipv6 {
    import all;
    export filter { if net = 2001:db8:100::/48 then accept; reject; };
  };
}
bpfrouter {
  pin root ")" +
         pin_root.string() + R"(";
  leave running off;
  metrics { address 127.0.0.1; port 9324; };
}
)";
}

std::filesystem::path client_binary() {
  return std::filesystem::path(BPFR_BINARY_DIR) / "userspace/cli/bpfrouter";
}

std::filesystem::path daemon_binary() {
  return std::filesystem::path(BPFR_BINARY_DIR) / "userspace/daemon/bpfrouterd";
}

// Three namespaces, BIRD in one, bpfrouterd in another; all removed on destruction.
class BgpLab : public ::testing::Test {
 protected:
  BgpLab()
      : bird_ns_("dbgp"),
        mid_("dbgp"),
        rtr_("dbgp"),
        left_({bird_ns_, "b0", {"fd00:2::2/64"}}, {mid_, "m1", {"fd00:2::1/64"}}),
        right_({mid_, "m0", {"fd00:1::1/64"}}, {rtr_, "r0", {"fd00:1::2/64"}}),
        dir_("bpfr-daemon-bgp"),
        pin_root_("/sys/fs/bpf/" + lab::unique_name("bpfr-dbgp")) {
    mid_.enable_forwarding();
    bird_ns_.ip("-6 route add fd00:1::/64 via fd00:2::1");
    rtr_.ip("-6 route add fd00:2::/64 via fd00:1::1");
    {
      std::ofstream out(dir_ / "bird.conf");
      out << router_conf(pin_root_);
    }
    bird_ = std::make_unique<lab::Bird>(bird_ns_, bird_conf);
    daemon_ = std::make_unique<lab::Process>(
        std::vector<std::string>{daemon_binary().string(), "-f", "-c",
                                 (dir_ / "bird.conf").string(), "-s", socket()},
        &rtr_, dir_ / "bpfrouterd.log");
  }

  ~BgpLab() override {
    daemon_.reset();
    bird_.reset();
    std::error_code ec;
    std::filesystem::remove_all(pin_root_, ec);
  }

  std::string socket() const { return (dir_ / "bpfrouter.ctl").string(); }
  std::string log() const { return daemon_->log(); }
  lab::Result client(std::vector<std::string> args) const {
    args.insert(args.begin(), {client_binary().string(), "-s", socket()});
    return lab::run(args, nullptr, 20s);
  }

  lab::Netns bird_ns_, mid_, rtr_;
  lab::Veth left_, right_;
  lab::TempDir dir_;
  std::filesystem::path pin_root_;
  std::unique_ptr<lab::Bird> bird_;
  std::unique_ptr<lab::Process> daemon_;
};

TEST_F(BgpLab, SessionWithBirdExchangesRoutesAndTheFastPathGetsThem) {
  ASSERT_TRUE(bird_->wait_established("upstream", 60s)) << bird_->protocol_state("upstream") << "\n"
                                                        << log();

  integration::PinnedMaps maps(pin_root_);
  auto bird_prefix = Prefix::parse("2001:db8:200::/48");
  ASSERT_TRUE(bird_prefix);
  EXPECT_TRUE(lab::wait_until([&] { return maps.has_route(*bird_prefix); }, 20s))
      << "BIRD's /48 not in routes_v6\n"
      << log();

  EXPECT_TRUE(lab::wait_until(
      [&] {
        auto r = bird_->birdc({"show", "route", "protocol", "upstream"});
        return r.out.find("2001:db8:100::/48") != std::string::npos;
      },
      20s))
      << bird_->birdc({"show", "route", "all"}).out << "\n"
      << log();
}

TEST_F(BgpLab, ControlSocketShowsProtocolsAndRoutes) {
  ASSERT_TRUE(bird_->wait_established("upstream", 60s)) << log();

  auto protocols = client({"show", "protocols"});
  EXPECT_TRUE(protocols.ok()) << protocols.describe();
  EXPECT_NE(protocols.out.find("upstream1"), std::string::npos) << protocols.out;
  EXPECT_NE(protocols.out.find("Established"), std::string::npos) << protocols.out;

  // BIRD's own client speaks the same protocol.
  auto birdc = lab::run({"birdc", "-s", socket(), "show", "protocols"}, nullptr, 20s);
  EXPECT_NE(birdc.out.find("upstream1"), std::string::npos) << birdc.describe();

  EXPECT_TRUE(lab::wait_until(
      [&] {
        auto r = client({"show", "route", "for", "2001:db8:200::1"});
        return r.ok() && r.out.find("2001:db8:200::/48") != std::string::npos;
      },
      20s))
      << client({"show", "route"}).out;
  auto count = client({"show", "route", "count"});
  EXPECT_TRUE(count.ok()) << count.describe();
  EXPECT_NE(count.out.find("routes"), std::string::npos) << count.out;

  auto disabled = client({"disable", "upstream1"});
  EXPECT_TRUE(disabled.ok()) << disabled.describe();
  EXPECT_TRUE(lab::wait_until(
      [&] { return bird_->protocol_state("upstream").find("Established") == std::string::npos; },
      20s));
  EXPECT_TRUE(client({"enable", "upstream1"}).ok());
  EXPECT_TRUE(bird_->wait_established("upstream", 60s)) << log();
}

// The metrics endpoint of the bpfrouter block, inside the router's namespace.
TEST_F(BgpLab, MetricsEndpointReportsTheSession) {
  ASSERT_TRUE(bird_->wait_established("upstream", 60s)) << log();
  std::string body;
  EXPECT_TRUE(lab::wait_until(
      [&] {
        auto r = rtr_.run({"curl", "-s", "--max-time", "5", "http://127.0.0.1:9324/metrics"});
        body = r.out;
        return r.ok() && body.find("upstream1") != std::string::npos;
      },
      20s, 200ms))
      << body << "\n"
      << log();
}

// `configure` with a change that does not concern the session leaves it up.
TEST_F(BgpLab, ConfigureKeepsAnUnchangedSessionUp) {
  ASSERT_TRUE(bird_->wait_established("upstream", 60s)) << log();
  {
    std::ofstream out(dir_ / "bird.conf");
    out << router_conf(pin_root_, "\n  route 2001:db8:300::/48 blackhole;");
  }
  auto r = client({"configure"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_TRUE(lab::wait_until(
      [&] {
        auto c = client({"show", "route", "2001:db8:300::/48"});
        return c.out.find("2001:db8:300::/48") != std::string::npos;
      },
      10s));
  EXPECT_FALSE(lab::wait_until(
      [&] { return bird_->protocol_state("upstream").find("Established") == std::string::npos; },
      3s, 200ms));
  EXPECT_EQ(log().find("session down"), std::string::npos) << log();
}

}  // namespace
}  // namespace bpfr
