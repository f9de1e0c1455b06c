// Forwarding rate of the namespace lab, XDP fast path against kernel forwarding, from one run
// of each: the same bounded flood from the source, counted where it arrives. The ratio goes
// into the test's output (and its XML report as the property xdp_to_kernel_ratio).
#include <gtest/gtest.h>

#include <cstdio>

#include "integration/router_lab.h"
#include "trafficgen.h"

namespace bpfr::integration {
namespace {

constexpr uint64_t flood_frames = 2'000'000;
constexpr auto flood_time = 3s;

struct Rate {
  uint64_t sent = 0;
  uint64_t arrived = 0;
  double seconds = 0;
  double pps() const { return seconds > 0 ? arrived / seconds : 0; }
};

Rate flood(RouterLab& lab, uint32_t stream) {
  trafficgen::Options o;
  o.netns_path = lab.src().path();
  o.dev = "s0";
  o.dst_mac = trafficgen::parse_mac(lab.r0_mac());
  o.src_v4 = *Address::parse("10.98.0.1");
  o.destinations = {*Prefix::parse("10.99.0.128/25")};
  o.count = flood_frames;
  o.duration = flood_time;
  o.stream = stream;

  uint64_t before = lab.dst_sink().stats().probes;
  auto report = trafficgen::Generator(o).run();
  // Let the queues drain before counting.
  uint64_t arrived = 0;
  lab::wait_until(
      [&] {
        uint64_t now = lab.dst_sink().stats().probes - before;
        bool settled = now == arrived;
        arrived = now;
        return settled;
      },
      2s, 100ms);
  return Rate{report.sent, arrived, report.seconds};
}

TEST(ForwardingRate, XdpAgainstKernelForwarding) {
  if (!lab::have_privileges())
    GTEST_SKIP() << "needs root, namespaces and BPF";
  RouterLab lab;
  lab.start_daemon();
  Rate xdp = flood(lab, 11);
  uint64_t kernel_forwarded_during_xdp = lab.rtr().counter("Ip.ForwDatagrams");

  // The daemon detaches on stop; a bare XDP_PASS program keeps r0 able to take the flood, and
  // the kernel forwards it on its own routes.
  lab.stop_daemon();
  lab::Sink r0_pass(lab.rtr(), "r0");
  uint64_t forw_before = lab.rtr().counter("Ip.ForwDatagrams");
  Rate kernel = flood(lab, 12);
  uint64_t kernel_forwarded = lab.rtr().counter("Ip.ForwDatagrams") - forw_before;

  double ratio = kernel.pps() > 0 ? xdp.pps() / kernel.pps() : 0;
  std::printf(
      "forwarding rate, 64-byte IPv4 UDP, veth namespace lab, one run each:\n"
      "  XDP fast path:     sent %llu in %.2f s, arrived %llu, %.0f packets/s\n"
      "  kernel forwarding: sent %llu in %.2f s, arrived %llu, %.0f packets/s\n"
      "  ratio XDP/kernel:  %.2f\n",
      (unsigned long long)xdp.sent, xdp.seconds, (unsigned long long)xdp.arrived, xdp.pps(),
      (unsigned long long)kernel.sent, kernel.seconds, (unsigned long long)kernel.arrived,
      kernel.pps(), ratio);
  ::testing::Test::RecordProperty("xdp_pps", std::to_string(uint64_t(xdp.pps())));
  ::testing::Test::RecordProperty("kernel_pps", std::to_string(uint64_t(kernel.pps())));
  ::testing::Test::RecordProperty("xdp_to_kernel_ratio", std::to_string(ratio));

  EXPECT_GT(xdp.arrived, 0u);
  EXPECT_GT(kernel.arrived, 0u);
  EXPECT_EQ(kernel_forwarded_during_xdp, 0u) << "the kernel forwarded during the XDP run";
  EXPECT_GE(kernel_forwarded, kernel.arrived) << "the kernel run did not go through the kernel";
}

}  // namespace
}  // namespace bpfr::integration
