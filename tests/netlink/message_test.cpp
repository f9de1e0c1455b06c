// rtnetlink requests compared byte for byte, and kernel messages built as bytes and parsed.
// Expected bytes are written from the layouts in <linux/netlink.h> and <linux/rtnetlink.h>
// (x86_64, little endian); each line is one header or attribute.
#include "netlink/message.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/if.h>
#include <linux/if_arp.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include <cstring>
#include <string>

namespace bpfr::netlink {
namespace {

Bytes hex(std::string_view text) {
  Bytes out;
  std::string digits;
  for (char c : text)
    if (std::isxdigit(static_cast<unsigned char>(c)))
      digits += c;
  for (size_t i = 0; i + 1 < digits.size(); i += 2)
    out.push_back(uint8_t(std::stoi(digits.substr(i, 2), nullptr, 16)));
  return out;
}

Address addr(const char* text) {
  return *Address::parse(text);
}
Prefix pfx(const char* text) {
  return *Prefix::parse(text);
}

// A kernel message assembled in the test, independent of the code under test.
class MessageBuilder {
 public:
  MessageBuilder(uint16_t type, const void* header, size_t len) {
    bytes_.resize(16);
    put_raw(header, len);
    pad();
    type_ = type;
  }
  MessageBuilder& attr(uint16_t type, const void* data, size_t len) {
    uint16_t alen = uint16_t(4 + len);
    put_raw(&alen, 2);
    put_raw(&type, 2);
    put_raw(data, len);
    pad();
    return *this;
  }
  MessageBuilder& attr_str(uint16_t type, const std::string& s) {
    return attr(type, s.c_str(), s.size() + 1);
  }
  MessageBuilder& attr_u32(uint16_t type, uint32_t v) { return attr(type, &v, 4); }
  // A nested attribute holding the attributes added inside f.
  template <typename F>
  MessageBuilder& nest(uint16_t type, F&& f) {
    size_t start = bytes_.size();
    uint16_t zero = 0;
    put_raw(&zero, 2);
    put_raw(&type, 2);
    f(*this);
    pad();
    uint16_t len = uint16_t(bytes_.size() - start);
    std::memcpy(&bytes_[start], &len, 2);
    return *this;
  }
  Bytes done() const {
    Bytes out = bytes_;
    nlmsghdr h{uint32_t(out.size()), type_, 0, 1, 0};
    std::memcpy(out.data(), &h, sizeof h);
    return out;
  }

