// A clean stop (`bpfrouter down`, SIGTERM) detaches the fast path unless the bpfrouter block
// says `leave running on`; either way the kernel's routes carry the traffic afterwards, or the
// pinned programs still do.
#include <gtest/gtest.h>

#include <csignal>

#include "reliability/reliability_lab.h"

namespace bpfr::reliability {
namespace {

constexpr uint64_t probes = 500;
constexpr uint64_t probe_rate = 20000;
// Inside the static route, but never the destination's own address.
constexpr const char* probe_dst = "10.99.0.128/25";

class CleanStop : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!lab::have_privileges())
      GTEST_SKIP() << "needs root, namespaces and BPF";
    lab_ = std::make_unique<ReliabilityLab>();
  }

  // Probes sent after the stop arrive, and who forwarded them: true when the kernel did.
  bool kernel_forwards_after_stop(uint32_t stream) {
    // Generated frames reach r0 only while it runs an XDP program: a bare pass one once the
    // router's is gone.
    std::unique_ptr<lab::Sink> r0_pass;
    if (!lab_->xdp_attached("r0"))
      r0_pass = std::make_unique<lab::Sink>(lab_->rtr(), "r0");
    uint64_t kernel_before = kernel_forwarded(lab_->rtr());
    uint64_t arrived_before = lab_->dst_sink().stats().probes;
    uint64_t sent = lab_->send(probe_dst, probes, probe_rate, stream);
    EXPECT_EQ(sent, probes);
    EXPECT_TRUE(lab::wait_until(
        [&] { return lab_->dst_sink().stats().probes - arrived_before >= sent; }, 5s))
        << "arrived " << lab_->dst_sink().stats().probes - arrived_before << " of " << sent;
    return kernel_forwarded(lab_->rtr()) - kernel_before >= sent;
  }

  std::unique_ptr<ReliabilityLab> lab_;
};

TEST_F(CleanStop, DownCommandDetachesByDefault) {
  lab_->start_daemon();
  ASSERT_TRUE(lab_->xdp_attached("r0"));

  auto r = lab_->client({"down"});
  EXPECT_TRUE(r.ok()) << r.describe();
  ASSERT_TRUE(lab_->wait_daemon_exit(10s)) << lab_->daemon_log();

  EXPECT_NE(lab_->daemon_log().find("fast path detached"), std::string::npos)
      << lab_->daemon_log();
  EXPECT_FALSE(lab_->link_pinned("r0"));
  EXPECT_FALSE(lab_->link_pinned("r1"));
  EXPECT_FALSE(lab_->xdp_attached("r0"));
  EXPECT_TRUE(kernel_forwards_after_stop(21));
}

TEST_F(CleanStop, SigtermDetachesByDefault) {
  lab_->start_daemon();
  ASSERT_TRUE(lab_->xdp_attached("r0"));

  lab_->signal_daemon(SIGTERM);
  ASSERT_TRUE(lab_->wait_daemon_exit(10s)) << lab_->daemon_log();

  EXPECT_NE(lab_->daemon_log().find("fast path detached"), std::string::npos)
      << lab_->daemon_log();
  EXPECT_FALSE(lab_->link_pinned("r0"));
  EXPECT_FALSE(lab_->xdp_attached("r0"));
  EXPECT_TRUE(kernel_forwards_after_stop(22));
}

TEST_F(CleanStop, LeaveRunningOnKeepsTheFastPathAfterSigtermAndDown) {
  lab_->write_config({.fast_path = "  leave running on;\n"});
  lab_->start_daemon();

  lab_->signal_daemon(SIGTERM);
  ASSERT_TRUE(lab_->wait_daemon_exit(10s)) << lab_->daemon_log();
  EXPECT_NE(lab_->daemon_log().find("fast path left running"), std::string::npos)
      << lab_->daemon_log();
  EXPECT_TRUE(lab_->link_pinned("r0"));
  EXPECT_TRUE(lab_->xdp_attached("r0"));
  EXPECT_FALSE(kernel_forwards_after_stop(23));

  // `down` the same way, from a daemon that adopted the links.
  lab_->start_daemon();
  auto r = lab_->client({"down"});
  EXPECT_TRUE(r.ok()) << r.describe();
  ASSERT_TRUE(lab_->wait_daemon_exit(10s)) << lab_->daemon_log();
  EXPECT_TRUE(lab_->link_pinned("r0"));
  EXPECT_FALSE(kernel_forwards_after_stop(24));
}

}  // namespace
}  // namespace bpfr::reliability
