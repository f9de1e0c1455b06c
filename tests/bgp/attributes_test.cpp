// One row per attribute and encoding: the wire bytes (hand-assembled from the RFC that defines
// the attribute) decode to the value and the value encodes back to the same bytes.
#include <gtest/gtest.h>

#include <functional>
#include <unordered_set>

#include "bgp/message.h"
#include "hex.h"

namespace bpfr::bgp {
namespace {

using test::to_hex;

struct AttributeRow {
  const char* name;
  std::string wire;  // attributes only, as in an UPDATE without NLRI
  std::function<void(PathAttributes&)> expect;
  bool four_octet_as = true;
  bool external = true;
  std::string encoded = "";  // when the encoder writes something else than `wire`
};

void PrintTo(const AttributeRow& row, std::ostream* os) {
  *os << row.name;
}

class Attributes : public testing::TestWithParam<AttributeRow> {};

TEST_P(Attributes, DecodeThenEncodeByteExact) {
  const auto& row = GetParam();
  DecodeContext dctx;
  dctx.four_octet_as = row.four_octet_as;
  dctx.external = row.external;
  dctx.reject_as_set = false;
  PathAttributes expected;
  row.expect(expected);

  auto res = decode_message(test::update(row.wire), dctx);
  ASSERT_TRUE(res.ok()) << res.error.description;
  const auto& u = std::get<Update>(*res.message);
  EXPECT_TRUE(u.issues.empty()) << u.issues.front().error.description;
  EXPECT_EQ(u.attrs, expected);

  Update out;
  out.attrs = expected;
  EncodeContext ectx{row.four_octet_as, false};
  auto want = test::update(row.encoded.empty() ? row.wire : row.encoded);
  EXPECT_EQ(to_hex(encode_update(out, ectx)), to_hex(want));
}

AsPath path(std::initializer_list<AsSegment> segments) {
  return AsPath{segments};
}

INSTANTIATE_TEST_SUITE_P(
    Rfc4271, Attributes,
    testing::Values(
        // RFC 4271 4.3 (a) ORIGIN
        AttributeRow{"origin_igp", "40 01 01 00", [](auto& a) { a.origin = Origin::igp; }},
        AttributeRow{"origin_egp", "40 01 01 01", [](auto& a) { a.origin = Origin::egp; }},
        AttributeRow{"origin_incomplete", "40 01 01 02",
                     [](auto& a) { a.origin = Origin::incomplete; }},
        // (b) AS_PATH with 4-octet (RFC 6793) and 2-octet ASNs
        AttributeRow{"as_path_sequence_4_octet", "40 02 0a 02 02 0000fc03 00000d1c",
                     [](auto& a) {
                       a.as_path = path({{SegmentType::sequence, {64515, 3356}}});
                     }},
        AttributeRow{"as_path_sequence_2_octet", "40 02 06 02 02 fc03 0d1c",
                     [](auto& a) {
                       a.as_path = path({{SegmentType::sequence, {64515, 3356}}});
                     },
                     false},
        AttributeRow{
            "as_path_sequence_and_set", "40 02 10 02 01 0000001e 01 02 0000000a 00000014",
            [](auto& a) {
              a.as_path = path({{SegmentType::sequence, {30}}, {SegmentType::set, {10, 20}}});
            }},
        AttributeRow{"as_path_confederation_segments_ibgp",
                     "40 02 12 03 01 0000fde8 04 01 0000fde9 02 01 0000fc03",
                     [](auto& a) {
                       a.as_path = path({{SegmentType::confed_sequence, {65000}},
                                         {SegmentType::confed_set, {65001}},
                                         {SegmentType::sequence, {64515}}});
                     },
                     true, false},
        AttributeRow{"as_path_empty_ibgp", "40 02 00", [](auto& a) { a.as_path = AsPath{}; }},
        // (c) NEXT_HOP, (d) MULTI_EXIT_DISC, (e) LOCAL_PREF, (f) ATOMIC_AGGREGATE, (g) AGGREGATOR
        AttributeRow{"next_hop", "40 03 04 c0000201",
                     [](auto& a) { a.next_hop = Address::v4(0xc0000201); }},
        AttributeRow{"multi_exit_disc", "80 04 04 00000064", [](auto& a) { a.med = 100; }},
        AttributeRow{"local_pref_ibgp", "40 05 04 000000c8", [](auto& a) { a.local_pref = 200; },
                     true, false},
        AttributeRow{"atomic_aggregate", "40 06 00", [](auto& a) { a.atomic_aggregate = true; }},
        AttributeRow{"aggregator_4_octet", "c0 07 08 0000fc03 c0000201",
                     [](auto& a) {
                       a.aggregator = Aggregator{64515, Address::v4(0xc0000201)};
                     }},
        AttributeRow{"aggregator_2_octet", "c0 07 06 fc03 c0000201",
                     [](auto& a) {
                       a.aggregator = Aggregator{64515, Address::v4(0xc0000201)};
                     },
                     false},
        // RFC 1997 COMMUNITIES incl. NO_EXPORT
        AttributeRow{"communities", "c0 08 08 fc030001 ffffff01",
                     [](auto& a) {
                       a.communities = {0xfc030001, 0xffffff01};
                     }},
        // RFC 4360 route target 64515:100 (type 0x00, subtype 0x02)
        AttributeRow{"extended_communities", "c0 10 08 0002fc0300000064",
                     [](auto& a) { a.ext_communities = {0x0002fc0300000064ull}; }},
        // RFC 8092 (64515:1:2)
        AttributeRow{"large_communities", "c0 20 0c 0000fc03 00000001 00000002",
                     [](auto& a) {
                       a.large_communities = {{64515, 1, 2}};
                     }},
        // RFC 4456 ORIGINATOR_ID and CLUSTER_LIST
        AttributeRow{"originator_id_and_cluster_list",
                     "80 09 04 c0000201  80 0a 08 c0000201 c0000202",
                     [](auto& a) {
                       a.originator_id = 0xc0000201;
                       a.cluster_list = {0xc0000201, 0xc0000202};
                     },
                     true, false},
        // RFC 4271 5: unknown optional transitive kept, partial bit set when passed on.
        // Type 35 is OTC (RFC 9234), which this codec does not interpret.
        AttributeRow{"unknown_optional_transitive_gets_partial_bit", "c0 23 04 0000fc03",
                     [](auto& a) {
                       a.unknown = {{0xe0, 35, {0, 0, 0xfc, 0x03}}};
                     },
                     true, true, "e0 23 04 0000fc03"},
        // Unknown optional non-transitive (AIGP, type 26, RFC 7311) is dropped quietly.
        AttributeRow{"unknown_optional_non_transitive_dropped", "80 1a 0b 01 000b 0000000000000064",
                     [](auto&) {}, true, true, "-"},
        // RFC 4271 4.3: the extended length bit may be used for short values; encode does not.
        AttributeRow{"extended_length_flag_on_short_value", "d0 08 0004 fc030001",
                     [](auto& a) { a.communities = {0xfc030001}; }, true, true,
                     "c0 08 04 fc030001"},
        // Encode order is by type code; unknown types fall in between.
        AttributeRow{"all_in_type_order",
                     "40 01 01 00  40 02 06 02 01 0000fc03  40 03 04 c0000201  80 04 04 00000001"
                     "40 06 00  c0 07 08 0000fc03 c0000201  c0 08 04 fc030001"
                     "c0 10 08 0002fc0300000064  e0 13 01 ff  c0 20 0c 0000fc03 00000001 00000002"
                     "e0 28 00",
                     [](auto& a) {
                       a.origin = Origin::igp;
                       a.as_path = path({{SegmentType::sequence, {64515}}});
                       a.next_hop = Address::v4(0xc0000201);
                       a.med = 1;
                       a.atomic_aggregate = true;
                       a.aggregator = Aggregator{64515, Address::v4(0xc0000201)};
                       a.communities = {0xfc030001};
                       a.ext_communities = {0x0002fc0300000064ull};
                       a.large_communities = {{64515, 1, 2}};
                       a.unknown = {{0xe0, 19, {0xff}}, {0xe0, 40, {}}};
                     }}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(Attributes, LongValuesUseTheExtendedLengthBit) {
  PathAttributes a;
  for (uint32_t i = 0; i < 100; i++)
    a.communities.push_back(0xfc030000 + i);
  Update u;
  u.attrs = a;
  auto bytes = encode_update(u, {});
  // header 19, withdrawn length 2, attributes length 2, then flags 0xd0, type 8, length 400.
  EXPECT_EQ(to_hex(std::span(bytes).subspan(23, 4)), "d0080190");
  auto res = decode_message(bytes, {});
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(std::get<Update>(*res.message).attrs, a);
}

TEST(Attributes, LongAsPathSplitsIntoSegmentsOf255) {
  PathAttributes a;
  a.as_path = AsPath{{{SegmentType::sequence, std::vector<uint32_t>(300, 64515)}}};
  Update u;
  u.attrs = a;
  DecodeContext ctx{true};
  auto res = decode_message(encode_update(u, {true, false}), ctx);
  ASSERT_TRUE(res.ok());
  const auto& segs = std::get<Update>(*res.message).attrs.as_path->segments;
  ASSERT_EQ(segs.size(), 2u);
  EXPECT_EQ(segs[0].asns.size(), 255u);
  EXPECT_EQ(segs[1].asns.size(), 45u);
  EXPECT_EQ(std::get<Update>(*res.message).attrs.as_path->length(), 300u);
}

TEST(AsPath, LengthContainsAndText) {
  AsPath p{{{SegmentType::confed_sequence, {65000, 65001}},
            {SegmentType::sequence, {64515, 3356}},
            {SegmentType::set, {10, 20}}}};
  EXPECT_EQ(p.length(), 3u);  // confed 0, sequence 2, set 1
  EXPECT_TRUE(p.contains(20));
  EXPECT_FALSE(p.contains(30));
  EXPECT_TRUE(p.has_set());
  EXPECT_EQ(fmt::format("{}", p), "(65000 65001) 64515 3356 {10 20}");
  EXPECT_EQ(p.first_as(), std::nullopt);  // confed first
  AsPath q{{{SegmentType::sequence, {64515, 3356}}}};
  EXPECT_EQ(q.first_as(), 64515u);
  EXPECT_EQ(q.origin_as(), 3356u);
  EXPECT_EQ(fmt::format("{}", q.prepended(64500, 2)), "64500 64500 64515 3356");
  EXPECT_EQ(fmt::format("{}", AsPath{}.prepended(64500)), "64500");
}

TEST(PathAttributes, EqualSetsHashEquallyForInterning) {
  PathAttributes a;
  a.origin = Origin::igp;
  a.as_path = AsPath{{{SegmentType::sequence, {64515, 3356}}}};
  a.next_hop = Address::v4(0xc0000201);
  a.communities = {1, 2};
  PathAttributes b = a;
  std::unordered_set<PathAttributes, PathAttributesHash> interned{a};
  EXPECT_TRUE(interned.contains(b));
  b.communities = {2, 1};
  EXPECT_NE(a, b);
  EXPECT_NE(PathAttributesHash{}(a), PathAttributesHash{}(b));
  b = a;
  b.med = 0;  // present with value 0 differs from absent
  EXPECT_NE(a, b);
  EXPECT_NE(PathAttributesHash{}(a), PathAttributesHash{}(b));
}

}  // namespace
}  // namespace bpfr::bgp