 private:
  void put_raw(const void* p, size_t len) {
    auto* b = static_cast<const uint8_t*>(p);
    bytes_.insert(bytes_.end(), b, b + len);
  }
  void pad() {
    while (bytes_.size() % 4)
      bytes_.push_back(0);
  }
  Bytes bytes_;
  uint16_t type_ = 0;
};

// --- Requests ---------------------------------------------------------------------------------

struct RequestRow {
  const char* name;
  RouteOp op;
  KernelRoute route;
  uint32_t seq;
  const char* expected;
};

KernelRoute route_v6_via_gateway() {
  KernelRoute r;
  r.prefix = pfx("2001:db8:1::/48");
  r.table = 254;
  r.protocol = rtprot_bpfrouter;
  r.type = RTN_UNICAST;
  r.priority = 32;
  r.nexthops.push_back({addr("2001:db8::1"), 3});
  return r;
}

KernelRoute route_v4_remove() {
  KernelRoute r;
  r.prefix = pfx("192.0.2.0/24");
  r.table = 100;
  r.protocol = rtprot_bpfrouter;
  r.priority = 32;
  r.nexthops.push_back({addr("10.0.0.1"), 2});  // a delete names the key only
  return r;
}

KernelRoute route_v4_multipath() {
  KernelRoute r;
  r.prefix = pfx("198.51.100.0/24");
  r.protocol = rtprot_bpfrouter;
  r.nexthops.push_back({addr("10.0.0.1"), 2, 1});
  r.nexthops.push_back({addr("10.0.1.1"), 3, 2});
  return r;
}

KernelRoute route_v4_blackhole_big_table() {
  KernelRoute r;
  r.prefix = pfx("0.0.0.0/0");
  r.table = 1000;
  r.protocol = rtprot_bpfrouter;
  r.type = RTN_BLACKHOLE;
  return r;
}

class RouteRequest : public testing::TestWithParam<RequestRow> {};

TEST_P(RouteRequest, BytesMatch) {
  const auto& row = GetParam();
  EXPECT_EQ(build_route(row.op, row.route, row.seq), hex(row.expected));
}

INSTANTIATE_TEST_SUITE_P(
    Rows, RouteRequest,
    testing::Values(
        RequestRow{
            "ReplaceIpv6ViaGatewayCarriesTableProtoMetricGatewayOif", RouteOp::replace,
            route_v6_via_gateway(), 7,
            "5c000000 1800 0505 07000000 00000000"  // nlmsghdr: NEWROUTE, REQ|ACK|CREATE|REPLACE
            "0a 30 00 00 fe 0c 00 01 00000000"      // rtmsg: inet6 /48 main bird universe unicast
            "0800 0f00 fe000000"                    // RTA_TABLE 254
            "1400 0100 20010db8000100000000000000000000"  // RTA_DST
            "0800 0600 20000000"                          // RTA_PRIORITY 32
            "1400 0500 20010db8000000000000000000000001"  // RTA_GATEWAY
            "0800 0400 03000000"},                        // RTA_OIF 3
        RequestRow{"RemoveNamesOnlyTheKeyWithAnyScopeAndType", RouteOp::remove, route_v4_remove(),
                   9,
                   "34000000 1900 0500 09000000 00000000"  // DELROUTE, REQ|ACK
                   "02 18 00 00 64 0c ff 00 00000000"      // inet /24 table 100, scope nowhere
                   "0800 0f00 64000000"                    // RTA_TABLE 100
                   "0800 0100 c0000200"                    // RTA_DST 192.0.2.0
                   "0800 0600 20000000"},                  // RTA_PRIORITY 32
        RequestRow{"AddMultipathPutsRtnexthopsWithWeightMinusOne", RouteOp::add,
                   route_v4_multipath(), 1,
                   "50000000 1800 0506 01000000 00000000"  // NEWROUTE, REQ|ACK|CREATE|EXCL
                   "02 18 00 00 fe 0c 00 01 00000000"
                   "0800 0f00 fe000000"
                   "0800 0100 c6336400"                        // RTA_DST 198.51.100.0
                   "2400 0900"                                 // RTA_MULTIPATH, 36 bytes
                   "1000 00 00 02000000 0800 0500 0a000001"    // weight 1 via 10.0.0.1 if 2
                   "1000 00 01 03000000 0800 0500 0a000101"},  // weight 2 via 10.0.1.1 if 3
        RequestRow{"TableAbove255GoesOnlyInRtaTableAndDefaultHasNoDst", RouteOp::replace,
                   route_v4_blackhole_big_table(), 2,
                   "24000000 1800 0505 02000000 00000000"
                   "02 00 00 00 00 0c 00 06 00000000"  // table unspec in rtmsg, blackhole
                   "0800 0f00 e8030000"}),             // RTA_TABLE 1000
    [](const auto& row) { return std::string(row.param.name); });

TEST(NeighbourProbe, IsNewNeighWithNtfUseAndNudNone) {
  EXPECT_EQ(build_neighbour_probe(2, addr("10.0.0.2"), 3),
            hex("24000000 1c00 0505 03000000 00000000"  // NEWNEIGH, REQ|ACK|CREATE|REPLACE
                "02 00 0000 02000000 0000 01 00"        // ndmsg: inet, ifindex 2, NUD_NONE, NTF_USE
                "0800 0100 0a000002"));                 // NDA_DST
}

TEST(NeighbourProbe, Ipv6CarriesSixteenByteDestination) {
  Bytes b = build_neighbour_probe(4, addr("fe80::1"), 1);
  ASSERT_EQ(b.size(), 48u);
  EXPECT_EQ(b[16], AF_INET6);
  EXPECT_EQ(Bytes(b.begin() + 28, b.end()), hex("1400 0100 fe800000000000000000000000000001"));
}

TEST(Dump, RouteDumpAsksForEveryFamily) {
  EXPECT_EQ(build_dump(RTM_GETROUTE, AF_UNSPEC, 5),
            hex("1c000000 1a00 0103 05000000 00000000 00000000 00000000 00000000"));
}

// --- Round trips: what we build parses back to the same route ----------------------------------

TEST(RouteRoundTrip, BuiltRoutesParseBackEqual) {
  for (auto r : {route_v6_via_gateway(), route_v4_multipath(), route_v4_blackhole_big_table()}) {
    auto parsed = parse_route(build_route(RouteOp::replace, r, 1));
    ASSERT_TRUE(parsed) << r.prefix;
    EXPECT_EQ(*parsed, r) << r.prefix;
  }
}

// --- Links -------------------------------------------------------------------------------------

ifinfomsg ifinfo(int index, uint16_t type, unsigned flags) {
  ifinfomsg i{};
  i.ifi_family = AF_UNSPEC;
  i.ifi_type = type;
  i.ifi_index = index;
  i.ifi_flags = flags;
  return i;
}

TEST(LinkParse, WireguardIsAnL3DeviceWithoutMac) {
  auto hdr = ifinfo(5, ARPHRD_NONE, IFF_UP | IFF_RUNNING | IFF_NOARP | IFF_POINTOPOINT);
  Bytes msg = MessageBuilder(RTM_NEWLINK, &hdr, sizeof hdr)
                  .attr_str(IFLA_IFNAME, "wg0")
                  .attr_u32(IFLA_MTU, 1420)
                  .nest(IFLA_LINKINFO, [](auto& b) { b.attr_str(IFLA_INFO_KIND, "wireguard"); })
                  .done();
  auto link = parse_link(msg);
  ASSERT_TRUE(link);
  EXPECT_EQ(link->ifindex, 5u);
  EXPECT_EQ(link->name, "wg0");
  EXPECT_EQ(link->mtu, 1420u);
  EXPECT_EQ(link->kind, LinkKind::wireguard);
  EXPECT_EQ(link->kind_name, "wireguard");
  EXPECT_FALSE(link->mac);
  EXPECT_TRUE(link->l3());
  EXPECT_TRUE(link->up());
  EXPECT_TRUE(link->running());
}

TEST(LinkParse, DummyIsEthernetWithMacAndKindDummy) {
  auto hdr = ifinfo(7, ARPHRD_ETHER, IFF_UP | IFF_NOARP);
  uint8_t mac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
  uint8_t unknown[3] = {1, 2, 3};
  Bytes msg = MessageBuilder(RTM_NEWLINK, &hdr, sizeof hdr)
                  .attr_str(IFLA_IFNAME, "dummy0")
                  .attr(0x7777, unknown, sizeof unknown)  // unknown attribute, skipped
                  .attr(IFLA_ADDRESS, mac, sizeof mac)
                  .attr_u32(IFLA_MTU, 1500)
                  .nest(IFLA_LINKINFO,
                        [](auto& b) {
                          b.attr_str(IFLA_INFO_KIND, "dummy");
                          b.attr_u32(0x55, 9);  // unknown inside the nest
                        })
                  .done();
  auto link = parse_link(msg);
  ASSERT_TRUE(link);
  EXPECT_EQ(link->name, "dummy0");
  EXPECT_EQ(link->kind, LinkKind::dummy);
  ASSERT_TRUE(link->mac);
  EXPECT_EQ(mac_str(*link->mac), "02:11:22:33:44:55");
  EXPECT_FALSE(link->l3());
  EXPECT_TRUE(link->up());
  EXPECT_FALSE(link->running());
}

TEST(LinkParse, PhysicalDeviceHasNoKind) {
  auto hdr = ifinfo(2, ARPHRD_ETHER, IFF_UP | IFF_RUNNING);
  uint8_t mac[6] = {0x52, 0x54, 0, 0, 0, 1};
  Bytes msg = MessageBuilder(RTM_NEWLINK, &hdr, sizeof hdr)
                  .attr_str(IFLA_IFNAME, "eth0")
                  .attr(IFLA_ADDRESS, mac, sizeof mac)
                  .done();
  auto link = parse_link(msg);
  ASSERT_TRUE(link);
  EXPECT_EQ(link->kind, LinkKind::none);
  EXPECT_FALSE(link->l3());
}

TEST(LinkParse, TruncatedAttributeStopsParsingWithoutCrash) {
  auto hdr = ifinfo(3, ARPHRD_ETHER, 0);
  Bytes msg = MessageBuilder(RTM_NEWLINK, &hdr, sizeof hdr).attr_str(IFLA_IFNAME, "x").done();
  msg[32] = 0xff;  // attribute length past the end
  auto link = parse_link(msg);
  ASSERT_TRUE(link);
  EXPECT_EQ(link->ifindex, 3u);
  EXPECT_EQ(link->name, "");
}

TEST(LinkParse, ShortMessageIsRefused) {
  auto hdr = ifinfo(3, ARPHRD_ETHER, 0);
  Bytes msg = MessageBuilder(RTM_NEWLINK, &hdr, sizeof hdr).done();
  msg.resize(20);
  EXPECT_FALSE(parse_link(msg));
}

// --- Addresses, neighbours, routes, ACKs -------------------------------------------------------

TEST(AddressParse, PointToPointPeerGivesTheConnectedNetwork) {
  ifaddrmsg h{AF_INET, 32, IFA_F_PERMANENT, RT_SCOPE_UNIVERSE, 4};
  uint8_t local[4] = {10, 0, 0, 1}, peer[4] = {10, 0, 0, 2};
  Bytes msg = MessageBuilder(RTM_NEWADDR, &h, sizeof h)
                  .attr(IFA_ADDRESS, peer, 4)
                  .attr(IFA_LOCAL, local, 4)
                  .done();
  auto a = parse_address(msg);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->address, addr("10.0.0.1"));
  EXPECT_EQ(a->peer, addr("10.0.0.2"));
  EXPECT_EQ(a->network(), pfx("10.0.0.2/32"));
}

TEST(AddressParse, Ipv6WithoutLocalUsesAddress) {
  ifaddrmsg h{AF_INET6, 64, 0, RT_SCOPE_UNIVERSE, 2};
  Address a6 = addr("2001:db8::5");
  Bytes msg = MessageBuilder(RTM_NEWADDR, &h, sizeof h)
                  .attr(IFA_ADDRESS, a6.bytes.data(), 16)
                  .attr_u32(IFA_FLAGS, IFA_F_TENTATIVE)
                  .done();
  auto a = parse_address(msg);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->address, a6);
  EXPECT_FALSE(a->peer);
  EXPECT_EQ(a->network(), pfx("2001:db8::/64"));
  EXPECT_TRUE(a->tentative());
}

