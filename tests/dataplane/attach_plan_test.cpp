// Default and configured choice of the devices the fast path attaches to.
#include "dataplane/attach_plan.h"

#include <gtest/gtest.h>

namespace bpfr::dp {
namespace {

using FPI = config::FastPathInterface;

Device eth(uint32_t ifindex, std::string name) {
  return Device{ifindex, std::move(name)};
}

std::vector<Device> host() {
  std::vector<Device> d = {eth(1, "lo"),     eth(2, "eth0"), eth(3, "eth1"),  eth(4, "wg0"),
                           eth(5, "dummy0"), eth(6, "br0"),  eth(7, "vethc1")};
  d[0].loopback = true;
  d[3].l3 = true;
  d[4].dummy = true;
  d[5].bridge = true;
  d[6].bridge_port = true;
  return d;
}

InterfaceLookup none() {
  return [](const std::string&) -> const FPI* { return nullptr; };
}

TEST(AttachPlan, DefaultXdpOnlyWhereNextHopsAreReached) {
  auto plan = plan_attachments(host(), none(), {2}, {});
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].name, "eth0");
  EXPECT_EQ(plan[0].hook, Attach::Hook::xdp);
  EXPECT_EQ(plan[0].mode, XdpMode::native);
  EXPECT_EQ(plan[0].settings.role, BPFR_ROLE_UPSTREAM);
}

TEST(AttachPlan, DefaultTcOnL3DeviceRoutesPointInto) {
  auto plan = plan_attachments(host(), none(), {}, {4});
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].name, "wg0");
  EXPECT_EQ(plan[0].hook, Attach::Hook::tc_l3);
  EXPECT_EQ(plan[0].settings.role, BPFR_ROLE_INTERNAL);
}

TEST(AttachPlan, NeverByDefaultOnLoopbackDummyBridgeOrBridgePort) {
  auto plan = plan_attachments(host(), none(), {1, 5, 6, 7}, {1, 5, 6, 7});
  EXPECT_TRUE(plan.empty());
}

TEST(AttachPlan, L3DeviceReachingANextHopStillGetsTcNotXdp) {
  auto plan = plan_attachments(host(), none(), {4}, {4});
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].hook, Attach::Hook::tc_l3);
}

TEST(AttachPlan, ConfiguredDeviceIsAttachedWithItsRoleAndMode) {
  FPI lan;
  lan.glob = "eth1";
  lan.role = FPI::Role::internal;
  lan.mode = FPI::Mode::generic;
  lan.urpf = FPI::Urpf::strict;
  auto plan = plan_attachments(
      host(), [&](const std::string& n) { return n == "eth1" ? &lan : nullptr; }, {}, {});
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].name, "eth1");
  EXPECT_EQ(plan[0].mode, XdpMode::generic);
  EXPECT_EQ(plan[0].settings.role, BPFR_ROLE_INTERNAL);
  EXPECT_EQ(plan[0].settings.urpf, BPFR_URPF_STRICT);
  EXPECT_EQ(plan[0].settings.flags, 0);
}

TEST(AttachPlan, ConfiguredModeOffKeepsAnUpstreamOff) {
  FPI off;
  off.mode = FPI::Mode::off;
  auto plan = plan_attachments(
      host(), [&](const std::string& n) { return n == "eth0" ? &off : nullptr; }, {2}, {});
  EXPECT_TRUE(plan.empty());
}

TEST(AttachPlan, ConfiguredBridgeIsAttached) {
  FPI br;
  auto plan = plan_attachments(
      host(), [&](const std::string& n) { return n == "br0" ? &br : nullptr; }, {}, {});
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].name, "br0");
  EXPECT_EQ(plan[0].hook, Attach::Hook::xdp);
}

}  // namespace
}  // namespace bpfr::dp
