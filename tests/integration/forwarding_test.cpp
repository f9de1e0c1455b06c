// The fast path in a namespace lab: static routes forwarded by XDP, not by the kernel; our
// counters equal what was sent; the kernel keeps what it must answer; a removed route leaves
// the fast path.
#include <gtest/gtest.h>

#include "integration/router_lab.h"
#include "trafficgen.h"

namespace bpfr::integration {
namespace {

constexpr int pings = 5;
constexpr uint64_t burst = 2000;  // UDP frames per family, at a bounded rate
// Inside the routes to the destination, but never its own addresses, which would answer with
// ICMP port unreachable.
constexpr const char* burst_dst_v6 = "fd00:99::8000:0:0:0/65";
constexpr const char* burst_dst_v4 = "10.99.0.128/25";

Prefix P(const char* s) {
  return *Prefix::parse(s);
}

class Forwarding : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!lab::have_privileges())
      GTEST_SKIP() << "needs root, namespaces and BPF";
    lab_ = std::make_unique<RouterLab>();
    lab_->start_daemon();
  }

  lab::Result ping(const char* family, const char* from, const char* to, int count,
                   int hop_limit = 0) {
    std::vector<std::string> argv = {
        "ping", family, "-c", std::to_string(count), "-i", "0.05", "-W", "2", "-I", from};
    if (hop_limit)
      argv.insert(argv.end(), {"-t", std::to_string(hop_limit)});
    argv.push_back(to);
    return lab_->src().run(argv, 20s);
  }

  uint64_t udp_burst(const Address& src, const char* dst, uint32_t stream) {
    trafficgen::Options o;
    o.netns_path = lab_->src().path();
    o.dev = "s0";
    o.dst_mac = trafficgen::parse_mac(lab_->r0_mac());
    if (src.is_v4())
      o.src_v4 = src;
    else
      o.src_v6 = src;
    o.destinations = {P(dst)};
    o.count = burst;
    o.rate_pps = 20000;
    o.duration = 5s;
    o.stream = stream;
    return trafficgen::Generator(o).run().sent;
  }

  uint64_t kernel_forwarded() {
    return lab_->rtr().counter("Ip6OutForwDatagrams") + lab_->rtr().counter("Ip.ForwDatagrams");
  }

  std::unique_ptr<RouterLab> lab_;
};

TEST_F(Forwarding, StaticRoutesAreForwardedByXdpNotByTheKernel) {
  uint64_t kernel_before = kernel_forwarded();
  uint64_t sink_before = lab_->dst_sink().stats().packets;

  auto r6 = ping("-6", "fd00:98::1", "fd00:99::1", pings);
  EXPECT_TRUE(r6.ok()) << r6.describe() << lab_->daemon_log();
  auto r4 = ping("-4", "10.98.0.1", "10.99.0.1", pings);
  EXPECT_TRUE(r4.ok()) << r4.describe() << lab_->daemon_log();

  uint64_t sent6 = udp_burst(*Address::parse("fd00:98::1"), burst_dst_v6, 6);
  uint64_t sent4 = udp_burst(*Address::parse("10.98.0.1"), burst_dst_v4, 4);
  ASSERT_EQ(sent6, burst);
  ASSERT_EQ(sent4, burst);

  // Everything arrived, and the kernel forwarded none of it.
  uint64_t expected_to_dst = 2 * pings + sent6 + sent4;
  EXPECT_TRUE(lab::wait_until(
      [&] { return lab_->dst_sink().stats().packets - sink_before >= expected_to_dst; }, 5s))
      << "destination saw " << lab_->dst_sink().stats().packets - sink_before << " of "
      << expected_to_dst;
  EXPECT_EQ(kernel_forwarded(), kernel_before);

  // Our counters equal what was sent: requests and bursts one way, replies the other.
  const auto& m = lab_->maps();
  EXPECT_EQ(m.route_counter(P(route_dst_v6)).packets, pings + sent6);
  EXPECT_EQ(m.route_counter(P(route_dst_v4)).packets, pings + sent4);
  EXPECT_EQ(m.route_counter(P(route_src_v6)).packets, uint64_t(pings));
  EXPECT_EQ(m.route_counter(P(route_src_v4)).packets, uint64_t(pings));
  EXPECT_EQ(m.iface_counter(lab_->r1_ifindex()).tx_packets, expected_to_dst);
  EXPECT_EQ(m.reason_counter(BPFR_FORWARD_XDP).packets, expected_to_dst + 2 * pings);
}