TEST(NeighbourParse, ReachableWithMacIsUsable) {
  ndmsg h{};
  h.ndm_family = AF_INET;
  h.ndm_ifindex = 2;
  h.ndm_state = NUD_REACHABLE;
  uint8_t dst[4] = {10, 0, 0, 2}, mac[6] = {2, 0, 0, 0, 0, 9};
  Bytes msg = MessageBuilder(RTM_NEWNEIGH, &h, sizeof h)
                  .attr(NDA_DST, dst, 4)
                  .attr(NDA_LLADDR, mac, 6)
                  .done();
  auto n = parse_neighbour(msg);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->address, addr("10.0.0.2"));
  EXPECT_TRUE(n->usable());
  EXPECT_EQ(neigh_state_name(n->state), "REACHABLE");
}

TEST(NeighbourParse, IncompleteHasNoMacAndIsNotUsable) {
  ndmsg h{};
  h.ndm_family = AF_INET6;
  h.ndm_ifindex = 2;
  h.ndm_state = NUD_INCOMPLETE;
  Address dst = addr("2001:db8::9");
  Bytes msg = MessageBuilder(RTM_NEWNEIGH, &h, sizeof h).attr(NDA_DST, dst.bytes.data(), 16).done();
  auto n = parse_neighbour(msg);
  ASSERT_TRUE(n);
  EXPECT_FALSE(n->usable());
  EXPECT_TRUE(n->failed());
}

