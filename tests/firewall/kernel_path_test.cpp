// With a forward rule in the router's nftables, what the rule concerns stays on the kernel
// path: a rule that could match any packet keeps all forwarding there (PASS_DISABLED); a rule
// naming a destination prefix keeps only that traffic (PASS_FIREWALL), the rest stays fast;
// `firewall ignore` in the block bypasses a chain.
#include <fmt/format.h>
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
                              "'{ type filter hook forward priority 0; policy accept; }'"),
               "nft forward chain");
  }

  void add_rule(const std::string& rule) {
    lab::check(lab_->rtr().sh("nft add rule inet fw lab_forward " + rule), "nft rule " + rule);
  }

  uint64_t kernel_forwarded() {
    return lab_->rtr().counter("Ip6OutForwDatagrams") + lab_->rtr().counter("Ip.ForwDatagrams");
  }

  lab::Result ping(const char* family = "-6", const char* from = "fd00:98::1",
                   const char* to = "fd00:99::1") {
    return lab_->src().run(
        {"ping", family, "-c", std::to_string(pings), "-i", "0.05", "-W", "2", "-I", from, to},
        20s);
  }

  std::unique_ptr<RouterLab> lab_;
};

TEST_F(Firewall, ForwardRuleKeepsForwardingOnTheKernelPath) {
  add_rule("meta l4proto icmpv6 counter");
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

TEST_F(Firewall, PrefixRuleKeepsOnlyItsTrafficOnTheKernelPath) {
  add_rule("ip daddr 10.99.0.0/24 counter");
  lab_->start_daemon();
  const auto& m = lab_->maps();
  uint64_t forw4_before = lab_->rtr().counter("Ip.ForwDatagrams");
  uint64_t forw6_before = lab_->rtr().counter("Ip6OutForwDatagrams");
  auto firewall_before = m.reason_counter(BPFR_PASS_FIREWALL).packets;
  auto xdp_before = m.reason_counter(BPFR_FORWARD_XDP).packets;

  auto r4 = ping("-4", "10.98.0.1", "10.99.0.1");
  EXPECT_TRUE(r4.ok()) << r4.describe() << lab_->daemon_log();
  auto r6 = ping();
  EXPECT_TRUE(r6.ok()) << r6.describe() << lab_->daemon_log();

  // Requests to 10.99.0.0/24 through the kernel, where the rule counts them; their replies and
  // all of IPv6 on the fast path.
  EXPECT_EQ(lab_->rtr().counter("Ip.ForwDatagrams") - forw4_before, uint64_t(pings));
  EXPECT_EQ(lab_->rtr().counter("Ip6OutForwDatagrams"), forw6_before);
  EXPECT_EQ(m.reason_counter(BPFR_PASS_FIREWALL).packets - firewall_before, uint64_t(pings));
  EXPECT_EQ(m.reason_counter(BPFR_FORWARD_XDP).packets - xdp_before, uint64_t(3 * pings));
  EXPECT_EQ(m.reason_counter(BPFR_PASS_DISABLED).packets, 0u);
  auto rule = lab_->rtr().run({"nft", "list", "chain", "inet", "fw", "lab_forward"});
  EXPECT_NE(rule.out.find(fmt::format("packets {} ", pings)), std::string::npos) << rule.out;
  EXPECT_NE(lab_->daemon_log().find("keeps destination 10.99.0.0/24 on the kernel path"),
            std::string::npos)
      << lab_->daemon_log();
}

TEST_F(Firewall, TheBlockCanIgnoreAChainAndKeepTheFastPath) {
  add_rule("meta l4proto icmpv6 counter");
  lab_->write_config({.block = "  firewall ignore \"inet fw lab_forward\";\n"});
  lab_->start_daemon();
  uint64_t kernel_before = kernel_forwarded();
  auto xdp_before = lab_->maps().reason_counter(BPFR_FORWARD_XDP).packets;

  auto r = ping();
  EXPECT_TRUE(r.ok()) << r.describe() << lab_->daemon_log();

  EXPECT_EQ(kernel_forwarded(), kernel_before);
  EXPECT_EQ(lab_->maps().reason_counter(BPFR_FORWARD_XDP).packets - xdp_before,
            uint64_t(2 * pings));
  EXPECT_EQ(lab_->maps().reason_counter(BPFR_PASS_DISABLED).packets, 0u);
  EXPECT_NE(lab_->daemon_log().find("is bypassed by the fast path (ignored in the bpfrouter "
                                    "block)"),
            std::string::npos)
      << lab_->daemon_log();
}

}  // namespace
}  // namespace bpfr::integration
