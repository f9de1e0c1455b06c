// BPF_PROG_TEST_RUN rows for the router programs: {packet in, map setup, verdict, reason,
// packet out}. Every row also checks the counters: exactly one reason, the route's slot,
// the arrival device's rx and pass/drop, and that a hand-off leaves the frame unchanged.
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#include <functional>
#include <random>
#include <string>
#include <vector>

#include "bpf/packet.h"
#include "bpf/router_fixture.h"

namespace bpfr::test {
namespace {

constexpr uint32_t kRow = 3;         // lo's row in iface_stats
constexpr uint32_t kOtherIf = 4242;  // a device that only exists in nexthops
constexpr uint32_t kNhEth = 1;
constexpr uint32_t kNhL3 = 2;
constexpr uint32_t kNhOther = 3;
constexpr uint32_t kSlotV6 = 10;
constexpr uint32_t kSlotV4 = 11;
constexpr uint32_t kSlotRow = 12;  // the slot a row's own route uses
constexpr uint32_t kNoSlot = ~0u;

const Mac kGwMac{0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
const Mac kOurMac{0x02, 0x66, 0x77, 0x88, 0x99, 0x00};

bpfr_nexthop eth_nexthop(uint32_t ifindex, uint16_t vlan = 0) {
  bpfr_nexthop nh{};
  nh.ifindex = ifindex;
  nh.mtu = 1500;
  nh.kind = BPFR_NH_ETHERNET;
  nh.flags = BPFR_NH_F_VALID | BPFR_NH_F_MAC;
  std::copy(kGwMac.begin(), kGwMac.end(), nh.dmac);
  std::copy(kOurMac.begin(), kOurMac.end(), nh.smac);
  nh.vlan_id = vlan;
  return nh;
}

bpfr_route_value route(uint32_t nexthop, uint32_t slot, uint8_t action = BPFR_ROUTE_FORWARD,
                       uint8_t flags = 0) {
  return bpfr_route_value{nexthop, slot, action, flags, 0};
}

bpfr_settings enabled_settings() {
  bpfr_settings s{};
  s.enabled = 1;
  return s;
}

// Settings whose heartbeat is `age_s` seconds old on CLOCK_MONOTONIC, the clock of
// bpf_ktime_get_coarse_ns(), with `stale_after_s`.
bpfr_settings heartbeat_aged(uint32_t stale_after_s, uint32_t age_s) {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  auto s = enabled_settings();
  s.stale_after_s = stale_after_s;
  s.heartbeat_ns = uint64_t(ts.tv_sec - age_s) * 1000000000ull + uint64_t(ts.tv_nsec);
  return s;
}

bpfr_iface upstream(uint8_t urpf = BPFR_URPF_OFF) {
  return bpfr_iface{kRow, BPFR_ROLE_UPSTREAM, urpf, BPFR_IFACE_F_BOGON_SRC | BPFR_IFACE_F_SPOOF_OWN,
                    0};
}

// The baseline every row starts from: lo is an upstream with the default source filters;
// 2001:db8:2::/48 and 198.51.100.0/24 leave through an Ethernet next hop on lo; we own
// 2001:db8:1234::/48 and 203.0.113.0/24.
void baseline(RouterProgs& r) {
  r.set_settings(enabled_settings());
  r.set_iface(kLo, upstream());
  r.set_nexthop(kNhEth, eth_nexthop(kLo));
  bpfr_nexthop l3{};
  l3.ifindex = kLo;
  l3.mtu = 1420;
  l3.kind = BPFR_NH_L3;
  l3.flags = BPFR_NH_F_VALID;
  r.set_nexthop(kNhL3, l3);
  r.set_nexthop(kNhOther, eth_nexthop(kOtherIf));
  r.set_tx_port(kLo);
  r.set_route("2001:db8:2::/48", route(kNhEth, kSlotV6));
  r.set_route("198.51.100.0/24", route(kNhEth, kSlotV4));
  r.set_own("2001:db8:1234::/48");
  r.set_own("203.0.113.0/24");
}

const std::string kSrc6 = "2001:db8:9::1";
const std::string kDst6 = "2001:db8:2::1";
const std::string kSrc4 = "192.0.2.1";
const std::string kDst4 = "198.51.100.7";

Bytes v6(const std::string& src = kSrc6, const std::string& dst = kDst6, uint8_t hop = 64,
         L2 l2 = {}) {
  return frame(l2, Ipv6{src, dst, hop});
}

Bytes v4(const std::string& src = kSrc4, const std::string& dst = kDst4, uint8_t ttl = 64,
         L2 l2 = {}) {
  return frame(l2, Ipv4{src, dst, ttl});
}

L2 out_l2(std::optional<uint16_t> vlan = std::nullopt) {
  L2 l2;
  l2.dst = kGwMac;
  l2.src = kOurMac;
  l2.vlan = vlan;
  return l2;
}

L2 tagged(uint16_t vlan, uint16_t type = kEthVlan) {
  L2 l2;
  l2.vlan = vlan;
  l2.tag_type = type;
  return l2;
}

struct Row {
  std::string name;
  std::function<void(RouterProgs&)> setup;
  Bytes in;
  uint32_t verdict;
  uint32_t reason;
  uint32_t slot = kNoSlot;
  std::optional<Bytes> out;  // unset: the frame must leave unchanged
};

void no_setup(RouterProgs&) {}

std::vector<Row> xdp_rows() {
  Bytes nd_ns = frame(L2{}, Ipv6{kSrc6, kDst6, 255, 58, Bytes{135, 0, 0, 0, 0, 0, 0, 0}});
  Bytes hbh = frame(L2{}, Ipv6{kSrc6, kDst6, 64, 0, Bytes(16, 0)});
  Bytes opts = frame(L2{}, Ipv4{kSrc4, kDst4, 64, 17, Bytes{1, 1, 1, 0}});
  Bytes arp = ethernet(L2{}, kEthArp, Bytes(28, 0));
  Bytes big6 = frame(L2{}, Ipv6{kSrc6, kDst6, 64, 17, Bytes(1461, 0)});  // 1501 bytes of IP
  Bytes qinq = ethernet(tagged(10, kEthQinQ), kEthVlan, Bytes{0, 20, 0x86, 0xdd});
  auto set_nh = [](bpfr_nexthop nh) { return [nh](RouterProgs& r) { r.set_nexthop(kNhEth, nh); }; };
  auto set_route6 = [](bpfr_route_value v) {
    return [v](RouterProgs& r) { r.set_route("2001:db8:2:1::/64", v); };
  };
  auto with_iface = [](bpfr_iface i) { return [i](RouterProgs& r) { r.set_iface(kLo, i); }; };
  auto nh_no_mac = eth_nexthop(kLo);
  nh_no_mac.flags = BPFR_NH_F_VALID;
  auto nh_invalid = eth_nexthop(kLo);
  nh_invalid.flags = 0;
  auto nh_dummy = eth_nexthop(kLo);
  nh_dummy.kind = BPFR_NH_DUMMY;
  const std::string in_row = "2001:db8:2:1::9";

  return {
      // Forwarding.
      {"ipv6_forwarded_with_next_hop_macs_and_hop_limit_minus_one", no_setup, v6(), XDP_REDIRECT,
       BPFR_FORWARD_XDP, kSlotV6, v6(kSrc6, kDst6, 63, out_l2())},
      {"ipv4_forwarded_with_ttl_minus_one_and_checksum_from_scratch", no_setup, v4(), XDP_REDIRECT,
       BPFR_FORWARD_XDP, kSlotV4, v4(kSrc4, kDst4, 63, out_l2())},
      {"hop_limit_2_is_forwarded_with_1", no_setup, v6(kSrc6, kDst6, 2), XDP_REDIRECT,
       BPFR_FORWARD_XDP, kSlotV6, v6(kSrc6, kDst6, 1, out_l2())},
      {"vlan_tagged_ipv6_leaves_untagged_to_untagged_next_hop", no_setup,
       v6(kSrc6, kDst6, 64, tagged(100)), XDP_REDIRECT, BPFR_FORWARD_XDP, kSlotV6,
       v6(kSrc6, kDst6, 63, out_l2())},
      {"vlan_tagged_ipv4_leaves_untagged_to_untagged_next_hop", no_setup,
       v4(kSrc4, kDst4, 64, tagged(100)), XDP_REDIRECT, BPFR_FORWARD_XDP, kSlotV4,
       v4(kSrc4, kDst4, 63, out_l2())},
      {"qinq_outer_tag_is_parsed_like_8021q", no_setup, v6(kSrc6, kDst6, 64, tagged(7, kEthQinQ)),
       XDP_REDIRECT, BPFR_FORWARD_XDP, kSlotV6, v6(kSrc6, kDst6, 63, out_l2())},
      {"untagged_frame_gets_the_next_hops_vlan_tag", set_nh(eth_nexthop(kLo, 200)), v6(),
       XDP_REDIRECT, BPFR_FORWARD_XDP, kSlotV6, v6(kSrc6, kDst6, 63, out_l2(200))},
      {"tagged_frame_is_retagged_with_the_next_hops_vlan", set_nh(eth_nexthop(kLo, 200)),
       v4(kSrc4, kDst4, 64, tagged(100)), XDP_REDIRECT, BPFR_FORWARD_XDP, kSlotV4,
       v4(kSrc4, kDst4, 63, out_l2(200))},
      {"longest_prefix_wins", set_route6(route(kNhEth, kSlotRow)), v6(kSrc6, in_row), XDP_REDIRECT,
       BPFR_FORWARD_XDP, kSlotRow, v6(kSrc6, in_row, 63, out_l2())},
      {"learned_route_is_forwarded_while_heartbeat_is_fresh",
       [](RouterProgs& r) {
         timespec ts{};
         clock_gettime(CLOCK_MONOTONIC, &ts);
         auto s = enabled_settings();
         s.stale_after_s = 60;
         s.heartbeat_ns = uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
         r.set_settings(s);
         r.set_route("2001:db8:2:1::/64",
                     route(kNhEth, kSlotRow, BPFR_ROUTE_FORWARD, BPFR_ROUTE_F_LEARNED));
       },
       v6(kSrc6, in_row), XDP_REDIRECT, BPFR_FORWARD_XDP, kSlotRow,
       v6(kSrc6, in_row, 63, out_l2())},

      // Hand-offs to tc for L3 devices: the frame is unchanged, the metadata carries the result.
      {"l3_next_hop_is_handed_to_tc_unchanged", set_route6(route(kNhL3, kSlotRow)),
       v6(kSrc6, in_row), XDP_PASS, BPFR_FORWARD_TC, kSlotRow, std::nullopt},

      // Hand-offs to the kernel.
      {"local_route_goes_to_kernel", set_route6(route(0, kSlotRow, BPFR_ROUTE_LOCAL)),
       v6(kSrc6, in_row), XDP_PASS, BPFR_PASS_LOCAL, kSlotRow},
      {"hop_limit_1_goes_to_kernel_for_time_exceeded", no_setup, v6(kSrc6, kDst6, 1), XDP_PASS,
       BPFR_PASS_TTL, kSlotV6},
      {"hop_limit_0_goes_to_kernel", no_setup, v6(kSrc6, kDst6, 0), XDP_PASS, BPFR_PASS_TTL,
       kSlotV6},
      {"ttl_1_goes_to_kernel_for_time_exceeded", no_setup, v4(kSrc4, kDst4, 1), XDP_PASS,
       BPFR_PASS_TTL, kSlotV4},
      {"larger_than_egress_mtu_goes_to_kernel", no_setup, big6, XDP_PASS, BPFR_PASS_MTU, kSlotV6},
      {"next_hop_without_mac_goes_to_kernel", set_nh(nh_no_mac), v6(), XDP_PASS, BPFR_PASS_NO_NEIGH,
       kSlotV6},
      {"next_hop_not_valid_goes_to_kernel", set_nh(nh_invalid), v4(), XDP_PASS, BPFR_PASS_NO_NEIGH,
       kSlotV4},
      {"route_without_next_hop_goes_to_kernel", set_route6(route(0, kSlotRow)), v6(kSrc6, in_row),
       XDP_PASS, BPFR_PASS_NO_NEIGH, kSlotRow},
      {"link_local_destination_goes_to_kernel", no_setup, v6(kSrc6, "fe80::1"), XDP_PASS,
       BPFR_PASS_LINK_LOCAL},
      {"link_local_source_goes_to_kernel", no_setup, v6("fe80::2", kDst6), XDP_PASS,
       BPFR_PASS_LINK_LOCAL},
      {"multicast_destination_goes_to_kernel", no_setup, v6("::", "ff02::1:ff00:1"), XDP_PASS,
       BPFR_PASS_LINK_LOCAL},
      {"ipv4_multicast_destination_goes_to_kernel", no_setup, v4(kSrc4, "224.0.0.5"), XDP_PASS,
       BPFR_PASS_LINK_LOCAL},
      {"ipv4_broadcast_goes_to_kernel", no_setup, v4("0.0.0.0", "255.255.255.255"), XDP_PASS,
       BPFR_PASS_LINK_LOCAL},
      {"ipv4_link_local_goes_to_kernel", no_setup, v4("169.254.1.1", kDst4), XDP_PASS,
       BPFR_PASS_LINK_LOCAL},
      {"arp_goes_to_kernel", no_setup, arp, XDP_PASS, BPFR_PASS_CONTROL},
      {"neighbour_solicitation_to_global_address_goes_to_kernel", no_setup, nd_ns, XDP_PASS,
       BPFR_PASS_CONTROL},
      {"second_vlan_tag_goes_to_kernel", no_setup, qinq, XDP_PASS, BPFR_PASS_CONTROL},
      {"ipv6_hop_by_hop_goes_to_kernel", no_setup, hbh, XDP_PASS, BPFR_PASS_EXT_HDR},
      {"ipv4_options_go_to_kernel", no_setup, opts, XDP_PASS, BPFR_PASS_IP_OPTIONS},
      {"no_route_goes_to_kernel_by_default", no_setup, v6(kSrc6, "2001:db8:77::1"), XDP_PASS,
       BPFR_PASS_NO_ROUTE},
      {"unreachable_route_goes_to_kernel", set_route6(route(0, kSlotRow, BPFR_ROUTE_UNREACHABLE)),
       v6(kSrc6, in_row), XDP_PASS, BPFR_PASS_UNREACHABLE, kSlotRow},
      {"prohibit_route_goes_to_kernel", set_route6(route(0, kSlotRow, BPFR_ROUTE_PROHIBIT)),
       v6(kSrc6, in_row), XDP_PASS, BPFR_PASS_UNREACHABLE, kSlotRow},
      {"kernel_route_goes_to_kernel", set_route6(route(kNhEth, kSlotRow, BPFR_ROUTE_KERNEL)),
       v6(kSrc6, in_row), XDP_PASS, BPFR_PASS_KERNEL_ROUTE, kSlotRow},
      {"learned_route_goes_to_kernel_when_heartbeat_is_stale",
       [](RouterProgs& r) {
         auto s = enabled_settings();
         s.stale_after_s = 1;
         s.heartbeat_ns = 1;
         r.set_settings(s);
         r.set_route("2001:db8:2:1::/64",
                     route(kNhEth, kSlotRow, BPFR_ROUTE_FORWARD, BPFR_ROUTE_F_LEARNED));
       },
       v6(kSrc6, in_row), XDP_PASS, BPFR_PASS_STALE, kSlotRow},
      {"learned_ipv4_route_goes_to_kernel_when_heartbeat_is_stale",
       [](RouterProgs& r) {
         r.set_settings(heartbeat_aged(10, 11));
         r.set_route("198.51.100.0/24",
                     route(kNhEth, kSlotV4, BPFR_ROUTE_FORWARD, BPFR_ROUTE_F_LEARNED));
       },
       v4(), XDP_PASS, BPFR_PASS_STALE, kSlotV4},
      {"learned_route_is_trusted_until_the_timeout_has_passed",
       [](RouterProgs& r) {
         r.set_settings(heartbeat_aged(10, 9));
         r.set_route("2001:db8:2:1::/64",
                     route(kNhEth, kSlotRow, BPFR_ROUTE_FORWARD, BPFR_ROUTE_F_LEARNED));
       },
       v6(kSrc6, in_row), XDP_REDIRECT, BPFR_FORWARD_XDP, kSlotRow,
       v6(kSrc6, in_row, 63, out_l2())},
      {"learned_route_is_never_stale_with_stale_after_zero",
       [](RouterProgs& r) {
         auto s = enabled_settings();
         s.stale_after_s = 0;
         s.heartbeat_ns = 1;
         r.set_settings(s);
         r.set_route("2001:db8:2:1::/64",
                     route(kNhEth, kSlotRow, BPFR_ROUTE_FORWARD, BPFR_ROUTE_F_LEARNED));
       },
       v6(kSrc6, in_row), XDP_REDIRECT, BPFR_FORWARD_XDP, kSlotRow,
       v6(kSrc6, in_row, 63, out_l2())},
      {"learned_blackhole_goes_to_kernel_when_stale",
       [](RouterProgs& r) {
         r.set_settings(heartbeat_aged(10, 11));
         r.set_route("2001:db8:2:1::/64",
                     route(0, kSlotRow, BPFR_ROUTE_BLACKHOLE, BPFR_ROUTE_F_LEARNED));
       },
       v6(kSrc6, in_row), XDP_PASS, BPFR_PASS_STALE, kSlotRow},
      {"static_route_is_not_stale",
       [](RouterProgs& r) {
         auto s = enabled_settings();
         s.stale_after_s = 1;
         s.heartbeat_ns = 1;
         r.set_settings(s);
       },
       v6(), XDP_REDIRECT, BPFR_FORWARD_XDP, kSlotV6, v6(kSrc6, kDst6, 63, out_l2())},
      {"egress_device_not_in_tx_ports_goes_to_kernel", set_route6(route(kNhOther, kSlotRow)),
       v6(kSrc6, in_row), XDP_PASS, BPFR_PASS_NO_TX, kSlotRow},
      {"disabled_passes_everything", [](RouterProgs& r) { r.set_settings(bpfr_settings{}); }, v6(),
       XDP_PASS, BPFR_PASS_DISABLED},
      {"unknown_arrival_device_passes", [](RouterProgs& r) { r.del_iface(kLo); }, v6(), XDP_PASS,
       BPFR_PASS_NO_IFACE},

      // Truncated and malformed: never forwarded, counted, handed over untouched.
      {"ethernet_header_alone_is_malformed", no_setup, truncated(v6(), 14), XDP_PASS,
       BPFR_PASS_MALFORMED},
      {"truncated_vlan_tag_is_malformed", no_setup, truncated(v6(kSrc6, kDst6, 64, tagged(5)), 16),
       XDP_PASS, BPFR_PASS_MALFORMED},
      {"truncated_ipv6_header_is_malformed", no_setup, truncated(v6(), 14 + 39), XDP_PASS,
       BPFR_PASS_MALFORMED},
      {"ipv6_payload_beyond_frame_is_malformed", no_setup, truncated(v6(), 14 + 40 + 15), XDP_PASS,
       BPFR_PASS_MALFORMED},
      {"ipv6_ethertype_with_version_4_is_malformed", no_setup, patched(v6(), 14, {0x40}), XDP_PASS,
       BPFR_PASS_MALFORMED},
      {"truncated_icmpv6_header_is_malformed", no_setup,
       frame(L2{}, Ipv6{kSrc6, kDst6, 64, 58, Bytes{135, 0}}), XDP_PASS, BPFR_PASS_MALFORMED},
      {"truncated_ipv4_header_is_malformed", no_setup, truncated(v4(), 14 + 19), XDP_PASS,
       BPFR_PASS_MALFORMED},
      {"ipv4_ihl_below_5_is_malformed", no_setup, patched(v4(), 14, {0x44}), XDP_PASS,
       BPFR_PASS_MALFORMED},
      {"ipv4_total_length_beyond_frame_is_malformed", no_setup, truncated(v4(), 14 + 30), XDP_PASS,
       BPFR_PASS_MALFORMED},
      {"ipv4_total_length_below_header_is_malformed", no_setup, patched(v4(), 16, {0, 19}),
       XDP_PASS, BPFR_PASS_MALFORMED},
      {"ipv4_bad_checksum_is_malformed", no_setup, patched(v4(), 14 + 10, {0xde, 0xad}), XDP_PASS,
       BPFR_PASS_MALFORMED},
      {"ipv4_ethertype_with_version_6_is_malformed", no_setup, patched(v4(), 14, {0x65}), XDP_PASS,
       BPFR_PASS_MALFORMED},

      // Drops.
      {"blackhole_route_drops", set_route6(route(0, kSlotRow, BPFR_ROUTE_BLACKHOLE)),
       v6(kSrc6, in_row), XDP_DROP, BPFR_DROP_BLACKHOLE, kSlotRow},
      {"no_route_drops_when_configured",
       [](RouterProgs& r) {
         auto s = enabled_settings();
         s.no_route_drop = 1;
         r.set_settings(s);
       },
       v4(kSrc4, "192.0.2.99"), XDP_DROP, BPFR_DROP_NO_ROUTE},
      {"dummy_next_hop_drops", set_nh(nh_dummy), v6(), XDP_DROP, BPFR_DROP_DUMMY, kSlotV6},
      {"loopback_source_drops_as_bogon", no_setup, v6("::1", kDst6), XDP_DROP, BPFR_DROP_BOGON_SRC},
      {"ipv4_mapped_source_drops_as_bogon", no_setup, v6("::ffff:192.0.2.1", kDst6), XDP_DROP,
       BPFR_DROP_BOGON_SRC},
      {"multicast_source_drops_as_bogon", no_setup, v6("ff0e::1", kDst6), XDP_DROP,
       BPFR_DROP_BOGON_SRC},
      {"unspecified_source_to_global_drops_as_bogon", no_setup, v6("::", kDst6), XDP_DROP,
       BPFR_DROP_BOGON_SRC},
      {"ipv4_loopback_source_drops_as_bogon", no_setup, v4("127.0.0.1", kDst4), XDP_DROP,
       BPFR_DROP_BOGON_SRC},
      {"ipv4_this_network_source_drops_as_bogon", no_setup, v4("0.1.2.3", kDst4), XDP_DROP,
       BPFR_DROP_BOGON_SRC},
      {"ipv4_reserved_source_drops_as_bogon", no_setup, v4("240.0.0.1", kDst4), XDP_DROP,
       BPFR_DROP_BOGON_SRC},
      {"bogon_source_forwarded_where_filter_is_off",
       with_iface(bpfr_iface{kRow, BPFR_ROLE_INTERNAL, BPFR_URPF_OFF, 0, 0}), v6("::1", kDst6),
       XDP_REDIRECT, BPFR_FORWARD_XDP, kSlotV6, v6("::1", kDst6, 63, out_l2())},
      {"documentation_source_drops_when_category_on",
       [](RouterProgs& r) {
         r.set_bogon("2001:db8::/32", BPFR_BOGON_DOC);
         auto i = upstream();
         i.bogon_src = BPFR_BOGON_DOC;
         r.set_iface(kLo, i);
       },
       v6(), XDP_DROP, BPFR_DROP_BOGON_SRC},
      {"documentation_source_forwarded_when_category_off",
       [](RouterProgs& r) {
         r.set_bogon("2001:db8::/32", BPFR_BOGON_DOC);
         auto i = upstream();
         i.bogon_src = BPFR_BOGON_PRIVATE;
         r.set_iface(kLo, i);
       },
       v6(), XDP_REDIRECT, BPFR_FORWARD_XDP, kSlotV6, v6(kSrc6, kDst6, 63, out_l2())},
      {"private_ipv4_source_drops_when_category_on",
       [](RouterProgs& r) {
         r.set_bogon("10.0.0.0/8", BPFR_BOGON_PRIVATE);
         auto i = upstream();
         i.bogon_src = BPFR_BOGON_PRIVATE;
         r.set_iface(kLo, i);
       },
       v4("10.1.2.3", kDst4), XDP_DROP, BPFR_DROP_BOGON_SRC},
      {"own_prefix_source_from_upstream_drops_as_spoofed", no_setup, v6("2001:db8:1234::5", kDst6),
       XDP_DROP, BPFR_DROP_SPOOFED},
      {"own_ipv4_prefix_source_drops_as_spoofed", no_setup, v4("203.0.113.9", kDst4), XDP_DROP,
       BPFR_DROP_SPOOFED},
      {"own_prefix_source_forwarded_where_spoof_check_is_off",
       with_iface(bpfr_iface{kRow, BPFR_ROLE_INTERNAL, BPFR_URPF_OFF, BPFR_IFACE_F_BOGON_SRC, 0}),
       v6("2001:db8:1234::5", kDst6), XDP_REDIRECT, BPFR_FORWARD_XDP, kSlotV6,
       v6("2001:db8:1234::5", kDst6, 63, out_l2())},
      {"loose_urpf_drops_source_without_route", with_iface(upstream(BPFR_URPF_LOOSE)), v6(),
       XDP_DROP, BPFR_DROP_URPF},
      {"loose_urpf_passes_source_with_route",
       [](RouterProgs& r) {
         r.set_iface(kLo, upstream(BPFR_URPF_LOOSE));
         r.set_route("2001:db8:9::/48", route(kNhOther, 20));
       },
       v6(), XDP_REDIRECT, BPFR_FORWARD_XDP, kSlotV6, v6(kSrc6, kDst6, 63, out_l2())},
      {"loose_urpf_drops_source_with_blackhole_route",
       [](RouterProgs& r) {
         r.set_iface(kLo, upstream(BPFR_URPF_LOOSE));
         r.set_route("2001:db8:9::/48", route(0, 20, BPFR_ROUTE_BLACKHOLE));
       },
       v6(), XDP_DROP, BPFR_DROP_URPF},
      {"strict_urpf_drops_source_routed_via_other_device",
       [](RouterProgs& r) {
         r.set_iface(kLo, upstream(BPFR_URPF_STRICT));
         r.set_route("192.0.2.0/24", route(kNhOther, 20));
       },
       v4(), XDP_DROP, BPFR_DROP_URPF},
      {"strict_urpf_passes_source_routed_via_arrival_device",
       [](RouterProgs& r) {
         r.set_iface(kLo, upstream(BPFR_URPF_STRICT));
         r.set_route("192.0.2.0/24", route(kNhEth, 20));
       },
       v4(), XDP_REDIRECT, BPFR_FORWARD_XDP, kSlotV4, v4(kSrc4, kDst4, 63, out_l2())},
      {"strict_urpf_drops_source_routed_via_other_vlan",
       [](RouterProgs& r) {
         r.set_iface(kLo, upstream(BPFR_URPF_STRICT));
         r.set_nexthop(5, eth_nexthop(kLo, 300));
         r.set_route("192.0.2.0/24", route(5, 20));
       },
       v4(kSrc4, kDst4, 64, tagged(301)), XDP_DROP, BPFR_DROP_URPF},
      {"source_drop_list_drops",
       [](RouterProgs& r) {
         r.set_list(true, "2001:db8:9::/48", {7, BPFR_LIST_DROP, {}});
       },
       v6(), XDP_DROP, BPFR_DROP_SRC_LIST},
      {"source_allow_list_exempts_from_spoof_check",
       [](RouterProgs& r) {
         r.set_list(true, "2001:db8:1234:5::/64", {8, BPFR_LIST_ALLOW, {}});
       },
       v6("2001:db8:1234:5::1", kDst6), XDP_REDIRECT, BPFR_FORWARD_XDP, kSlotV6,
       v6("2001:db8:1234:5::1", kDst6, 63, out_l2())},
      {"destination_drop_list_drops",
       [](RouterProgs& r) {
         r.set_list(false, "198.51.100.7/32", {9, BPFR_LIST_DROP, {}});
       },
       v4(), XDP_DROP, BPFR_DROP_DST_LIST},
      {"bogon_destination_drops_when_category_on",
       [](RouterProgs& r) {
         r.set_bogon("198.51.100.0/24", BPFR_BOGON_DOC);
         auto s = enabled_settings();
         s.bogon_dst = BPFR_BOGON_DOC;
         r.set_settings(s);
       },
       v4(), XDP_DROP, BPFR_DROP_BOGON_DST},
      {"destination_allow_list_exempts_from_bogon_destination",
       [](RouterProgs& r) {
         r.set_bogon("198.51.100.0/24", BPFR_BOGON_DOC);
         auto s = enabled_settings();
         s.bogon_dst = BPFR_BOGON_DOC;
         r.set_settings(s);
         r.set_list(false, "198.51.100.0/25", {10, BPFR_LIST_ALLOW, {}});
       },
       v4(), XDP_REDIRECT, BPFR_FORWARD_XDP, kSlotV4, v4(kSrc4, kDst4, 63, out_l2())},
      {"ipv4_source_drop_list_drops",
       [](RouterProgs& r) {
         r.set_list(true, "192.0.2.0/24", {11, BPFR_LIST_DROP, {}});
       },
       v4(), XDP_DROP, BPFR_DROP_SRC_LIST},
      {"ipv6_destination_drop_list_drops",
       [](RouterProgs& r) {
         r.set_list(false, "2001:db8:2::/48", {12, BPFR_LIST_DROP, {}});
       },
       v6(), XDP_DROP, BPFR_DROP_DST_LIST},
      {"source_drop_list_wins_over_destination_allow",
       [](RouterProgs& r) {
         r.set_list(true, "2001:db8:9::/48", {13, BPFR_LIST_DROP, {}});
         r.set_list(false, "2001:db8:2::/48", {14, BPFR_LIST_ALLOW, {}});
       },
       v6(), XDP_DROP, BPFR_DROP_SRC_LIST},
      {"source_allow_list_exempts_from_bogon_category",
       [](RouterProgs& r) {
         r.set_bogon("2001:db8::/32", BPFR_BOGON_DOC);
         auto i = upstream();
         i.bogon_src = BPFR_BOGON_DOC;
         r.set_iface(kLo, i);
         r.set_list(true, "2001:db8:9::/48", {15, BPFR_LIST_ALLOW, {}});
       },
       v6(), XDP_REDIRECT, BPFR_FORWARD_XDP, kSlotV6, v6(kSrc6, kDst6, 63, out_l2())},
      {"source_allow_list_exempts_from_urpf",
       [](RouterProgs& r) {
         r.set_iface(kLo, upstream(BPFR_URPF_STRICT));
         r.set_list(true, "2001:db8:9::/48", {16, BPFR_LIST_ALLOW, {}});
       },
       v6(), XDP_REDIRECT, BPFR_FORWARD_XDP, kSlotV6, v6(kSrc6, kDst6, 63, out_l2())},
      {"reserved_ipv6_source_drops_when_category_on",
       [](RouterProgs& r) {
         r.set_bogon("2001:2::/48", BPFR_BOGON_RESERVED);
         auto i = upstream();
         i.bogon_src = BPFR_BOGON_RESERVED;
         r.set_iface(kLo, i);
       },
       v6("2001:2::1", kDst6), XDP_DROP, BPFR_DROP_BOGON_SRC},
      {"unallocated_ipv4_source_drops_when_category_on",
       [](RouterProgs& r) {
         r.set_bogon("192.0.2.0/24", BPFR_BOGON_UNALLOCATED);
         auto i = upstream();
         i.bogon_src = BPFR_BOGON_UNALLOCATED;
         r.set_iface(kLo, i);
       },
       v4(), XDP_DROP, BPFR_DROP_BOGON_SRC},
      {"nested_bogon_entry_carries_its_enclosing_category",
       [](RouterProgs& r) {
         r.set_bogon("2001:db8::/32", BPFR_BOGON_DOC);
         r.set_bogon("2001:db8:9::/48", BPFR_BOGON_DOC | BPFR_BOGON_OPERATOR);
         auto i = upstream();
         i.bogon_src = BPFR_BOGON_DOC;
         r.set_iface(kLo, i);
       },
       v6(), XDP_DROP, BPFR_DROP_BOGON_SRC},
      {"private_ipv6_destination_drops_when_category_on",
       [](RouterProgs& r) {
         r.set_bogon("fc00::/7", BPFR_BOGON_PRIVATE);
         r.set_route("fd00:1::/64", route(kNhEth, kSlotRow));
         auto s = enabled_settings();
         s.bogon_dst = BPFR_BOGON_PRIVATE;
         r.set_settings(s);
       },
       v6(kSrc6, "fd00:1::1"), XDP_DROP, BPFR_DROP_BOGON_DST},

      // The host's firewall: what its rules name stays on the kernel path.
      {"firewall_source_prefix_goes_to_kernel",
       [](RouterProgs& r) {
         r.set_kpath(true, "2001:db8:9::/48", {20, BPFR_LIST_KERNEL, {}});
       },
       v6(), XDP_PASS, BPFR_PASS_FIREWALL},
      {"firewall_destination_prefix_goes_to_kernel",
       [](RouterProgs& r) {
         r.set_kpath(false, "198.51.100.0/25", {21, BPFR_LIST_KERNEL, {}});
       },
       v4(), XDP_PASS, BPFR_PASS_FIREWALL},
      {"firewall_prefix_elsewhere_leaves_the_fast_path_alone",
       [](RouterProgs& r) {
         r.set_kpath(false, "198.51.100.128/25", {21, BPFR_LIST_KERNEL, {}});
       },
       v4(), XDP_REDIRECT, BPFR_FORWARD_XDP, kSlotV4, v4(kSrc4, kDst4, 63, out_l2())},
      {"firewall_arrival_device_goes_to_kernel",
       [](RouterProgs& r) {
         auto i = upstream();
         i.flags |= BPFR_IFACE_F_KERNEL_IN;
         r.set_iface(kLo, i);
       },
       v6(), XDP_PASS, BPFR_PASS_FIREWALL},
      {"firewall_egress_device_goes_to_kernel_after_the_route",
       [](RouterProgs& r) {
         auto i = upstream();
         i.flags |= BPFR_IFACE_F_KERNEL_OUT;
         r.set_iface(kLo, i);
         auto s = enabled_settings();
         s.kernel_out = 1;
         r.set_settings(s);
       },
       v6(), XDP_PASS, BPFR_PASS_FIREWALL, kSlotV6},
      {"firewall_egress_l3_device_goes_to_kernel_not_to_tc",
       [](RouterProgs& r) {
         auto i = upstream();
         i.flags |= BPFR_IFACE_F_KERNEL_OUT;
         r.set_iface(kLo, i);
         auto s = enabled_settings();
         s.kernel_out = 1;
         r.set_settings(s);
         r.set_route("2001:db8:2:1::/64", route(kNhL3, kSlotRow));
       },
       v6(kSrc6, "2001:db8:2:1::9"), XDP_PASS, BPFR_PASS_FIREWALL, kSlotRow},
      {"firewall_egress_flag_is_not_read_while_settings_say_none",
       [](RouterProgs& r) {
         auto i = upstream();
         i.flags |= BPFR_IFACE_F_KERNEL_OUT;
         r.set_iface(kLo, i);
       },
       v6(), XDP_REDIRECT, BPFR_FORWARD_XDP, kSlotV6, v6(kSrc6, kDst6, 63, out_l2())},
      {"firewall_source_prefix_still_drops_bogus_sources_first",
       [](RouterProgs& r) {
         r.set_kpath(true, "203.0.113.0/24", {22, BPFR_LIST_KERNEL, {}});
       },
       v4("203.0.113.9", kDst4), XDP_DROP, BPFR_DROP_SPOOFED},
      {"firewall_prefix_is_not_exempted_by_an_allow_entry",
       [](RouterProgs& r) {
         r.set_list(true, "2001:db8:9::/48", {23, BPFR_LIST_ALLOW, {}});
         r.set_kpath(true, "2001:db8:9::/48", {24, BPFR_LIST_KERNEL, {}});
       },
       v6(), XDP_PASS, BPFR_PASS_FIREWALL},
  };
}

std::string row_name(const testing::TestParamInfo<Row>& info) {
  return info.param.name;
}

// What every row checks besides its verdict and frame: one reason, the slot, the device.
void expect_counted(const RouterProgs& r, const Row& row, size_t bytes) {
  auto reason = r.reason(row.reason);
  EXPECT_EQ(reason.packets, 1u) << "reason " << row.reason;
  EXPECT_EQ(reason.bytes, bytes);
  EXPECT_EQ(r.reasons_total().packets, 1u) << "exactly one reason per packet";
  if (row.slot != kNoSlot) {
    EXPECT_EQ(r.slot(row.slot).packets, 1u) << "slot " << row.slot;
    EXPECT_EQ(r.slot(row.slot).bytes, bytes);
  }
  if (row.reason == BPFR_PASS_DISABLED || row.reason == BPFR_PASS_NO_IFACE)
    return;
  auto dev = r.iface(kRow);
  EXPECT_EQ(dev.rx_packets, 1u);
  EXPECT_EQ(dev.rx_bytes, bytes);
  bool drop = row.reason >= BPFR_DROP_BLACKHOLE && row.reason <= BPFR_DROP_BOGON_DST;
  bool forward = row.reason == BPFR_FORWARD_XDP || row.reason == BPFR_FORWARD_TC;
  EXPECT_EQ(dev.drop_packets, drop ? 1u : 0u);
  EXPECT_EQ(dev.pass_packets, !drop && !forward ? 1u : 0u);
}

class XdpRouterRow : public testing::TestWithParam<Row> {};

TEST_P(XdpRouterRow, VerdictFrameAndCounters) {
  const Row& row = GetParam();
  RouterProgs r;
  baseline(r);
  row.setup(r);

  RunResult res = r.run_xdp(row.in);
  ASSERT_EQ(res.err, 0) << "bpf_prog_test_run_opts";
  EXPECT_EQ(res.verdict, row.verdict);
  EXPECT_EQ(res.out, row.out.value_or(row.in));
  expect_counted(r, row, row.in.size());

  if (row.reason == BPFR_FORWARD_TC) {
    ASSERT_EQ(res.meta.size(), sizeof(bpfr_xdp_meta));
    bpfr_xdp_meta meta;
    std::memcpy(&meta, res.meta.data(), sizeof(meta));
    EXPECT_EQ(meta.magic, BPFR_META_MAGIC);
    EXPECT_EQ(meta.nexthop, kNhL3);
    EXPECT_EQ(meta.slot, row.slot);
  } else {
    EXPECT_TRUE(res.meta.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(Rows, XdpRouterRow, testing::ValuesIn(xdp_rows()), row_name);

// The incremental TTL update (RFC 1624) against a from-scratch checksum, over every TTL and
// random headers, including those whose checksum field wraps through 0x0000 and 0xffff.
TEST(XdpRouter, Ipv4ChecksumAfterTtlDecrementEqualsFromScratch) {
  RouterProgs r;
  baseline(r);
  r.set_route("0.0.0.0/0", route(kNhEth, kSlotRow));
  std::mt19937 rng(42);
  for (int ttl = 2; ttl <= 255; ttl++) {
    for (int i = 0; i < 8; i++) {
      uint32_t s = rng(), d = rng() | 0x01000000;  // keep the sources out of 0/8
      auto dotted = [](uint32_t a) {
        return fmt::format("{}.{}.{}.{}", (a >> 24) % 224 | 1, (a >> 16) & 255, (a >> 8) & 255,
                           a & 255);
      };
      Ipv4 ip{dotted(s), dotted(d), static_cast<uint8_t>(ttl), static_cast<uint8_t>(rng())};
      if (ip.src.starts_with("127.") || ip.src.starts_with("169.254.") ||
          ip.dst.starts_with("127.") || ip.dst.starts_with("169.254.") ||
          ip.src.starts_with("203.0.113."))
        continue;
      Bytes in = frame(L2{}, ip);
      ip.ttl--;
      Bytes want = frame(out_l2(), ip);
      RunResult res = r.run_xdp(in);
      ASSERT_EQ(res.verdict, uint32_t(XDP_REDIRECT)) << ip.src << " -> " << ip.dst;
      ASSERT_EQ(res.out, want) << ip.src << " -> " << ip.dst << " ttl " << ttl;
    }
  }
}

// The corner of RFC 1624: a header whose checksum is 0x0000 before or after the decrement
// (one's complement sum 0xffff). Found by search, so the rows exist whatever the id field.
TEST(XdpRouter, Ipv4ChecksumZeroBeforeAndAfterTtlDecrement) {
  RouterProgs r;
  baseline(r);
  r.set_route("0.0.0.0/0", route(kNhEth, kSlotRow));
  int zero_after = 0, zero_before = 0;
  for (uint32_t i = 0; i < (1u << 16) && (zero_after < 3 || zero_before < 3); i++) {
    Ipv4 ip{fmt::format("192.0.{}.{}", i >> 8, i & 255), kDst4, 64};
    Bytes in = frame(L2{}, ip);
    ip.ttl--;
    Bytes want = frame(out_l2(), ip);
    bool before = in[24] == 0 && in[25] == 0, after = want[24] == 0 && want[25] == 0;
    if (!before && !after)
      continue;
    zero_before += before;
    zero_after += after;
    RunResult res = r.run_xdp(in);
    ASSERT_EQ(res.verdict, uint32_t(XDP_REDIRECT)) << ip.src;
    EXPECT_EQ(res.out, want) << ip.src << (before ? ": checksum 0 before" : ": checksum 0 after");
  }
  EXPECT_GE(zero_before, 1);
  EXPECT_GE(zero_after, 1);
}

// Counters equal packets over a mixed run.
TEST(XdpRouter, CountersEqualPacketsSent) {
  RouterProgs r;
  baseline(r);
  const int kRounds = 25;
  Bytes fwd = v6(), ttl1 = v6(kSrc6, kDst6, 1), bogon = v4("127.0.0.1", kDst4);
  for (int i = 0; i < kRounds; i++) {
    for (const Bytes* f : {&fwd, &ttl1, &bogon})
      ASSERT_EQ(r.run_xdp(*f).err, 0);
  }
  EXPECT_EQ(r.reason(BPFR_FORWARD_XDP).packets, uint64_t(kRounds));
  EXPECT_EQ(r.reason(BPFR_PASS_TTL).packets, uint64_t(kRounds));
  EXPECT_EQ(r.reason(BPFR_DROP_BOGON_SRC).packets, uint64_t(kRounds));
  EXPECT_EQ(r.reasons_total().packets, uint64_t(3 * kRounds));
  EXPECT_EQ(r.slot(kSlotV6).packets, uint64_t(2 * kRounds));
  EXPECT_EQ(r.slot(kSlotV6).bytes, uint64_t(kRounds * (fwd.size() + ttl1.size())));
  auto dev = r.iface(kRow);
  EXPECT_EQ(dev.rx_packets, uint64_t(3 * kRounds));
  EXPECT_EQ(dev.pass_packets, uint64_t(kRounds));
  EXPECT_EQ(dev.drop_packets, uint64_t(kRounds));
}

TEST(XdpRouter, ListEntriesCountTheirMatches) {
  RouterProgs r;
  baseline(r);
  r.set_list(true, "2001:db8:9::/48", {7, BPFR_LIST_DROP, {}});
  r.set_list(false, "198.51.100.0/24", {9, BPFR_LIST_ALLOW, {}});
  Bytes dropped = v6(), allowed = v4();
  for (int i = 0; i < 3; i++)
    ASSERT_EQ(r.run_xdp(dropped).verdict, uint32_t(XDP_DROP));
  ASSERT_EQ(r.run_xdp(allowed).verdict, uint32_t(XDP_REDIRECT));
  EXPECT_EQ(r.list_entry(7).packets, 3u);
  EXPECT_EQ(r.list_entry(7).bytes, 3u * dropped.size());
  EXPECT_EQ(r.list_entry(9).packets, 1u);
}

TEST(XdpRouter, FirewallEntriesCountTheirMatches) {
  RouterProgs r;
  baseline(r);
  r.set_kpath(true, "2001:db8:9::/48", {30, BPFR_LIST_KERNEL, {}});
  r.set_kpath(false, "198.51.100.0/24", {31, BPFR_LIST_KERNEL, {}});
  Bytes from = v6(), to = v4();
  for (int i = 0; i < 2; i++)
    ASSERT_EQ(r.run_xdp(from).verdict, uint32_t(XDP_PASS));
  ASSERT_EQ(r.run_xdp(to).verdict, uint32_t(XDP_PASS));
  EXPECT_EQ(r.list_entry(30).packets, 2u);
  EXPECT_EQ(r.list_entry(30).bytes, 2u * from.size());
  EXPECT_EQ(r.list_entry(31).packets, 1u);
  EXPECT_EQ(r.reason(BPFR_PASS_FIREWALL).packets, 3u);
}

// tc_l3_ingress: packets from an L3 device. Under test_run the skb still starts with an
// Ethernet header, which the program finds through the network-header offset.
struct TcRow {
  std::string name;
  std::function<void(RouterProgs&)> setup;
  Bytes in;
  int verdict;
  uint32_t reason;
  std::optional<Bytes> out;
  uint32_t gso_size = 0;
};

std::vector<TcRow> tc_l3_rows() {
  const std::string in_row = "2001:db8:2:1::9";
  // Two 1000-byte TCP segments in one skb: 2040 bytes of IP against an MTU of 1500.
  Bytes gro6 = frame(L2{}, Ipv6{kSrc6, kDst6, 64, 6, Bytes(2000, 0x5a)});
  Bytes gro6_out = frame(out_l2(), Ipv6{kSrc6, kDst6, 63, 6, Bytes(2000, 0x5a)});
  return {
      {"ipv6_from_l3_device_leaves_with_next_hop_macs", no_setup, v6(), TC_ACT_REDIRECT,
       BPFR_FORWARD_TC, v6(kSrc6, kDst6, 63, out_l2())},
      {"ipv4_from_l3_device_leaves_with_ttl_minus_one_and_valid_checksum", no_setup, v4(),
       TC_ACT_REDIRECT, BPFR_FORWARD_TC, v4(kSrc4, kDst4, 63, out_l2())},
      {"l3_to_l3_device_keeps_the_frame_but_decrements",
       [](RouterProgs& r) { r.set_route("2001:db8:2:1::/64", route(kNhL3, kSlotRow)); },
       v6(kSrc6, in_row), TC_ACT_REDIRECT, BPFR_FORWARD_TC, v6(kSrc6, in_row, 63)},
      {"hop_limit_1_goes_to_kernel", no_setup, v6(kSrc6, kDst6, 1), TC_ACT_OK, BPFR_PASS_TTL,
       std::nullopt},
      {"bogon_source_is_shot", no_setup, v4("127.0.0.1", kDst4), TC_ACT_SHOT, BPFR_DROP_BOGON_SRC,
       std::nullopt},
      {"blackhole_is_shot",
       [](RouterProgs& r) {
         r.set_route("2001:db8:2:1::/64", route(0, kSlotRow, BPFR_ROUTE_BLACKHOLE));
       },
       v6(kSrc6, in_row), TC_ACT_SHOT, BPFR_DROP_BLACKHOLE, std::nullopt},
      {"no_route_goes_to_kernel", no_setup, v6(kSrc6, "2001:db8:77::1"), TC_ACT_OK,
       BPFR_PASS_NO_ROUTE, std::nullopt},
      {"next_hop_without_mac_goes_to_kernel",
       [](RouterProgs& r) {
         auto nh = eth_nexthop(kLo);
         nh.flags = BPFR_NH_F_VALID;
         r.set_nexthop(kNhEth, nh);
       },
       v4(), TC_ACT_OK, BPFR_PASS_NO_NEIGH, std::nullopt},
      {"malformed_ipv4_goes_to_kernel", no_setup, patched(v4(), 14 + 10, {0xde, 0xad}), TC_ACT_OK,
       BPFR_PASS_MALFORMED, std::nullopt},
      {"gso_batch_with_segments_under_mtu_is_forwarded", no_setup, gro6, TC_ACT_REDIRECT,
       BPFR_FORWARD_TC, gro6_out, 1000},
      {"gso_batch_with_segments_over_mtu_goes_to_kernel", no_setup, gro6, TC_ACT_OK, BPFR_PASS_MTU,
       std::nullopt, 1420},
      {"source_drop_list_is_shot",
       [](RouterProgs& r) {
         r.set_list(true, "2001:db8:9::/48", {7, BPFR_LIST_DROP, {}});
       },
       v6(), TC_ACT_SHOT, BPFR_DROP_SRC_LIST, std::nullopt},
      {"firewall_source_prefix_goes_to_kernel",
       [](RouterProgs& r) {
         r.set_kpath(true, "192.0.2.0/24", {20, BPFR_LIST_KERNEL, {}});
       },
       v4(), TC_ACT_OK, BPFR_PASS_FIREWALL, std::nullopt},
      {"firewall_arrival_device_goes_to_kernel",
       [](RouterProgs& r) {
         auto i = upstream();
         i.flags |= BPFR_IFACE_F_KERNEL_IN;
         r.set_iface(kLo, i);
       },
       v6(), TC_ACT_OK, BPFR_PASS_FIREWALL, std::nullopt},
      {"packet_over_mtu_goes_to_kernel", no_setup, gro6, TC_ACT_OK, BPFR_PASS_MTU, std::nullopt},
      {"arp_goes_to_kernel", no_setup, ethernet(L2{}, kEthArp, Bytes(28, 0)), TC_ACT_OK,
       BPFR_PASS_CONTROL, std::nullopt},
  };
}

class TcL3Row : public testing::TestWithParam<TcRow> {};

TEST_P(TcL3Row, VerdictFrameAndCounters) {
  const TcRow& row = GetParam();
  RouterProgs r;
  baseline(r);
  row.setup(r);

  RunResult res = r.run_tc_l3(row.in, kLo, row.gso_size);
  ASSERT_EQ(res.err, 0) << "bpf_prog_test_run_opts";
  EXPECT_EQ(res.verdict, uint32_t(row.verdict));
  EXPECT_EQ(res.out, row.out.value_or(row.in));
  EXPECT_EQ(r.reason(row.reason).packets, 1u);
  EXPECT_EQ(r.reasons_total().packets, 1u);
  auto dev = r.iface(kRow);
  EXPECT_EQ(dev.rx_packets, 1u);
  // Egress is lo too, so the same row counts the transmit.
  EXPECT_EQ(dev.tx_packets, row.verdict == TC_ACT_REDIRECT ? 1u : 0u);
}

INSTANTIATE_TEST_SUITE_P(Rows, TcL3Row, testing::ValuesIn(tc_l3_rows()),
                         [](const testing::TestParamInfo<TcRow>& i) { return i.param.name; });

// tc_ingress acts only on frames with xdp_router's metadata; test_run cannot give an skb
// metadata, so here it must leave the frame alone and count nothing.
TEST(TcIngress, FrameWithoutXdpMetadataGoesToKernelUncounted) {
  RouterProgs r;
  baseline(r);
  Bytes in = v6();
  RunResult res = r.run_tc_ingress(in);
  ASSERT_EQ(res.err, 0);
  EXPECT_EQ(res.verdict, uint32_t(TC_ACT_OK));
  EXPECT_EQ(res.out, in);
  EXPECT_EQ(r.reasons_total().packets, 0u);
}

}  // namespace
}  // namespace bpfr::test