TEST(NeighbourParse, BridgeFdbEntryIsNotAnIpNeighbour) {
  ndmsg h{};
  h.ndm_family = AF_BRIDGE;
  uint8_t mac[6] = {2, 0, 0, 0, 0, 9};
  Bytes msg = MessageBuilder(RTM_NEWNEIGH, &h, sizeof h).attr(NDA_LLADDR, mac, 6).done();
  EXPECT_FALSE(parse_neighbour(msg));
}

TEST(RouteParse, Ipv4ViaIpv6GatewayUsesRtaVia) {
  rtmsg h{AF_INET, 0, 0, 0, RT_TABLE_MAIN, RTPROT_STATIC, RT_SCOPE_UNIVERSE, RTN_UNICAST, 0};
  uint8_t via[18] = {AF_INET6, 0, 0xfe, 0x80};
  via[17] = 1;
  Bytes msg = MessageBuilder(RTM_NEWROUTE, &h, sizeof h)
                  .attr(RTA_VIA, via, sizeof via)
                  .attr_u32(RTA_OIF, 2)
                  .done();
  auto r = parse_route(msg);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->prefix, pfx("0.0.0.0/0"));
  ASSERT_EQ(r->nexthops.size(), 1u);
  EXPECT_EQ(r->nexthops[0].gateway, addr("fe80::1"));
  EXPECT_EQ(r->nexthops[0].ifindex, 2u);
  EXPECT_EQ(r->table, 254u);
}

