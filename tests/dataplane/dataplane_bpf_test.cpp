// The loaded fast path: pinned maps with the layout suffix, entries that survive a restart,
// XDP and tcx links pinned and adopted, the generic fallback and its reason, detaching.
#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "dataplane/dataplane.h"
#include "dataplane/encode.h"
#include "dataplane/pins.h"
#include "lab/lab.h"

namespace bpfr::dp {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

Prefix P(const char* s) {
  return *Prefix::parse(s);
}

class DataplaneBpf : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!lab::have_privileges())
      GTEST_SKIP() << "needs root and BPF";
    root_ = fmt::format("/sys/fs/bpf/bpfr-dataplane-test-{}", getpid());
    opts_.pin_root = root_;
    opts_.slots = 1024;  // small maps keep the test quick
    opts_.max_routes_v4 = 1024;
    opts_.max_routes_v6 = 1024;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  size_t route_entries(Dataplane& dp) {
    size_t n = 0;
    dp.sweep_routes([&](const Prefix&) {
      n++;
      return true;
    });
    return n;
  }

  std::string root_;
  DataplaneOptions opts_;
};

TEST_F(DataplaneBpf, MapsArePinnedWithTheLayoutSuffix) {
  auto dp = Dataplane::load(opts_);
  for (const char* m : {"routes_v4", "routes_v6", "nexthops", "tx_ports", "route_stats",
                        "slot_prefixes", "reason_stats", "iface_stats", "ifaces", "settings"})
    EXPECT_TRUE(fs::exists(map_pin_path(root_, m))) << m;
}

TEST_F(DataplaneBpf, EntriesSurviveARestartAndStaleOnesAreSwept) {
  {
    auto dp = Dataplane::load(opts_);
    ASSERT_TRUE(dp->put_route(P("192.0.2.0/24"), encode_route(BPFR_ROUTE_FORWARD, 1, 1, 0)));
    ASSERT_TRUE(dp->put_route(P("2001:db8::/32"), encode_route(BPFR_ROUTE_BLACKHOLE, 0, 2, 0)));
    ASSERT_TRUE(dp->put_slot(2, encode_slot(P("2001:db8::/32"), BPFR_SLOT_LIVE, 3, 1), true));
    dp->leave_running();
  }
  auto dp = Dataplane::load(opts_);
  EXPECT_EQ(route_entries(*dp), 2u);
  auto rows = dp->slot_rows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].first, 2u);
  EXPECT_EQ(rows[0].second.generation, 3u);

  size_t swept = dp->sweep_routes([](const Prefix& p) { return p == P("2001:db8::/32"); });
  EXPECT_EQ(swept, 1u);
  EXPECT_EQ(route_entries(*dp), 1u);
}

TEST_F(DataplaneBpf, SettingsAndHeartbeat) {
  auto dp = Dataplane::load(opts_);
  ASSERT_TRUE(dp->write_settings(true, false, 300));
  int fd = bpf_obj_get(map_pin_path(root_, "settings").c_str());
  ASSERT_GE(fd, 0);
  uint32_t key = 0;
  bpfr_settings s1{}, s2{};
  ASSERT_EQ(bpf_map_lookup_elem(fd, &key, &s1), 0);
  EXPECT_EQ(s1.enabled, 1);
  EXPECT_EQ(s1.stale_after_s, 300u);
  std::this_thread::sleep_for(5ms);
  ASSERT_TRUE(dp->heartbeat());
  ASSERT_EQ(bpf_map_lookup_elem(fd, &key, &s2), 0);
  EXPECT_GT(s2.heartbeat_ns, s1.heartbeat_ns);
  EXPECT_EQ(s2.enabled, 1);
  close(fd);
}

class DataplaneLinks : public DataplaneBpf {
 protected:
  void SetUp() override {
    DataplaneBpf::SetUp();
    if (IsSkipped())
      return;
    a_ = std::make_unique<lab::Netns>("dpbpf");
    b_ = std::make_unique<lab::Netns>("dpbpf");
    veth_ = std::make_unique<lab::Veth>(lab::VethEnd{*a_, "v0"}, lab::VethEnd{*b_, "v1"});
  }
  void TearDown() override {
    veth_.reset();
    a_.reset();
    b_.reset();
    DataplaneBpf::TearDown();
  }

