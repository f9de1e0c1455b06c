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

Address addr(const char* text) {
  return *Address::parse(text);
}

PathRoute connected(const char* network, uint32_t ifindex) {
  return {*Prefix::parse(network), std::nullopt, ifindex};
}

PathRoute via(const char* prefix, const char* gateway, uint32_t ifindex = 0) {
  return {*Prefix::parse(prefix), addr(gateway), ifindex};
}

// The guide's upstream: the provider's BGP speaker is not on the link but one kernel route away
// (multihop 2), the link's network is connected on eth0, wg-quick's route points into wg0.
std::vector<PathRoute> guide_routes() {
  return {connected("fd00:255:2::/64", 2),       connected("10.255.2.0/30", 2),
          connected("10.255.3.0/30", 3),         via("fd00:64:515::1/128", "fd00:255:2::1", 2),
          via("10.64.51.1/32", "10.255.2.1", 2), connected("2001:db8:1234:a:1::/80", 4)};
}

TEST(AttachPlan, MultihopNeighbourIsReachedThroughTheKernelRouteToIt) {
  EXPECT_EQ(egress_device(addr("fd00:64:515::1"), guide_routes()), 2u);
  EXPECT_EQ(egress_device(addr("10.64.51.1"), guide_routes()), 2u);
}

TEST(AttachPlan, NeighbourOnAConnectedNetworkIsReachedThroughItsDevice) {
  EXPECT_EQ(egress_device(addr("fd00:255:2::1"), guide_routes()), 2u);
  EXPECT_EQ(egress_device(addr("10.255.3.2"), guide_routes()), 3u);
}

TEST(AttachPlan, GatewaysWithoutADeviceAreFollowedRecursively) {
  auto routes = guide_routes();
  routes.push_back(via("10.64.0.0/16", "10.64.51.1"));  // resolves through the /32 above
  routes.push_back(via("192.0.2.0/24", "10.64.7.7"));   // through the /16, then the /32
  EXPECT_EQ(egress_device(addr("192.0.2.9"), routes), 2u);
}

TEST(AttachPlan, LongestMatchWinsOverADefaultRoute) {
  auto routes = guide_routes();
  routes.push_back(via("::/0", "fe80::1", 3));
  EXPECT_EQ(egress_device(addr("fd00:64:515::1"), routes), 2u);
  EXPECT_EQ(egress_device(addr("2001:db8::1"), routes), 3u);
}

TEST(AttachPlan, UnreachableOrLoopingNeighbourHasNoDevice) {
  auto routes = guide_routes();
  EXPECT_EQ(egress_device(addr("198.51.100.1"), routes), 0u);
  routes.push_back(via("203.0.113.0/25", "203.0.113.129"));
  routes.push_back(via("203.0.113.128/25", "203.0.113.1"));
  EXPECT_EQ(egress_device(addr("203.0.113.5"), routes), 0u);
  routes.push_back(via("198.18.0.0/15", "198.18.0.1"));  // a route through itself
  EXPECT_EQ(egress_device(addr("198.18.0.1"), routes), 0u);
}

TEST(AttachPlan, FamiliesDoNotMix) {
  std::vector<PathRoute> routes = {connected("0.0.0.0/0", 2)};
  EXPECT_EQ(egress_device(addr("2001:db8::1"), routes), 0u);
}

// The guide's router end to end: the multihop upstream gets XDP as an upstream, wg0 (routes
// point into it) gets tc, the client's link and the dummy stand-in get nothing.
TEST(AttachPlan, GuideRouterGetsXdpOnItsUpstreamAndTcOnWg0) {
  std::vector<Device> devices = {eth(1, "lo"), eth(2, "eth0"), eth(3, "eth1"), eth(4, "wg0"),
                                 eth(5, "dummy0")};
  devices[0].loopback = true;
  devices[3].l3 = true;
  auto routes = guide_routes();
  std::set<uint32_t> next_hops = {egress_device(addr("fd00:64:515::1"), routes),
                                  egress_device(addr("10.64.51.1"), routes)};
  auto plan = plan_attachments(devices, none(), next_hops, {4, 5});
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].name, "eth0");
  EXPECT_EQ(plan[0].hook, Attach::Hook::xdp);
  EXPECT_EQ(plan[0].settings.role, BPFR_ROLE_UPSTREAM);
  EXPECT_EQ(plan[1].name, "wg0");
  EXPECT_EQ(plan[1].hook, Attach::Hook::tc_l3);
  EXPECT_EQ(plan[1].settings.role, BPFR_ROLE_INTERNAL);
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
