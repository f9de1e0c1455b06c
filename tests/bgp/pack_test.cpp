// Packing many prefixes with one attribute set into as few UPDATEs as the size limit allows.
#include <gtest/gtest.h>

#include "bgp/message.h"
#include "hex.h"

namespace bpfr::bgp {
namespace {

PathAttributes attrs() {
  PathAttributes a;
  a.origin = Origin::igp;
  a.as_path = AsPath{{{SegmentType::sequence, {64515, 3356}}}};
  a.communities = {0xfc030001};
  return a;
}

std::vector<Prefix> v4_prefixes(unsigned n) {
  std::vector<Prefix> out;
  for (unsigned i = 0; i < n; i++)
    out.push_back(Prefix::make(Address::v4(0x0a000000 | i << 8), 24));
  return out;
}

std::vector<Prefix> v6_prefixes(unsigned n) {
  std::vector<Prefix> out;
  for (unsigned i = 0; i < n; i++) {
    Address a = *Address::parse("2001:db8::");
    a.bytes[4] = uint8_t(i >> 8);
    a.bytes[5] = uint8_t(i);
    out.push_back(Prefix::make(a, 48));
  }
  return out;
}

// Decodes every message and returns the announced prefixes in order; checks sizes and attrs.
std::vector<Prefix> unpack(const std::vector<std::vector<uint8_t>>& msgs, size_t limit,
                           const PathAttributes& want) {
  std::vector<Prefix> out;
  DecodeContext ctx{true, limit > kMaxMessageSize};
  for (const auto& m : msgs) {
    EXPECT_LE(m.size(), limit);
    auto res = decode_message(m, ctx);
    EXPECT_TRUE(res.ok()) << res.error.description;
    if (!res.ok())
      continue;
    const auto& u = std::get<Update>(*res.message);
    EXPECT_TRUE(u.issues.empty());
    PathAttributes got = u.attrs;
    got.next_hop.reset();
    EXPECT_EQ(got, want);
    auto a = u.announced();
    auto w = u.all_withdrawn();
    out.insert(out.end(), a.begin(), a.end());
    out.insert(out.end(), w.begin(), w.end());
  }
  return out;
}

TEST(Pack, Ipv4FillsEachUpdateToTheLimit) {
  auto prefixes = v4_prefixes(3000);  // 4 octets each: 12000 octets of NLRI
  EncodeContext ctx{true, false};
  auto msgs = pack_announcements(attrs(), {Address::v4(0xc0000201), {}}, prefixes, ctx);
  // Fixed part: 19 + 4 + ORIGIN 4 + AS_PATH 13 + NEXT_HOP 7 + COMMUNITIES 7 = 54 octets, so
  // (4096 - 54) / 4 = 1010 prefixes per message: 3 messages.
  ASSERT_EQ(msgs.size(), 3u);
  EXPECT_EQ(msgs[0].size(), 54u + 1010 * 4);
  EXPECT_EQ(unpack(msgs, kMaxMessageSize, attrs()), prefixes);
}

TEST(Pack, Ipv6UsesMpReachWithLinkLocal) {
  auto prefixes = v6_prefixes(2000);  // 7 octets each
  EncodeContext ctx{true, false};
  NextHop nh{*Address::parse("2001:db8::1"), *Address::parse("fe80::1")};
  auto msgs = pack_announcements(attrs(), nh, prefixes, ctx);
  // 19 + 4 + MP_REACH header 4 + 5 + 32 + ORIGIN, AS_PATH, COMMUNITIES 24 = 88:
  // (4096 - 88) / 7 = 572 per message, 4 messages.
  ASSERT_EQ(msgs.size(), 4u);
  EXPECT_EQ(unpack(msgs, kMaxMessageSize, attrs()), prefixes);
  auto res = decode_message(msgs[0], DecodeContext{true});
  EXPECT_EQ(std::get<Update>(*res.message).mp_reach->link_local, nh.link_local);
}

TEST(Pack, ExtendedMessagesCarryMorePerUpdate) {
  auto prefixes = v4_prefixes(3000);
  EncodeContext ctx{true, true};
  auto msgs = pack_announcements(attrs(), {Address::v4(0xc0000201), {}}, prefixes, ctx);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_GT(msgs[0].size(), kMaxMessageSize);
  EXPECT_EQ(unpack(msgs, kMaxExtendedMessageSize, attrs()), prefixes);
}

TEST(Pack, WithdrawalsOfBothFamilies) {
  auto v4 = v4_prefixes(1500);
  auto v6 = v6_prefixes(1500);
  std::vector<Prefix> all = v4;
  all.insert(all.end(), v6.begin(), v6.end());
  auto msgs = pack_withdrawals(all, EncodeContext{true, false});
  // IPv4: (4096 - 23) / 4 = 1018 per message; IPv6: (4096 - 30) / 7 = 580 per message.
  EXPECT_EQ(msgs.size(), 2u + 3u);
  EXPECT_EQ(unpack(msgs, kMaxMessageSize, PathAttributes{}), all);
}

TEST(Pack, RefusesWhatCannotBeSent) {
  PathAttributes huge = attrs();
  huge.communities.assign(1100, 1);  // 4400 octets of attributes
  EXPECT_TRUE(pack_announcements(huge, {Address::v4(1), {}}, v4_prefixes(1), {}).empty());
  // Family of next hop and prefixes disagree.
  EXPECT_TRUE(pack_announcements(attrs(), {Address::v4(1), {}}, v6_prefixes(1), {}).empty());
  EXPECT_TRUE(pack_announcements(attrs(), {Address::v4(1), {}}, {}, {}).empty());
  // A single UPDATE that is too big encodes to nothing.
  Update u;
  u.nlri = v4_prefixes(1100);
  EXPECT_TRUE(encode_update(u, {}).empty());
}

}  // namespace
}  // namespace bpfr::bgp