  std::string xdp_of(const std::string& dev) {
    return a_->run({"ip", "-d", "link", "show", "dev", dev}).out;
  }

  std::unique_ptr<lab::Netns> a_, b_;
  std::unique_ptr<lab::Veth> veth_;
};

TEST_F(DataplaneLinks, XdpLinkIsPinnedAdoptedAfterARestartAndRemovedOnDetach) {
  uint32_t ifindex = uint32_t(a_->ifindex("v0"));
  std::string pin = link_pin_path(root_, "xdp", "v0");
  {
    lab::NetnsEnter in(*a_);
    auto dp = Dataplane::load(opts_);
    auto r = dp->attach_xdp(ifindex, "v0", XdpMode::native);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_FALSE(r.adopted);
    EXPECT_EQ(r.mode, XdpMode::native);
    EXPECT_TRUE(fs::exists(pin));
    dp->leave_running();
  }
  // The daemon is gone; the program stays attached through the pinned link.
  EXPECT_NE(xdp_of("v0").find("xdp"), std::string::npos);

  lab::NetnsEnter in(*a_);
  auto dp = Dataplane::load(opts_);
  auto r = dp->attach_xdp(ifindex, "v0", XdpMode::native);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.adopted);
  dp->detach_all();
  EXPECT_FALSE(fs::exists(pin));
  EXPECT_EQ(xdp_of("v0").find("prog/xdp"), std::string::npos) << xdp_of("v0");
}

TEST_F(DataplaneLinks, NativeRefusedFallsBackToGenericWithAReason) {
  // veth refuses native XDP when the peer's MTU is larger than a page can hold.
  b_->ip("link set dev v1 mtu 9000");
  a_->ip("link set dev v0 mtu 9000");
  uint32_t ifindex = uint32_t(a_->ifindex("v0"));
  lab::NetnsEnter in(*a_);
  auto dp = Dataplane::load(opts_);
  auto r = dp->attach_xdp(ifindex, "v0", XdpMode::native);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.mode, XdpMode::generic);
  EXPECT_FALSE(r.fallback_reason.empty());
  EXPECT_NE(xdp_of("v0").find("xdpgeneric"), std::string::npos) << xdp_of("v0");
  dp->detach_all();
}

TEST_F(DataplaneLinks, TcxLinkOnAnL3DeviceIsPinned) {
  a_->ip("tuntap add dev tun0 mode tun");
  a_->ip("link set dev tun0 up");
  uint32_t ifindex = uint32_t(a_->ifindex("tun0"));
  lab::NetnsEnter in(*a_);
  auto dp = Dataplane::load(opts_);
  auto r = dp->attach_tc(ifindex, "tun0", true);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(dp->tcx_supported());
  EXPECT_TRUE(fs::exists(link_pin_path(root_, "tcx", "tun0")));
  dp->detach_all();
  EXPECT_FALSE(fs::exists(link_pin_path(root_, "tcx", "tun0")));
}

TEST_F(DataplaneLinks, IfaceRowsAndTxPorts) {
  uint32_t ifindex = uint32_t(a_->ifindex("v0"));
  lab::NetnsEnter in(*a_);
  auto dp = Dataplane::load(opts_);
  IfaceSettings s;
  s.role = BPFR_ROLE_UPSTREAM;
  ASSERT_TRUE(dp->set_iface(ifindex, s));
  EXPECT_EQ(dp->iface_row(ifindex), 0u);
  EXPECT_TRUE(dp->set_tx_port(ifindex));
  EXPECT_TRUE(dp->remove_tx_port(ifindex));
  EXPECT_TRUE(dp->remove_iface(ifindex));
  EXPECT_FALSE(dp->iface_row(ifindex));
}

}  // namespace
}  // namespace bpfr::dp
