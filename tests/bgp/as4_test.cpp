// RFC 6793: AS4_PATH and AS4_AGGREGATOR between 2-octet and 4-octet speakers.
#include <gtest/gtest.h>

#include "bgp/message.h"
#include "hex.h"

namespace bpfr::bgp {
namespace {

using test::to_hex;

const DecodeContext kTwoOctetPeer{false};
const DecodeContext kFourOctetPeer{true};

Update decode(const std::vector<uint8_t>& bytes, const DecodeContext& ctx) {
  auto res = decode_message(bytes, ctx);
  EXPECT_TRUE(res.ok()) << res.error.description;
  return res.ok() ? std::get<Update>(*res.message) : Update{};
}

// Fixture from tcpdump tests/bgp-4byte-asn.pcap (an UPDATE from a 2-octet speaker): AS_PATH
// "200 1 23456 23456 23456" and AS4_PATH "1 222222 333333 4294967290".
TEST(As4Path, MergedWithLeadingAsPathFromTwoOctetPeer) {
  auto bytes = test::update(
      "40 01 01 00  40 02 0c 02 05 00c8 0001 5ba0 5ba0 5ba0  40 03 04 0a000001"
      "c0 11 12 02 04 00000001 0003640e 00051615 fffffffa",
      "18 c00002");
  Update u = decode(bytes, kTwoOctetPeer);
  EXPECT_TRUE(u.issues.empty());
  EXPECT_EQ(fmt::format("{}", *u.attrs.as_path), "200 1 222222 333333 4294967290");
}

TEST(As4Path, IgnoredWhenLongerThanAsPath) {
  auto bytes = test::update("40 02 06 02 02 00c8 5ba0  c0 11 0e 02 03 00000001 0003640e 00051615");
  Update u = decode(bytes, kTwoOctetPeer);
  EXPECT_EQ(fmt::format("{}", *u.attrs.as_path), "200 23456");
}

// RFC 6793 4.2.3: the count treats an AS_SET as one AS; leading confederation segments stay.
TEST(As4Path, MergeCountsSetsAsOneAndKeepsLeadingConfederation) {
  auto bytes = test::update(
      "40 02 12 03 01 fde8 02 02 00c8 5ba0 01 03 0001 0002 5ba0 "
      "c0 11 14 02 01 0003640e 01 03 00000001 00000002 00051615");
  DecodeContext ctx = kTwoOctetPeer;
  ctx.external = false;
  ctx.reject_as_set = false;
  Update u = decode(bytes, ctx);
  EXPECT_EQ(fmt::format("{}", *u.attrs.as_path), "(65000) 200 222222 {1 2 333333}");
}

TEST(As4Path, FromFourOctetPeerIsDiscarded) {
  auto bytes = test::update("40 02 06 02 01 0000fc03  c0 11 06 02 01 0003640e");
  Update u = decode(bytes, kFourOctetPeer);
  ASSERT_EQ(u.issues.size(), 1u);
  EXPECT_EQ(u.issues[0].action, Action::attribute_discard);
  EXPECT_EQ(u.issues[0].type, attr::as4_path);
  EXPECT_FALSE(u.treat_as_withdraw);
  EXPECT_EQ(fmt::format("{}", *u.attrs.as_path), "64515");
}

TEST(As4Path, MalformedIsDiscardedNotWithdrawnNorReset) {
  for (const char* as4 : {"c0 11 03 02 01 00", "c0 11 02 02 00", "c0 11 06 03 01 0003640e",
                          "c0 11 06 02 01 00000000", "40 11 06 02 01 0003640e"}) {
    auto bytes = test::update(std::string("40 02 04 02 01 5ba0 ") + as4, "");
    Update u = decode(bytes, kTwoOctetPeer);
    ASSERT_EQ(u.issues.size(), 1u) << as4;
    EXPECT_EQ(u.issues[0].action, Action::attribute_discard) << as4;
    EXPECT_FALSE(u.treat_as_withdraw);
    EXPECT_EQ(fmt::format("{}", *u.attrs.as_path), "23456");
  }
}

TEST(As4Aggregator, ReplacesAsTransAggregator) {
  auto bytes = test::update("c0 07 06 5ba0 c0000201  c0 12 08 0003640e c0000201");
  Update u = decode(bytes, kTwoOctetPeer);
  ASSERT_TRUE(u.attrs.aggregator);
  EXPECT_EQ(u.attrs.aggregator->asn, 222222u);
}

// RFC 6793 4.2.3: an AGGREGATOR other than AS_TRANS means an old speaker aggregated: both
// AS4_AGGREGATOR and AS4_PATH are ignored.
TEST(As4Aggregator, IgnoredWithAs4PathWhenAggregatorIsNotAsTrans) {
  auto bytes = test::update(
      "40 02 06 02 02 00c8 5ba0  c0 07 06 00c8 c0000201  c0 11 0a 02 02 000000c8 0003640e"
      "c0 12 08 0003640e c0000201");
  Update u = decode(bytes, kTwoOctetPeer);
  EXPECT_EQ(u.attrs.aggregator->asn, 200u);
  EXPECT_EQ(fmt::format("{}", *u.attrs.as_path), "200 23456");
}

// RFC 6793 4.2.2: toward a 2-octet peer, AS_TRANS stands in and AS4_PATH / AS4_AGGREGATOR
// carry the real numbers.
TEST(As4Encode, TowardTwoOctetPeerAddsAs4PathAndAs4Aggregator) {
  Update u;
  u.attrs.as_path = AsPath{{{SegmentType::sequence, {64515, 4200000000}}}};
  u.attrs.aggregator = Aggregator{4200000000, Address::v4(0xc0000201)};
  auto want = test::update(
      "40 02 06 02 02 fc03 5ba0  c0 07 06 5ba0 c0000201  c0 11 0a 02 02 0000fc03 fa56ea00"
      "c0 12 08 fa56ea00 c0000201");
  auto bytes = encode_update(u, EncodeContext{false, false});
  EXPECT_EQ(to_hex(bytes), to_hex(want));
  EXPECT_EQ(decode(bytes, kTwoOctetPeer).attrs, u.attrs);  // round trip
}

TEST(As4Encode, NoAs4PathWhenAllAsnsFitTwoOctets) {
  Update u;
  u.attrs.as_path = AsPath{{{SegmentType::sequence, {64515, 3356}}}};
  auto want = test::update("40 02 06 02 02 fc03 0d1c");
  EXPECT_EQ(to_hex(encode_update(u, EncodeContext{false, false})), to_hex(want));
}

TEST(As4Encode, ConfederationSegmentsStayOutOfAs4Path) {
  Update u;
  u.attrs.as_path =
      AsPath{{{SegmentType::confed_sequence, {65000}}, {SegmentType::sequence, {4200000000}}}};
  auto want = test::update("40 02 08 03 01 fde8 02 01 5ba0  c0 11 06 02 01 fa56ea00");
  auto bytes = encode_update(u, EncodeContext{false, false});
  EXPECT_EQ(to_hex(bytes), to_hex(want));
  DecodeContext ctx = kTwoOctetPeer;
  ctx.external = false;
  EXPECT_EQ(decode(bytes, ctx).attrs.as_path, u.attrs.as_path);
}

}  // namespace
}  // namespace bpfr::bgp
