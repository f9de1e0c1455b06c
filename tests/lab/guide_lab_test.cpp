// tools/lab/up.sh with BIRD standing in for bpfrouterd: the guide's network works before the
// daemon runs in it, so a failure with bpfrouterd is the daemon's, not the lab's.
#include <gtest/gtest.h>

#include "lab/lab.h"

namespace bpfr::lab {
namespace {

class GuideLabTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!have_privileges()) {
      return;
    }
    GuideLab::Options o;
    o.prefix = "glabt";
    o.limit = 1000;
    o.standin = true;
    lab_ = new GuideLab(o);
  }
  static void TearDownTestSuite() {
    delete lab_;
    lab_ = nullptr;
  }
  void SetUp() override {
    if (!lab_) {
      GTEST_SKIP() << "needs root";
    }
  }
  static GuideLab* lab_;
};

GuideLab* GuideLabTest::lab_ = nullptr;

TEST_F(GuideLabTest, BothSessionsAreEstablishedOnBothSides) {
  for (auto proto : {"vultr", "vultr4"}) {
    auto r = lab_->router_birdc({"show", "protocols", proto});
    EXPECT_NE(r.out.find("Established"), std::string::npos) << r.out;
  }
  for (auto proto : {"customer6", "customer4"}) {
    auto r = lab_->transit_birdc({"show", "protocols", proto});
    EXPECT_NE(r.out.find("Established"), std::string::npos) << r.out;
  }
}

TEST_F(GuideLabTest, SessionsUseMd5) {
  // The kernel lists the TCP-MD5 keys of each socket it signs with.
  auto ss = check(lab_->router().run({"ss", "-tie", "sport = :179 or dport = :179"}), "ss");
  EXPECT_NE(ss.find("md5keys:" + lab_->env("TRANSIT_BGP_V6") + "/128"), std::string::npos) << ss;
  EXPECT_NE(ss.find("md5keys:" + lab_->env("TRANSIT_BGP_V4") + "/32"), std::string::npos) << ss;
}

TEST_F(GuideLabTest, TheTransitSpeakerIsOneHopAwayAndNextHopsAreRecursive) {
  auto route = check(lab_->router().run({"ip", "-6", "route", "get", lab_->env("TRANSIT_BGP_V6")}),
                     "ip route get");
  EXPECT_NE(route.find(" via "), std::string::npos) << "not on a connected link: " << route;
  auto conf = check(run({"cat", lab_->env("ROUTER_CONF")}), "cat router.conf");
  EXPECT_NE(conf.find("multihop 2;"), std::string::npos);

  auto host = lab_->hosts_v4().at(0);
  auto r = lab_->router_birdc({"show", "route", "for", host, "all"});
  EXPECT_NE(r.out.find("BGP.next_hop: " + lab_->env("TRANSIT_BGP_V4")), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("BGP.as_path: 64515 "), std::string::npos) << r.out;
}

TEST_F(GuideLabTest, TheRouterLearnsTheWholeFedTableAndTheTransitSeesThe48) {
  auto want = std::stoull(lab_->env("ROUTES_V4")) + std::stoull(lab_->env("ROUTES_V6"));
  EXPECT_EQ(want, 2000u);
  uint64_t got = 0;
  for (auto proto : {"vultr", "vultr4"}) {
    auto r = lab_->router_birdc({"show", "route", "protocol", proto, "count"});
    unsigned long long n = 0;
    auto pos = r.out.find('\n');
    if (pos != std::string::npos && std::sscanf(r.out.c_str() + pos + 1, "%llu of", &n) == 1) {
      got += n;
    }
  }
  EXPECT_EQ(got, want);

  auto r = lab_->transit_birdc({"show", "route", lab_->env("ROUTER_PREFIX"), "all"});
  EXPECT_NE(r.out.find("BGP.as_path: 65535"), std::string::npos) << r.out;
}

TEST_F(GuideLabTest, TheClientReachesInternetHostsThroughWireGuardFromItsOwnAddress) {
  auto hosts = lab_->hosts_v6();
  ASSERT_FALSE(hosts.empty());
  for (const auto& host : hosts) {
    auto r = lab_->client().run({"ping", "-c", "3", "-i", "0.2", "-W", "2", host}, 20s);
    EXPECT_TRUE(r.ok()) << host << ": " << r.describe();
  }
  // The route into the tunnel, and the source from the /48.
  auto route = check(lab_->client().run({"ip", "-6", "route", "get", hosts[0]}), "route get");
  EXPECT_NE(route.find("dev " + lab_->env("WG_CLIENT_IF")), std::string::npos) << route;
  EXPECT_NE(route.find("src " + lab_->env("CLIENT_V6")), std::string::npos) << route;
  // The router saw a handshake from its peer.
  auto wg =
      check(lab_->router().run({"wg", "show", lab_->env("WG_ROUTER_IF"), "latest-handshakes"}),
            "wg show");
  EXPECT_EQ(wg.find("\t0\n"), std::string::npos) << wg;
}

TEST_F(GuideLabTest, TheRouterReachesIpv4HostsOnTheIpv4Table) {
  for (const auto& host : lab_->hosts_v4()) {
    auto r = lab_->router().run({"ping", "-c", "2", "-i", "0.2", "-W", "2", host}, 20s);
    EXPECT_TRUE(r.ok()) << host << ": " << r.describe();
  }
}

TEST(GuideLabTeardownTest, DownLeavesNoNamespacesOrProcesses) {
  if (!have_privileges()) {
    GTEST_SKIP() << "needs root";
  }
  std::vector<std::string> namespaces, pids;
  std::string state;
  {
    GuideLab::Options o;
    o.prefix = "glabd";
    o.limit = 10;
    o.hosts = 1;
    GuideLab lab(o);
    for (auto key : {"NS_INTERNET", "NS_TRANSIT", "NS_ROUTER", "NS_CLIENT"}) {
      namespaces.push_back(lab.env(key));
    }
    state = lab.env("LAB_STATE");
    for (auto file : {"transit.pid", "wg-router.pid", "wg-client.pid"}) {
      auto pid = check(run({"cat", state + "/" + file}), file);
      pids.push_back(pid.substr(0, pid.find('\n')));
    }
  }
  for (const auto& ns : namespaces) {
    EXPECT_FALSE(std::filesystem::exists("/run/netns/" + ns)) << ns;
  }
  EXPECT_FALSE(std::filesystem::exists(state));
  for (const auto& pid : pids) {
    EXPECT_TRUE(wait_until([&] { return !std::filesystem::exists("/proc/" + pid); }, 5s)) << pid;
  }
}

}  // namespace
}  // namespace bpfr::lab