TEST_F(Forwarding, HopLimitOneGetsTimeExceededFromTheKernel) {
  uint64_t ttl_before = lab_->maps().reason_counter(BPFR_PASS_TTL).packets;
  uint64_t kernel_before = kernel_forwarded();

  auto r = ping("-6", "fd00:98::1", "fd00:99::1", 1, 1);
  EXPECT_NE(r.out.find("Time exceeded"), std::string::npos) << r.describe();
  EXPECT_EQ(lab_->maps().reason_counter(BPFR_PASS_TTL).packets, ttl_before + 1);
  EXPECT_EQ(kernel_forwarded(), kernel_before);
}

TEST_F(Forwarding, RemovedRouteLeavesTheFastPath) {
  ASSERT_TRUE(ping("-6", "fd00:98::1", "fd00:99::1", 1).ok());
  uint64_t counted = lab_->maps().route_counter(P(route_dst_v6)).packets;
  ASSERT_EQ(counted, 1u);

  lab_->write_config({.dst_v6 = false});
  lab_->reload();
  ASSERT_TRUE(lab::wait_until([&] { return !lab_->maps().has_route(P(route_dst_v6)); }, 5s))
      << lab_->daemon_log();
  auto slot = lab_->maps().slot_of(P(route_dst_v6));
  ASSERT_TRUE(slot);
  EXPECT_EQ(lab_->maps().slot_state(*slot), BPFR_SLOT_WITHDRAWN);

  // The kernel's own route carries the traffic now; the fast path counts nothing for it.
  uint64_t forw_before = lab_->rtr().counter("Ip6OutForwDatagrams");
  auto r = ping("-6", "fd00:98::1", "fd00:99::1", pings);
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_GE(lab_->rtr().counter("Ip6OutForwDatagrams") - forw_before, uint64_t(pings));
  EXPECT_EQ(lab_->maps().route_counter(P(route_dst_v6)).packets, counted);

  // The IPv4 route is still in the fast path.
  uint64_t forw4_before = lab_->rtr().counter("Ip.ForwDatagrams");
  EXPECT_TRUE(ping("-4", "10.98.0.1", "10.99.0.1", 1).ok());
  EXPECT_EQ(lab_->rtr().counter("Ip.ForwDatagrams"), forw4_before);
}

TEST_F(Forwarding, PinnedLinksKeepForwardingWhileTheDaemonIsDownAndARestartAdoptsThem) {
  lab_->kill_daemon();

  // No daemon: the pinned links and maps still forward.
  uint64_t kernel_before = kernel_forwarded();
  auto r = ping("-6", "fd00:98::1", "fd00:99::1", pings);
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(kernel_forwarded(), kernel_before);
  EXPECT_EQ(lab_->maps().route_counter(P(route_dst_v6)).packets, uint64_t(pings));

  // A new daemon adopts the links and keeps each prefix's counters.
  lab_->start_daemon();
  EXPECT_TRUE(
      lab::wait_until([&] { return lab_->daemon_log().find("ready") != std::string::npos; }, 5s));
  EXPECT_NE(lab_->daemon_log().find("adopted"), std::string::npos) << lab_->daemon_log();
  r = ping("-6", "fd00:98::1", "fd00:99::1", pings);
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(kernel_forwarded(), kernel_before);
  EXPECT_EQ(lab_->maps().route_counter(P(route_dst_v6)).packets, uint64_t(2 * pings));
}

TEST(KernelExport, ProtocolKernelPutsTheStaticRoutesIntoTheKernelAndTakesThemBack) {
  if (!lab::have_privileges())
    GTEST_SKIP() << "needs root, namespaces and BPF";
  RouterLab lab;
  lab.write_config({.kernel = true});
  lab.start_daemon();
  auto ours = [&](const char* family, const char* prefix) {
    return lab.rtr().run({"ip", family, "route", "show", prefix, "proto", "12"}).out;
  };
  EXPECT_TRUE(lab::wait_until([&] { return !ours("-6", route_dst_v6).empty(); }, 5s))
      << lab.daemon_log();
  EXPECT_NE(ours("-6", route_dst_v6).find("via fd00:2::2"), std::string::npos);
  EXPECT_NE(ours("-4", route_dst_v4).find("via 10.2.0.2"), std::string::npos);

  lab.stop_daemon();
  EXPECT_EQ(ours("-6", route_dst_v6), "");
  EXPECT_EQ(ours("-4", route_dst_v4), "");
}

}  // namespace
}  // namespace bpfr::integration
