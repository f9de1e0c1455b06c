// RFC 7606: every malformed attribute maps to exactly one action. Rows name the rule; the
// attribute bytes are hand-assembled from RFC 4271 4.3 with the one defect the row states.
#include <gtest/gtest.h>

#include "bgp/message.h"
#include "hex.h"

namespace bpfr::bgp {
namespace {

enum class Outcome { accept, discard, withdraw, reset };

struct Rfc7606Row {
  const char* name;
  std::string attrs;
  Outcome outcome;
  uint8_t subcode;  // of the issue or the reset
  std::string nlri = "18 c00002";
  bool external = true;
};

// A well-formed ORIGIN, AS_PATH (4-octet, 64515) and NEXT_HOP, to combine with one defect.
const std::string kOrigin = " 40 01 01 00 ";
const std::string kAsPath = " 40 02 06 02 01 0000fc03 ";
const std::string kNextHop = " 40 03 04 c0000201 ";
const std::string kBase = kOrigin + kAsPath + kNextHop;
const std::string kMpReachV6 =
    " 80 0e 1c 0002 01 10 20010db8000000000000000000000001 00 30 20010db80001 ";

void PrintTo(const Rfc7606Row& row, std::ostream* os) {
  *os << row.name;
}

class Rfc7606 : public testing::TestWithParam<Rfc7606Row> {};

TEST_P(Rfc7606, ExactlyOneAction) {
  const auto& row = GetParam();
  DecodeContext ctx;
  ctx.four_octet_as = true;
  ctx.external = row.external;
  auto res = decode_message(test::update(row.attrs, row.nlri), ctx);

  if (row.outcome == Outcome::reset) {
    ASSERT_FALSE(res.ok());
    EXPECT_EQ(res.error.code, err::update);
    EXPECT_EQ(int(res.error.subcode), int(row.subcode)) << res.error.description;
    EXPECT_FALSE(res.error.description.empty());
    return;
  }
  ASSERT_TRUE(res.ok()) << res.error.description;
  const auto& u = std::get<Update>(*res.message);
  if (row.outcome == Outcome::accept) {
    EXPECT_TRUE(u.issues.empty()) << u.issues.front().error.description;
    EXPECT_FALSE(u.treat_as_withdraw);
    return;
  }
  ASSERT_EQ(u.issues.size(), 1u) << u.issues.back().error.description;
  const auto& issue = u.issues[0];
  EXPECT_EQ(int(issue.error.subcode), int(row.subcode)) << issue.error.description;
  EXPECT_EQ(issue.error.code, err::update);
  if (row.outcome == Outcome::discard) {
    EXPECT_EQ(issue.action, Action::attribute_discard);
    EXPECT_FALSE(u.treat_as_withdraw);
    EXPECT_FALSE(u.announced().empty());
  } else {
    EXPECT_EQ(issue.action, Action::treat_as_withdraw);
    EXPECT_TRUE(u.treat_as_withdraw);
    EXPECT_TRUE(u.announced().empty());
    EXPECT_FALSE(u.all_withdrawn().empty());
  }
}

using O = Outcome;

INSTANTIATE_TEST_SUITE_P(
    Section7, Rfc7606,
    testing::Values(
        Rfc7606Row{"well_formed_update_is_accepted", kBase, O::accept, 0},
        // 7.1 ORIGIN
        Rfc7606Row{"origin_length_2_is_withdraw", " 40 01 02 0000 " + kAsPath + kNextHop,
                   O::withdraw, err::attribute_length_error},
        Rfc7606Row{"origin_value_3_is_withdraw", " 40 01 01 03 " + kAsPath + kNextHop, O::withdraw,
                   err::invalid_origin},
        // 7.2 AS_PATH
        Rfc7606Row{"as_path_segment_overrun_is_withdraw",
                   kOrigin + " 40 02 06 02 02 0000fc03 " + kNextHop, O::withdraw,
                   err::malformed_as_path},
        Rfc7606Row{"as_path_single_octet_underrun_is_withdraw",
                   kOrigin + " 40 02 07 02 01 0000fc03 02 " + kNextHop, O::withdraw,
                   err::malformed_as_path},
        Rfc7606Row{"as_path_segment_length_0_is_withdraw",
                   kOrigin + " 40 02 08 02 01 0000fc03 02 00 " + kNextHop, O::withdraw,
                   err::malformed_as_path},
        Rfc7606Row{"as_path_unknown_segment_type_is_withdraw",
                   kOrigin + " 40 02 06 05 01 0000fc03 " + kNextHop, O::withdraw,
                   err::malformed_as_path},
        Rfc7606Row{"as_path_confederation_from_ebgp_is_withdraw_rfc5065",
                   kOrigin + " 40 02 06 03 01 0000fc03 " + kNextHop, O::withdraw,
                   err::malformed_as_path},
        Rfc7606Row{"as_path_with_as_0_is_withdraw_rfc7607",
                   kOrigin + " 40 02 06 02 01 00000000 " + kNextHop, O::withdraw,
                   err::malformed_as_path},
        Rfc7606Row{"as_path_with_as_set_is_withdraw_rfc9774",
                   kOrigin + " 40 02 10 02 01 0000fc03 01 02 0000000a 00000014 " + kNextHop,
                   O::withdraw, err::malformed_as_path},
        // 7.3 NEXT_HOP
        Rfc7606Row{"next_hop_length_5_is_withdraw", kOrigin + kAsPath + " 40 03 05 c000020100 ",
                   O::withdraw, err::attribute_length_error},
        Rfc7606Row{"next_hop_0_0_0_0_with_nlri_is_withdraw",
                   kOrigin + kAsPath + " 40 03 04 00000000 ", O::withdraw, err::invalid_next_hop},
        Rfc7606Row{"next_hop_multicast_with_nlri_is_withdraw",
                   kOrigin + kAsPath + " 40 03 04 e0000001 ", O::withdraw, err::invalid_next_hop},
        // 7.4 MULTI_EXIT_DISC
        Rfc7606Row{"med_length_3_is_withdraw", kBase + " 80 04 03 000001 ", O::withdraw,
                   err::attribute_length_error},
        // 7.5 LOCAL_PREF
        Rfc7606Row{"local_pref_from_ebgp_is_discard", kBase + " 40 05 04 00000064 ", O::discard,
                   err::optional_attribute_error},
        Rfc7606Row{"local_pref_length_2_from_ibgp_is_withdraw", kBase + " 40 05 02 0064 ",
                   O::withdraw, err::attribute_length_error, "18 c00002", false},
        // 7.6 ATOMIC_AGGREGATE, 7.7 AGGREGATOR
        Rfc7606Row{"atomic_aggregate_length_1_is_discard", kBase + " 40 06 01 00 ", O::discard,
                   err::attribute_length_error},
        Rfc7606Row{"aggregator_length_7_is_discard", kBase + " c0 07 07 0000fc03 c00002 ",
                   O::discard, err::attribute_length_error},
        Rfc7606Row{"aggregator_as_0_is_discard_rfc7607", kBase + " c0 07 08 00000000 c0000201 ",
                   O::discard, err::optional_attribute_error},
        // 7.8 COMMUNITIES, 7.14 EXTENDED COMMUNITIES, RFC 8092 6 LARGE_COMMUNITY
        Rfc7606Row{"communities_length_5_is_withdraw", kBase + " c0 08 05 fc03000100 ", O::withdraw,
                   err::attribute_length_error},
        Rfc7606Row{"communities_length_0_is_withdraw", kBase + " c0 08 00 ", O::withdraw,
                   err::attribute_length_error},
        Rfc7606Row{"ext_communities_length_7_is_withdraw", kBase + " c0 10 07 0002fc03000000 ",
                   O::withdraw, err::attribute_length_error},
        Rfc7606Row{"large_communities_length_11_is_withdraw",
                   kBase + " c0 20 0b 0000fc03 00000001 000000 ", O::withdraw,
                   err::attribute_length_error},
        // 7.9 ORIGINATOR_ID, 7.10 CLUSTER_LIST
        Rfc7606Row{"originator_id_length_3_is_withdraw", kBase + " 80 09 03 c00002 ", O::withdraw,
                   err::attribute_length_error, "18 c00002", false},
        Rfc7606Row{"cluster_list_length_6_is_withdraw", kBase + " 80 0a 06 c0000201 0000 ",
                   O::withdraw, err::attribute_length_error, "18 c00002", false},
        // 3(c) flags in conflict with the attribute's definition
        Rfc7606Row{"origin_flagged_optional_is_withdraw", " c0 01 01 00 " + kAsPath + kNextHop,
                   O::withdraw, err::attribute_flags_error},
        Rfc7606Row{"communities_flagged_well_known_is_withdraw", kBase + " 40 08 04 fc030001 ",
                   O::withdraw, err::attribute_flags_error},
        Rfc7606Row{"partial_bit_on_known_optional_transitive_is_accepted",
                   kBase + " e0 08 04 fc030001 ", O::accept, 0},
        // 3(d) missing well-known attributes, only when there is NLRI
        Rfc7606Row{"missing_origin_is_withdraw", kAsPath + kNextHop, O::withdraw,
                   err::missing_wellknown_attribute},
        Rfc7606Row{"missing_as_path_is_withdraw", kOrigin + kNextHop, O::withdraw,
                   err::missing_wellknown_attribute},
        Rfc7606Row{"missing_next_hop_with_ipv4_nlri_is_withdraw", kOrigin + kAsPath, O::withdraw,
                   err::missing_wellknown_attribute},
        Rfc7606Row{"missing_next_hop_with_only_mp_reach_is_accepted",
                   kMpReachV6 + kOrigin + kAsPath, O::accept, 0, ""},
        Rfc7606Row{"missing_everything_without_nlri_is_accepted", "", O::accept, 0, ""},
        // 3(g) repeated attributes
        Rfc7606Row{"second_origin_is_discarded", kBase + " 40 01 01 02 ", O::discard,
                   err::malformed_attribute_list},
        Rfc7606Row{"second_mp_reach_is_reset", kMpReachV6 + kOrigin + kAsPath + kMpReachV6,
                   O::reset, err::malformed_attribute_list, ""},
        // 3(b)/4: the attribute list does not parse
        Rfc7606Row{"attribute_length_past_list_end_is_withdraw", kBase + " c0 08 08 fc030001 ",
                   O::withdraw, err::malformed_attribute_list},
        Rfc7606Row{"two_octets_left_in_list_is_withdraw", kBase + " c0 08 ", O::withdraw,
                   err::malformed_attribute_list},
        Rfc7606Row{"extended_length_header_cut_short_is_withdraw", kBase + " d0 08 00 ",
                   O::withdraw, err::malformed_attribute_list},
        // RFC 4271 6.3: unrecognized well-known attribute
        Rfc7606Row{"unknown_well_known_attribute_is_reset", kBase + " 40 63 01 00 ", O::reset,
                   err::unrecognized_wellknown_attribute},
        // Unknown optional transitive attributes cannot be malformed for us: kept.
        Rfc7606Row{"unknown_optional_transitive_is_accepted", kBase + " c0 63 03 010203 ",
                   O::accept, 0},
        // 7.11, 7.12 MP_REACH / MP_UNREACH: session reset (no AFI/SAFI disable here)
        Rfc7606Row{
            "mp_reach_next_hop_length_20_is_reset",
            " 80 0e 1e 0002 01 14 20010db8000000000000000000000001 00000000 00 20 20010db8 " +
                kOrigin + kAsPath,
            O::reset, err::optional_attribute_error, ""},
        Rfc7606Row{"mp_reach_nlri_overrun_is_reset",
                   " 80 0e 1c 0002 01 10 20010db8000000000000000000000001 00 40 20010db80000 " +
                       kOrigin + kAsPath,
                   O::reset, err::optional_attribute_error, ""},
        Rfc7606Row{"mp_reach_shorter_than_afi_safi_is_reset", " 80 0e 02 0002 " + kOrigin + kAsPath,
                   O::reset, err::optional_attribute_error, ""},
        Rfc7606Row{"mp_unreach_prefix_length_129_is_reset", " 80 0f 08 0002 01 81 20010db8 ",
                   O::reset, err::optional_attribute_error, ""},
        Rfc7606Row{"mp_reach_flagged_transitive_is_withdraw",
                   " c0 0e 1c 0002 01 10 20010db8000000000000000000000001 00 30 20010db80001 " +
                       kOrigin + kAsPath,
                   O::withdraw, err::attribute_flags_error, ""},
        Rfc7606Row{"mp_reach_of_unsupported_family_is_ignored",
                   " 80 0e 0d 0001 85 00 00 08 0118 c0000200 00 ", O::accept, 0, ""},
        // RFC 7606 5.3 / RFC 4271 6.3: NLRI and withdrawn fields that do not parse
        Rfc7606Row{"nlri_prefix_length_33_is_reset", kBase, O::reset, err::invalid_network_field,
                   "21 c0000201 00"},
        Rfc7606Row{"nlri_prefix_overrun_is_reset", kBase, O::reset, err::invalid_network_field,
                   "18 c000"}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(Rfc7606, MostSevereActionWinsAndEveryIssueIsListed) {
  // AGGREGATOR length 7 (discard) then COMMUNITIES length 5 (withdraw).
  auto bytes = test::update(kBase + " c0 07 07 0000fc03 c00002  c0 08 05 fc03000100 ", "18 c00002");
  auto res = decode_message(bytes, DecodeContext{true});
  ASSERT_TRUE(res.ok());
  const auto& u = std::get<Update>(*res.message);
  ASSERT_EQ(u.issues.size(), 2u);
  EXPECT_EQ(u.issues[0].action, Action::attribute_discard);
  EXPECT_EQ(u.issues[1].action, Action::treat_as_withdraw);
  EXPECT_TRUE(u.treat_as_withdraw);
  EXPECT_EQ(u.all_withdrawn(), std::vector<Prefix>{*Prefix::parse("192.0.2.0/24")});
  // The issue carries the offending attribute as a NOTIFICATION would, and its offset.
  EXPECT_EQ(test::to_hex(u.issues[1].error.data), "c00805fc03000100");
  EXPECT_EQ(u.issues[1].error.offset, 23u + 4 + 9 + 7 + 10);

  // A withdraw followed by a reset: the reset wins.
  bytes = test::update(" 40 01 01 07 " + kAsPath + kNextHop + " 40 63 00 ", "18 c00002");
  EXPECT_FALSE(decode_message(bytes, DecodeContext{true}).ok());
}

TEST(Rfc7606, TreatAsWithdrawCoversMpReachPrefixes) {
  auto bytes = test::update(kMpReachV6 + " 40 01 01 09 " + kAsPath);
  auto res = decode_message(bytes, DecodeContext{true});
  ASSERT_TRUE(res.ok());
  const auto& u = std::get<Update>(*res.message);
  EXPECT_TRUE(u.treat_as_withdraw);
  EXPECT_TRUE(u.announced().empty());
  EXPECT_EQ(u.all_withdrawn(), std::vector<Prefix>{*Prefix::parse("2001:db8:1::/48")});
}

TEST(Rfc7606, SessionLevelLengthErrors) {
  // RFC 4271 6.3: Withdrawn Routes Length or Total Path Attribute Length past the message end.
  for (const char* body : {"0009 18c00002 0000", "0000 0009 400101"}) {
    auto res = decode_message(test::message(2, body), {});
    ASSERT_FALSE(res.ok()) << body;
    EXPECT_EQ(res.error.code, err::update);
    EXPECT_EQ(res.error.subcode, err::malformed_attribute_list);
  }
  auto res = decode_message(test::message(2, "0002 21c0 0000"), {});
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error.subcode, err::invalid_network_field);
  EXPECT_EQ(res.error.offset, 21u);
  EXPECT_EQ(test::to_hex(res.error.data), "21");
}

}  // namespace
}  // namespace bpfr::bgp
