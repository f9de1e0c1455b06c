// A daemon that stays dead longer than `stale after` stops being trusted for the routes it
// learned: BGP routes go to the kernel (counted as BPFR_PASS_STALE), static ones keep being
// forwarded by the fast path. The route comes from a real BIRD 2 in the destination namespace.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "reliability/reliability_lab.h"

namespace bpfr::reliability {
namespace {

constexpr const char* bird_conf = R"(router id 10.2.0.2;
protocol device {}
protocol static { ipv4; route 10.97.0.0/24 blackhole; }
protocol bgp transit {
  local 10.2.0.2 as 64515;
  neighbor 10.2.0.1 as 65535;
  ipv4 { import none; export all; };
}
)";

constexpr const char* router_bgp = R"(protocol bgp upstream {
  local 10.2.0.1 as 65535;
  neighbor 10.2.0.2 as 64515;
  ipv4 { import all; export none; };
}
)";

constexpr int stale_after_s = 3;
constexpr const char* learned_prefix = "10.97.0.0/24";
constexpr const char* learned_dst = "10.97.0.0/25";
constexpr const char* static_dst = "10.99.0.128/25";
constexpr uint64_t probes = 400;
constexpr uint64_t probe_rate = 20000;

class StaleRoutes : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!lab::have_privileges())
      GTEST_SKIP() << "needs root, namespaces and BPF";
    lab_ = std::make_unique<ReliabilityLab>();
    bird_ = std::make_unique<lab::Bird>(lab_->dst(), bird_conf);
    lab_->write_config({.protocols = router_bgp,
                        .fast_path = fmt::format("  stale after {};\n", stale_after_s)});
  }

  uint64_t reason(uint32_t r) const { return lab_->maps().reason_counter(r).packets; }

  // For failure messages.
  std::string pinned_dump(const char* map) const {
    return lab::run({"bpftool", "map", "dump", "pinned", (lab_->pin_root() / map).string()}).out;
  }

  std::unique_ptr<ReliabilityLab> lab_;
  std::unique_ptr<lab::Bird> bird_;
};

TEST_F(StaleRoutes, LearnedRoutesGoToTheKernelOnceTheHeartbeatIsTooOld) {
  lab_->start_daemon();
  auto learned = *Prefix::parse(learned_prefix);
  ASSERT_TRUE(lab::wait_until(
      [&] {
        auto r = lab_->client({"show", "route", "all", learned_prefix});
        return r.out.find("upstream") != std::string::npos && lab_->maps().has_route(learned);
      },
      30s, 100ms))
      << bird_->protocol_state("transit") << "\n"
      << lab_->daemon_log();
  // The kernel's own route for when the fast path lets go; added only now, since the daemon
  // would take it too (preference 10, below BGP's 100).
  lab_->rtr().ip(std::string("route add ") + learned_prefix + " via 10.2.0.2");

  // Daemon alive: the learned route is forwarded by XDP.
  uint64_t xdp_before = reason(BPFR_FORWARD_XDP);
  ASSERT_EQ(lab_->send(learned_dst, probes, probe_rate, 41), probes);
  EXPECT_EQ(reason(BPFR_FORWARD_XDP) - xdp_before, probes);
  EXPECT_EQ(reason(BPFR_PASS_STALE), 0u);

  // Killed: trusted until the heartbeat is `stale after` old, then handed to the kernel.
  lab_->kill_daemon();
  auto killed = lab::Clock::now();
  EXPECT_TRUE(lab::wait_until(
      [&] {
        lab_->send(learned_dst, 20, probe_rate, 42);
        return reason(BPFR_PASS_STALE) > 0;
      },
      std::chrono::seconds(stale_after_s + 5), 100ms))
      << pinned_dump("settings_v1") << pinned_dump("routes_v4_v1");
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(lab::Clock::now() - killed);
  EXPECT_GE(took, std::chrono::milliseconds((stale_after_s - 1) * 1000));

  uint64_t stale_before = reason(BPFR_PASS_STALE);
  uint64_t kernel_before = kernel_forwarded(lab_->rtr());
  uint64_t arrived_before = lab_->dst_sink().stats().probes;
  ASSERT_EQ(lab_->send(learned_dst, probes, probe_rate, 43), probes);
  EXPECT_EQ(reason(BPFR_PASS_STALE) - stale_before, probes);
  EXPECT_TRUE(lab::wait_until(
      [&] { return kernel_forwarded(lab_->rtr()) - kernel_before >= probes; }, 5s));
  EXPECT_TRUE(lab::wait_until(
      [&] { return lab_->dst_sink().stats().probes - arrived_before >= probes; }, 5s));

  // Static routes stay on the fast path.
  xdp_before = reason(BPFR_FORWARD_XDP);
  kernel_before = kernel_forwarded(lab_->rtr());
  ASSERT_EQ(lab_->send(static_dst, probes, probe_rate, 44), probes);
  EXPECT_EQ(reason(BPFR_FORWARD_XDP) - xdp_before, probes);
  EXPECT_EQ(kernel_forwarded(lab_->rtr()), kernel_before);
}

}  // namespace
}  // namespace bpfr::reliability
