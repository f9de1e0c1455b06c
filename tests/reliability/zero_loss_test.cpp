// No packet of a route that does not change is lost while bpfrouterd is killed with SIGKILL and
// restarted: the pinned links and maps forward while no daemon runs, and the restarted daemon
// adopts them, swaps its freshly loaded program into each pinned XDP link with
// BPF_LINK_UPDATE (atomic), rewrites the same route entries and sweeps, never flushing. Every
// probe carries a sequence number; the receiver counts the unique ones.
#include <gtest/gtest.h>

#include <cstdio>
#include <thread>

#include "reliability/reliability_lab.h"
#include "trafficgen.h"

namespace bpfr::reliability {
namespace {

constexpr uint64_t rate_pps = 150'000;
constexpr auto longest_run = 30s;
constexpr uint32_t stream = 31;
constexpr int restarts = 2;
// Probes the receiver must see between two steps, so each step happens under traffic.
constexpr uint64_t probes_per_step = rate_pps / 2;
constexpr const char* probe_dst = "10.99.0.128/25";

TEST(ZeroLoss, KillAndRestartWithProgramReplacementLosesNoPacket) {
  if (!lab::have_privileges())
    GTEST_SKIP() << "needs root, namespaces and BPF";
  ReliabilityLab lab;
  lab.start_daemon();
  lab::Sink& sink = lab.dst_sink();
  sink.reset();
  uint64_t kernel_before = kernel_forwarded(lab.rtr());

  trafficgen::Options o;
  o.netns_path = lab.src().path();
  o.dev = "s0";
  o.dst_mac = trafficgen::parse_mac(lab.r0_mac());
  o.src_v4 = *Address::parse("10.98.0.1");
  o.destinations = {*Prefix::parse(probe_dst)};
  o.rate_pps = rate_pps;
  o.count = rate_pps * std::chrono::duration_cast<std::chrono::seconds>(longest_run).count();
  o.duration = longest_run;
  o.stream = stream;
  trafficgen::Generator generator(o);
  trafficgen::Report report;
  std::thread sender([&] { report = generator.run(); });

  auto step = [&] {
    uint64_t from = sink.stats().probes;
    return lab::wait_until([&] { return sink.stats().probes >= from + probes_per_step; }, 10s);
  };
  bool flowing = step();
  int restarted = 0;
  std::vector<uint32_t> programs = {lab.xdp_program("r0")};
  for (; flowing && restarted < restarts; ++restarted) {
    lab.kill_daemon();
    flowing = step();  // no daemon at all
    if (!flowing)
      break;
    lab.start_daemon();
    programs.push_back(lab.xdp_program("r0"));
    flowing = step();
  }
  generator.stop();
  sender.join();
  ASSERT_TRUE(flowing) << "probes stopped arriving after " << restarted << " restarts\n"
                       << lab.daemon_log();
  ASSERT_EQ(restarted, restarts);

  // Let the queues drain before counting.
  lab::wait_until([&] { return sink.stats().probes - sink.stats().duplicates >= report.sent; },
                  3s);
  auto seq = sink.sequence(report.sent);
  std::printf("zero loss: %d kill -9 and restarts, sent %llu probes in %.2f s (%.0f packets/s); "
              "receiver: %s\n",
              restarts, (unsigned long long)report.sent, report.seconds, report.pps(),
              seq.str().c_str());
  ::testing::Test::RecordProperty("pps", std::to_string(uint64_t(report.pps())));
  ::testing::Test::RecordProperty("sent", std::to_string(report.sent));
  ::testing::Test::RecordProperty("lost", std::to_string(seq.lost));

  EXPECT_GE(report.pps(), 100'000.0);
  EXPECT_EQ(seq.lost, 0u) << seq.str();
  EXPECT_EQ(seq.duplicates, 0u) << seq.str();
  // All of it went through the fast path, none through the kernel.
  EXPECT_EQ(kernel_forwarded(lab.rtr()), kernel_before);
  // Each restart swapped a new program into the same pinned link.
  EXPECT_NE(lab.daemon_log().find("adopted"), std::string::npos) << lab.daemon_log();
  for (size_t i = 1; i < programs.size(); ++i)
    EXPECT_NE(programs[i], programs[i - 1]) << "restart " << i << " kept the old program";
}

}  // namespace
}  // namespace bpfr::reliability
