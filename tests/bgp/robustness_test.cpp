// Peer bytes never crash the decoder: every truncation and many random corruptions of valid
// messages decode to a message or to a clean error. Run under -DBPFR_SANITIZE=ON as well.
#include <gtest/gtest.h>

#include <random>

#include "bgp/message.h"
#include "hex.h"

namespace bpfr::bgp {
namespace {

std::vector<std::vector<uint8_t>> seeds() {
  Open o;
  o.my_as = 23456;
  o.hold_time = 90;
  o.bgp_id = 1;
  o.caps.multiprotocol = {kIpv4Unicast, kIpv6Unicast};
  o.caps.four_octet_as = 4200000000;
  o.caps.graceful_restart = GracefulRestart{false, true, 120, {{kIpv6Unicast, true}}};
  o.caps.unknown = {{73, {1, 2, 3}}};

  Update u;
  u.withdrawn = {*Prefix::parse("10.1.0.0/16")};
  u.attrs.origin = Origin::egp;
  u.attrs.as_path =
      AsPath{{{SegmentType::sequence, {64515, 4200000000}}, {SegmentType::set, {1, 2}}}};
  u.attrs.next_hop = Address::v4(0x0a000001);
  u.attrs.med = 5;
  u.attrs.aggregator = Aggregator{4200000000, Address::v4(1)};
  u.attrs.communities = {1, 2};
  u.attrs.ext_communities = {3};
  u.attrs.large_communities = {{1, 2, 3}};
  u.attrs.unknown = {{0xe0, 99, {1, 2, 3}}};
  u.mp_reach = MpReach{kIpv6Unicast,
                       true,
                       *Address::parse("2001:db8::1"),
                       *Address::parse("fe80::1"),
                       {*Prefix::parse("2001:db8::/32")}};
  u.mp_unreach = MpUnreach{kIpv6Unicast, true, {*Prefix::parse("2001:db8:1::/48")}};
  u.nlri = {*Prefix::parse("192.0.2.0/24")};

  return {encode_open(o),
          encode_update(u, {false, false}),
          encode_update(u, {true, false}),
          encode_notification({6, 2, {1, 2}}),
          encode_route_refresh({kIpv6Unicast, 2}),
          encode_keepalive()};
}

TEST(Robustness, EveryTruncationIsACleanError) {
  for (const auto& seed : seeds()) {
    for (size_t n = 0; n < seed.size(); n++) {
      std::vector<uint8_t> cut(seed.begin(), seed.begin() + long(n));
      auto res = decode_message(cut, {});
      EXPECT_FALSE(res.ok());
      EXPECT_FALSE(res.error.description.empty());
    }
  }
}

TEST(Robustness, RandomCorruptionsNeverCrash) {
  std::mt19937 rng(7606);
  size_t errors = 0;
  size_t runs = 0;
  for (const auto& seed : seeds()) {
    if (seed.size() <= 19)
      continue;  // KEEPALIVE: nothing after the header to corrupt
    for (int i = 0; i < 20000; i++) {
      auto m = seed;
      int flips = 1 + int(rng() % 4);
      for (int f = 0; f < flips; f++)
        m[19 + rng() % (m.size() - 19)] = uint8_t(rng());
      for (bool four : {false, true}) {
        DecodeContext ctx;
        ctx.four_octet_as = four;
        auto res = decode_message(m, ctx);
        runs++;
        if (!res.ok()) {
          errors++;
          EXPECT_NE(res.error.code, 0);
          EXPECT_FALSE(res.error.description.empty());
        }
      }
    }
  }
  EXPECT_GT(errors, 0u);
  EXPECT_LT(errors, runs);
}

}  // namespace
}  // namespace bpfr::bgp
