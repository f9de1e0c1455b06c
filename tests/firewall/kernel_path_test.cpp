// With a forward rule in the router's nftables, forwarding stays on the kernel path: the
// rule sees the packets, the kernel's forwarding counters rise, ours count PASS_DISABLED.
#include <gtest/gtest.h>

#include "integration/router_lab.h"

namespace bpfr::integration {
namespace {

constexpr int pings = 5;

class Firewall : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!lab::have_privileges())
      GTEST_SKIP() << "needs root, namespaces and BPF";
    if (!lab::run({"which", "nft"}).ok())
      GTEST_SKIP() << "needs nft";
    lab_ = std::make_unique<RouterLab>();
    lab::check(lab_->rtr().sh("nft add table inet fw && nft add chain inet fw lab_forward "
                              "'{ type filter hook forward priority 0; policy accept; }' && "
                              "nft add rule inet fw lab_forward meta l4proto icmpv6 counter"),
               "nft forward rule");
  }

  uint64_t kernel_forwarded() {
    return lab_->rtr().counter("Ip6OutForwDatagrams") + lab_->rtr().counter("Ip.ForwDatagrams");
  }

  lab::Result ping() {
    return lab_->src().run({"ping", "-6", "-c", std::to_string(pings), "-i", "0.05", "-W", "2",
                            "-I", "fd00:98::1", "fd00:99::1"},
                           20s);
  }

  std::unique_ptr<RouterLab> lab_;
};

TEST_F(Firewall, ForwardRuleKeepsForwardingOnTheKernelPath) {
  lab_->start_daemon();
  uint64_t kernel_before = kernel_forwarded();
  auto disabled_before = lab_->maps().reason_counter(BPFR_PASS_DISABLED).packets;
  auto xdp_before = lab_->maps().reason_counter(BPFR_FORWARD_XDP).packets;

  auto r = ping();
  EXPECT_TRUE(r.ok()) << r.describe() << lab_->daemon_log();

  // Both directions through the kernel, where the rule counts them.
  EXPECT_GE(kernel_forwarded() - kernel_before, uint64_t(2 * pings));
  EXPECT_GE(lab_->maps().reason_counter(BPFR_PASS_DISABLED).packets - disabled_before,
            uint64_t(2 * pings));
  EXPECT_EQ(lab_->maps().reason_counter(BPFR_FORWARD_XDP).packets, xdp_before);
  auto rule = lab_->rtr().run({"nft", "list", "chain", "inet", "fw", "lab_forward"});
  EXPECT_EQ(rule.out.find("packets 0 "), std::string::npos) << rule.out;
  EXPECT_NE(lab_->daemon_log().find("forwarding stays on the kernel path"), std::string::npos)
      << lab_->daemon_log();
}

}  // namespace
}  // namespace bpfr::integration
