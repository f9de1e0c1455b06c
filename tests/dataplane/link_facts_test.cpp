// Link messages as the kernel sends them (RTM_NEWLINK with IFLA_LINKINFO/IFLA_INFO_KIND) decide
// the kind of the next hops into the device; the bpfrouter block's `kind` overrides the device.
#include "dataplane/link_facts.h"

#include <gtest/gtest.h>
#include <linux/if.h>
#include <linux/if_arp.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include <cstring>
#include <string>
#include <vector>

#include "netlink/message.h"

namespace bpfr::dp {
namespace {

using Bytes = std::vector<uint8_t>;

void put_attr(Bytes& b, uint16_t type, const void* data, size_t len) {
  rtattr a{};
  a.rta_len = uint16_t(RTA_LENGTH(len));
  a.rta_type = type;
  size_t at = b.size();
  b.resize(at + RTA_SPACE(len), 0);
  std::memcpy(b.data() + at, &a, sizeof a);
  std::memcpy(b.data() + at + RTA_LENGTH(0), data, len);
}

// RTM_NEWLINK for an up device: name, MTU 1420, a MAC unless `l3`, and IFLA_INFO_KIND `kind`.
Bytes newlink(int ifindex, const std::string& name, const std::string& kind, bool l3) {
  ifinfomsg info{};
  info.ifi_family = AF_UNSPEC;
  info.ifi_index = ifindex;
  info.ifi_type = l3 ? ARPHRD_NONE : ARPHRD_ETHER;
  info.ifi_flags = IFF_UP | IFF_RUNNING | (l3 ? IFF_POINTOPOINT | IFF_NOARP : 0);

  Bytes body(NLMSG_ALIGN(sizeof info), 0);
  std::memcpy(body.data(), &info, sizeof info);
  put_attr(body, IFLA_IFNAME, name.c_str(), name.size() + 1);
  uint32_t mtu = 1420;
  put_attr(body, IFLA_MTU, &mtu, sizeof mtu);
  if (!l3) {
    uint8_t mac[6] = {0x02, 0, 0, 0, 0, uint8_t(ifindex)};
    put_attr(body, IFLA_ADDRESS, mac, sizeof mac);
  }
  Bytes nest;
  put_attr(nest, IFLA_INFO_KIND, kind.c_str(), kind.size() + 1);
  put_attr(body, IFLA_LINKINFO, nest.data(), nest.size());

  nlmsghdr h{};
  h.nlmsg_len = uint32_t(NLMSG_HDRLEN + body.size());
  h.nlmsg_type = RTM_NEWLINK;
  Bytes msg(NLMSG_HDRLEN + body.size(), 0);
  std::memcpy(msg.data(), &h, sizeof h);
  std::memcpy(msg.data() + NLMSG_HDRLEN, body.data(), body.size());
  return msg;
}

// The kind of the next hop of a route `via "DEV"` once the table knows the link.
bpfr_nexthop_kind next_hop_kind(const LinkFacts& link) {
  NextHopTable table;
  table.set_link(link);
  uint32_t id = table.acquire({Address(), link.ifindex});
  EXPECT_NE(id, 0u);
  auto f = table.facts(id);
  EXPECT_TRUE(f.valid);
  return f.kind;
}

LinkFacts parsed(const Bytes& msg, const config::FastPathInterface* configured = nullptr) {
  auto link = netlink::parse_link(msg);
  EXPECT_TRUE(link);
  return link ? link_facts(*link, configured) : LinkFacts{};
}

TEST(LinkFacts, KindDummyGivesBlackholeNextHopsDroppedInXdp) {
  auto f = parsed(newlink(5, "dummy0", "dummy", false));
  EXPECT_TRUE(f.dummy);
  EXPECT_EQ(f.name, "dummy0");
  EXPECT_EQ(next_hop_kind(f), BPFR_NH_DUMMY);
}

TEST(LinkFacts, DeviceWithoutMacGivesL3NextHopsForwardedThroughTc) {
  auto f = parsed(newlink(6, "wg0", "tun", true));
  EXPECT_FALSE(f.has_mac);
  EXPECT_FALSE(f.dummy);
  EXPECT_EQ(f.mtu, 1420);
  EXPECT_EQ(next_hop_kind(f), BPFR_NH_L3);
}

TEST(LinkFacts, VethGivesEthernetNextHops) {
  auto f = parsed(newlink(7, "eth0", "veth", false));
  EXPECT_TRUE(f.has_mac);
  EXPECT_FALSE(f.dummy);
  EXPECT_EQ(next_hop_kind(f), BPFR_NH_ETHERNET);
}

TEST(LinkFacts, BlockDeclaresAStandInAsDummy) {
  config::FastPathInterface c;
  c.glob = "dum0";
  c.kind = config::FastPathInterface::Kind::dummy;
  auto f = parsed(newlink(8, "dum0", "veth", false), &c);
  EXPECT_TRUE(f.dummy);
  EXPECT_EQ(next_hop_kind(f), BPFR_NH_DUMMY);
}

TEST(LinkFacts, BlockKindEthernetOverridesAKernelDummy) {
  config::FastPathInterface c;
  c.kind = config::FastPathInterface::Kind::ethernet;
  auto f = parsed(newlink(9, "dummy1", "dummy", false), &c);
  EXPECT_FALSE(f.dummy);
}

TEST(LinkFacts, BlockKindL3DropsTheMac) {
  config::FastPathInterface c;
  c.kind = config::FastPathInterface::Kind::l3;
  auto f = parsed(newlink(10, "gre1", "veth", false), &c);
  EXPECT_FALSE(f.has_mac);
  EXPECT_EQ(next_hop_kind(f), BPFR_NH_L3);
}

}  // namespace
}  // namespace bpfr::dp