TEST(AckParse, ErrorCarriesSeqErrnoAndExtendedMessage) {
  // As the kernel sends it with NETLINK_CAP_ACK and NETLINK_EXT_ACK: the request's header only.
  struct {
    int error;
    nlmsghdr echoed;
  } body{-EEXIST, {64, RTM_NEWROUTE, NLM_F_REQUEST, 42, 0}};
  MessageBuilder b(NLMSG_ERROR, &body, sizeof body);
  b.attr_str(NLMSGERR_ATTR_MSG, "route exists");
  Bytes msg = b.done();
  auto* nlh = reinterpret_cast<nlmsghdr*>(msg.data());
  nlh->nlmsg_flags = NLM_F_CAPPED | NLM_F_ACK_TLVS;
  auto ack = parse_ack(msg);
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->seq, 42u);
  EXPECT_EQ(ack->error, -EEXIST);
  EXPECT_EQ(ack->message, "route exists");
}

TEST(SplitMessages, StopsAtATruncatedMessage) {
  auto hdr = ifinfo(1, ARPHRD_LOOPBACK, 0);
  Bytes one = MessageBuilder(RTM_NEWLINK, &hdr, sizeof hdr).attr_str(IFLA_IFNAME, "lo").done();
  Bytes two = one;
  Bytes datagram = one;
  datagram.insert(datagram.end(), two.begin(), two.end());
  datagram.resize(datagram.size() - 3);
  auto msgs = split_messages(datagram);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<LinkEvent>(parse_message(msgs[0])));
}

}  // namespace
}  // namespace bpfr::netlink
