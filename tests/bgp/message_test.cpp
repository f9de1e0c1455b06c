// Byte-exact vectors for OPEN, NOTIFICATION, KEEPALIVE, ROUTE-REFRESH and whole UPDATEs, each
// hand-assembled from the message formats of the RFC named in the row.
#include "bgp/message.h"

#include <gtest/gtest.h>

#include "hex.h"

namespace bpfr::bgp {
namespace {

using test::from_hex;
using test::message;
using test::to_hex;

const std::string kMarker = "ffffffffffffffffffffffffffffffff";

template <typename T>
T decode_as(const std::vector<uint8_t>& bytes, const DecodeContext& ctx = {}) {
  auto res = decode_message(bytes, ctx);
  EXPECT_TRUE(res.ok()) << res.error.description;
  if (!res.ok() || !std::holds_alternative<T>(*res.message))
    return T{};
  return std::get<T>(*res.message);
}

// RFC 4271 4.4
TEST(Keepalive, IsAHeaderOfLength19) {
  auto bytes = from_hex(kMarker + "0013 04");
  EXPECT_EQ(encode_keepalive(), bytes);
  auto res = decode_message(bytes, {});
  ASSERT_TRUE(res.ok());
  EXPECT_TRUE(std::holds_alternative<Keepalive>(*res.message));
}

// RFC 4271 4.5, with an RFC 8203 shutdown communication "bye" as data.
TEST(Notification, CeaseAdministrativeShutdownWithData) {
  auto bytes = from_hex(kMarker + "0019 03 06 02 03627965");
  Notification n{err::cease, 2, {0x03, 'b', 'y', 'e'}};
  EXPECT_EQ(encode_notification(n), bytes);
  EXPECT_EQ(decode_as<Notification>(bytes), n);
  EXPECT_EQ(notification_name(6, 2), "Cease / Administrative Shutdown");
  EXPECT_EQ(notification_name(3, 11), "UPDATE Message Error / Malformed AS_PATH");
  EXPECT_EQ(notification_name(42, 200), "code 42 / subcode 200");
}

// RFC 2918 3 and RFC 7313 3 (subtype in the former reserved octet).
TEST(RouteRefresh, Ipv6UnicastBeginningOfRouteRefresh) {
  auto bytes = from_hex(kMarker + "0017 05 0002 01 01");
  RouteRefresh rr{kIpv6Unicast, RouteRefresh::begin};
  EXPECT_EQ(encode_route_refresh(rr), bytes);
  EXPECT_EQ(decode_as<RouteRefresh>(bytes), rr);
}

// RFC 4271 4.2 with capabilities from RFC 4760 (MP), 2918 (RR), 7313 (enhanced RR), 8654
// (extended message), 4724 (graceful restart, R bit, 120 s, IPv6 forwarding kept), 6793 (AS4)
// and code 73 (FQDN) kept as unknown.
const std::string kOpenHex = kMarker +
                             "0044 01 04 fc03 005a c0000201 27 02 25"
                             "01 04 0001 00 01"
                             "01 04 0002 00 01"
                             "02 00"
                             "46 00"
                             "06 00"
                             "40 06 8078 0002 01 80"
                             "41 04 0000fc03"
                             "49 03 016100";

Open open_fixture() {
  Open o;
  o.my_as = 64515;
  o.hold_time = 90;
  o.bgp_id = 0xc0000201;
  o.caps.multiprotocol = {kIpv4Unicast, kIpv6Unicast};
  o.caps.route_refresh = true;
  o.caps.enhanced_route_refresh = true;
  o.caps.extended_message = true;
  o.caps.graceful_restart = GracefulRestart{true, false, 120, {{kIpv6Unicast, true}}};
  o.caps.four_octet_as = 64515;
  o.caps.unknown = {{73, {0x01, 0x61, 0x00}}};
  return o;
}

TEST(Open, AllCapabilitiesEncodeAndDecodeByteExact) {
  auto bytes = from_hex(kOpenHex);
  EXPECT_EQ(to_hex(encode_open(open_fixture())), to_hex(bytes));
  Open o = decode_as<Open>(bytes);
  EXPECT_EQ(o, open_fixture());
  EXPECT_EQ(o.asn(), 64515u);
}

TEST(Open, CapabilitiesSpreadOverSeveralParametersAndOldRouteRefreshCode) {
  // Cisco style: one capability per parameter, route refresh as code 128 and 2, the N bit set.
  auto bytes = message(1,
                       "04 0064 00b4 0a000001 16"
                       "02 06 01 04 0001 00 01"
                       "02 02 80 00"
                       "02 02 02 00"
                       "02 04 40 02 40 78");
  Open o = decode_as<Open>(bytes);
  EXPECT_EQ(o.caps.multiprotocol, std::vector<AfiSafi>{kIpv4Unicast});
  EXPECT_TRUE(o.caps.route_refresh);
  ASSERT_TRUE(o.caps.graceful_restart);
  EXPECT_TRUE(o.caps.graceful_restart->notification);
  EXPECT_FALSE(o.caps.graceful_restart->restarting);
  EXPECT_EQ(o.caps.graceful_restart->restart_time, 120);
  EXPECT_EQ(o.asn(), 100u);
}

// RFC 9072 3: Non-Ext OP Len 255, Non-Ext OP Type 255, 2-octet Extended Opt. Parm. Length, and
// 2-octet parameter lengths.
TEST(Open, ExtendedOptionalParametersLengthWhenCapabilitiesExceed255Octets) {
  Open o;
  o.my_as = 64515;
  o.hold_time = 90;
  o.bgp_id = 1;
  for (uint16_t afi = 1; afi <= 64; afi++)
    o.caps.multiprotocol.push_back({afi, 1});
  std::string caps;
  for (unsigned afi = 1; afi <= 64; afi++)
    caps += fmt::format("0104{:04x}0001", afi);
  auto bytes = message(1, "04 fc03 005a 00000001 ff ff 0183 02 0180" + caps);
  EXPECT_EQ(to_hex(encode_open(o)), to_hex(bytes));
  EXPECT_EQ(decode_as<Open>(bytes), o);
}

TEST(Open, NoParameters) {
  auto bytes = message(1, "04 fc03 0000 01020304 00");
  Open o{4, 64515, 0, 0x01020304, {}};
  EXPECT_EQ(encode_open(o), bytes);
  EXPECT_EQ(decode_as<Open>(bytes), o);
}

struct OpenErrorRow {
  const char* name;
  std::string body;
  uint8_t subcode;
  std::string data;
};

void PrintTo(const OpenErrorRow& row, std::ostream* os) {
  *os << row.name;
}

class OpenErrors : public testing::TestWithParam<OpenErrorRow> {};

TEST_P(OpenErrors, ResetWithTheRfc4271Subcode) {
  const auto& row = GetParam();
  auto res = decode_message(message(1, row.body), {});
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error.code, err::open);
  EXPECT_EQ(int(res.error.subcode), int(row.subcode)) << res.error.description;
  EXPECT_EQ(to_hex(res.error.data), row.data);
  EXPECT_FALSE(res.error.description.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Rfc4271, OpenErrors,
    testing::Values(OpenErrorRow{"version_3_is_unsupported_version_with_4_as_data",
                                 "03 fc03 005a 01020304 00", err::unsupported_version, "0004"},
                    OpenErrorRow{"my_as_0_is_bad_peer_as_rfc7607", "04 0000 005a 01020304 00",
                                 err::bad_peer_as, ""},
                    OpenErrorRow{"four_octet_as_0_is_bad_peer_as_rfc7607",
                                 "04 5ba0 005a 01020304 08 02 06 41 04 00000000", err::bad_peer_as,
                                 "00000000"},
                    OpenErrorRow{"hold_time_1_is_unacceptable", "04 fc03 0001 01020304 00",
                                 err::unacceptable_hold_time, ""},
                    OpenErrorRow{"hold_time_2_is_unacceptable", "04 fc03 0002 01020304 00",
                                 err::unacceptable_hold_time, ""},
                    OpenErrorRow{"bgp_identifier_0_is_bad_rfc6286", "04 fc03 005a 00000000 00",
                                 err::bad_bgp_identifier, ""},
                    OpenErrorRow{"authentication_parameter_is_unsupported",
                                 "04 fc03 005a 01020304 04 01 02 0001",
                                 err::unsupported_optional_parameter, "01"},
                    OpenErrorRow{"capability_cut_short_is_unspecific",
                                 "04 fc03 005a 01020304 04 02 02 01 04", 0, "0104"},
                    OpenErrorRow{"parameter_length_beyond_message_is_unspecific",
                                 "04 fc03 005a 01020304 06 02 08 0104000100", 0, ""},
                    OpenErrorRow{"multiprotocol_capability_of_length_1_is_unspecific",
                                 "04 fc03 005a 01020304 05 02 03 01 01 00", 0,
                                 "0101"
                                 "00"},
                    OpenErrorRow{"graceful_restart_with_partial_family_is_unspecific",
                                 "04 fc03 005a 01020304 07 02 05 40 03 0078 00", 0,
                                 "40030078"
                                 "00"}),
    [](const auto& p) { return std::string(p.param.name); });

struct HeaderRow {
  const char* name;
  std::vector<uint8_t> bytes;
  DecodeContext ctx;
  uint8_t code;
  uint8_t subcode;
};

void PrintTo(const HeaderRow& row, std::ostream* os) {
  *os << row.name;
}

class HeaderErrors : public testing::TestWithParam<HeaderRow> {};

TEST_P(HeaderErrors, ResetWithHeaderError) {
  const auto& row = GetParam();
  auto res = decode_message(row.bytes, row.ctx);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(int(res.error.code), int(row.code));
  EXPECT_EQ(int(res.error.subcode), int(row.subcode)) << res.error.description;
}

std::vector<uint8_t> with_byte(std::vector<uint8_t> v, size_t at, uint8_t b) {
  v[at] = b;
  return v;
}

std::vector<uint8_t> big_update(size_t total) {
  std::string nlri;
  for (size_t i = 0; i < (total - 23) / 4; i++)
    nlri += fmt::format("18 0a{:02x}{:02x}", (i >> 8) & 0xff, i & 0xff);
  return test::update("400101004002004003040a000001", nlri);
}

INSTANTIATE_TEST_SUITE_P(
    Rfc4271, HeaderErrors,
    testing::Values(
        HeaderRow{"marker_not_all_ones_is_connection_not_synchronized",
                  with_byte(encode_keepalive(), 3, 0),
                  {},
                  err::header,
                  err::connection_not_synchronized},
        HeaderRow{"keepalive_of_20_octets_is_bad_length",
                  from_hex(kMarker + "0014 04 00"),
                  {},
                  err::header,
                  err::bad_message_length},
        HeaderRow{"open_shorter_than_29_is_bad_length",
                  message(1, "04 fc03 005a 01020304"),
                  {},
                  err::header,
                  err::bad_message_length},
        HeaderRow{"update_shorter_than_23_is_bad_length",
                  message(2, "0000"),
                  {},
                  err::header,
                  err::bad_message_length},
        HeaderRow{"notification_shorter_than_21_is_bad_length",
                  message(3, "06"),
                  {},
                  err::header,
                  err::bad_message_length},
        HeaderRow{"type_6_is_bad_type", message(6, ""), {}, err::header, err::bad_message_type},
        HeaderRow{"type_0_is_bad_type", message(0, ""), {}, err::header, err::bad_message_type},
        HeaderRow{"length_field_disagreeing_with_bytes_is_bad_length",
                  with_byte(encode_keepalive(), 17, 0x14),
                  {},
                  err::header,
                  err::bad_message_length},
        HeaderRow{"update_over_4096_without_extended_message_rfc8654",
                  big_update(4200),
                  {},
                  err::header,
                  err::bad_message_length},
        HeaderRow{"route_refresh_with_orf_entries_rfc7313",
                  message(5, "0001 00 01 01 0005 00"),
                  {},
                  err::route_refresh,
                  err::invalid_route_refresh_length},
        HeaderRow{"route_refresh_of_3_octets_is_rfc7313_error",
                  message(5, "0001 00"),
                  {},
                  err::route_refresh,
                  err::invalid_route_refresh_length}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(Header, UpdateOver4096AcceptedOnlyWithExtendedMessages) {
  auto bytes = big_update(8000);
  EXPECT_FALSE(decode_message(bytes, {}).ok());
  DecodeContext ctx;
  ctx.extended_message = true;
  auto res = decode_message(bytes, ctx);
  ASSERT_TRUE(res.ok()) << res.error.description;
  EXPECT_EQ(std::get<Update>(*res.message).nlri.size(), (8000 - 23) / 4);
  // RFC 8654 4: OPEN stays within 4096 octets even then.
  std::string caps;
  for (int i = 0; i < 1100; i++)
    caps += "010400010001";
  size_t caps_size = caps.size() / 2;
  auto open = message(
      1,
      fmt::format("04 fc03 005a 01020304 ff ff {:04x} 02 {:04x}", caps_size + 3, caps_size) + caps);
  EXPECT_GT(open.size(), kMaxMessageSize);
  EXPECT_FALSE(decode_message(open, ctx).ok());
}

TEST(Frame, PeekReportsLengthOnceTheHeaderIsBuffered) {
  auto ka = encode_keepalive();
  EXPECT_EQ(peek_frame(std::span(ka).first(18), {}).length, 0u);
  EXPECT_EQ(peek_frame(ka, {}).length, 19u);
  auto bad = with_byte(ka, 0, 0);
  EXPECT_TRUE(peek_frame(bad, {}).error.has_value());
}

// Whole UPDATEs. Attribute order on encode: MP_UNREACH, MP_REACH first (RFC 7606 5.1), then
// ascending type codes.
TEST(Update, Ipv4AnnouncementByteExact) {
  // RFC 4271 4.3: ORIGIN IGP, AS_PATH (4-octet, RFC 6793) 64515 3356, NEXT_HOP 192.0.2.1,
  // MED 100, COMMUNITIES 64515:1; NLRI 10.0.0.0/8 and 192.0.2.0/24.
  auto bytes = test::update(
      "40 01 01 00  40 02 0a 02 02 0000fc03 00000d1c  40 03 04 c0000201  80 04 04 00000064"
      "c0 08 04 fc030001",
      "08 0a  18 c00002");
  Update u;
  u.attrs.origin = Origin::igp;
  u.attrs.as_path = AsPath{{{SegmentType::sequence, {64515, 3356}}}};
  u.attrs.next_hop = Address::v4(0xc0000201);
  u.attrs.med = 100;
  u.attrs.communities = {0xfc030001};
  u.nlri = {*Prefix::parse("10.0.0.0/8"), *Prefix::parse("192.0.2.0/24")};
  EncodeContext ectx{true, false};
  DecodeContext dctx{true, false};
  EXPECT_EQ(to_hex(encode_update(u, ectx)), to_hex(bytes));
  EXPECT_EQ(decode_as<Update>(bytes, dctx), u);
}

TEST(Update, Ipv6MpReachWithGlobalAndLinkLocalNextHop) {
  // RFC 4760 3 and RFC 2545 3: next hop length 32 = global + link-local.
  auto bytes = test::update(
      "80 0e 2c 0002 01 20 20010db8000000000000000000000001 fe800000000000000000000000000001 00"
      "   30 20010db80001"
      "40 01 01 00  40 02 00  40 05 04 00000064");
  Update u;
  u.mp_reach = MpReach{kIpv6Unicast,
                       true,
                       *Address::parse("2001:db8::1"),
                       *Address::parse("fe80::1"),
                       {*Prefix::parse("2001:db8:1::/48")}};
  u.attrs.origin = Origin::igp;
  u.attrs.as_path = AsPath{};
  u.attrs.local_pref = 100;
  DecodeContext ibgp{true, false, false, false};
  EXPECT_EQ(to_hex(encode_update(u, EncodeContext{true, false})), to_hex(bytes));
  EXPECT_EQ(decode_as<Update>(bytes, ibgp), u);
  EXPECT_EQ(u.announced(), u.mp_reach->nlri);
}

TEST(Update, Ipv4AndIpv6Withdrawals) {
  auto bytes = message(2, "0006 18c00002 080a  000b  80 0f 08 0002 01 20 20010db8");
  Update u;
  u.withdrawn = {*Prefix::parse("192.0.2.0/24"), *Prefix::parse("10.0.0.0/8")};
  u.mp_unreach = MpUnreach{kIpv6Unicast, true, {*Prefix::parse("2001:db8::/32")}};
  EXPECT_EQ(to_hex(encode_update(u, {})), to_hex(bytes));
  Update d = decode_as<Update>(bytes);
  EXPECT_EQ(d, u);
  EXPECT_FALSE(d.end_of_rib());
  EXPECT_EQ(d.all_withdrawn().size(), 3u);
}

// RFC 4724 2: End-of-RIB is an empty UPDATE for IPv4 unicast and an UPDATE with only an empty
// MP_UNREACH_NLRI for other families.
TEST(Update, EndOfRibMarkers) {
  auto v4 = message(2, "0000 0000");
  auto v6 = message(2, "0000 0006 800f03 0002 01");
  EXPECT_EQ(encode_end_of_rib(kIpv4Unicast), v4);
  EXPECT_EQ(to_hex(encode_end_of_rib(kIpv6Unicast)), to_hex(v6));
  EXPECT_EQ(decode_as<Update>(v4).end_of_rib(), kIpv4Unicast);
  EXPECT_EQ(decode_as<Update>(v6).end_of_rib(), kIpv6Unicast);
  // Not End-of-RIB: an UPDATE that withdraws something.
  EXPECT_EQ(decode_as<Update>(message(2, "0002 080a 0000")).end_of_rib(), std::nullopt);
}

TEST(Update, HostBitsInPrefixesAreCleared) {
  auto u = decode_as<Update>(message(2, "0000 0000 17 c00003"));  // 192.0.3.0/23
  ASSERT_EQ(u.nlri.size(), 1u);
  EXPECT_EQ(fmt::format("{}", u.nlri[0]), "192.0.2.0/23");
}

}  // namespace
}  // namespace bpfr::bgp

namespace bpfr::bgp {
namespace {

// Fixture from tcpdump tests/bgp-extended-optional-parameters-length.pcapng (an FRR OPEN that
// uses the RFC 9072 encoding with one capability per parameter; tshark 4.0 calls it malformed).
TEST(Open, Rfc9072CaptureFromFrr) {
  auto bytes = test::from_hex(
      "ffffffffffffffffffffffffffffffff008c010400ae00b406060606ffff006c020006010400010001020006"
      "0104000200010200028000020002020002000246000200064104000000ae020002060002000a450800010101"
      "0002010102001349110f65786974312d64656269616e2d31310002000440020078020010470e000101800001"
      "6800020180000168");
  auto res = decode_message(bytes, {});
  ASSERT_TRUE(res.ok()) << res.error.description;
  const auto& o = std::get<Open>(*res.message);
  EXPECT_EQ(o.my_as, 174);
  EXPECT_EQ(o.hold_time, 180);
  EXPECT_EQ(o.bgp_id, 0x06060606u);
  EXPECT_EQ(o.caps.multiprotocol, (std::vector<AfiSafi>{kIpv4Unicast, kIpv6Unicast}));
  EXPECT_TRUE(o.caps.route_refresh);
  EXPECT_TRUE(o.caps.enhanced_route_refresh);
  EXPECT_TRUE(o.caps.extended_message);
  EXPECT_EQ(o.caps.four_octet_as, 174u);
  ASSERT_TRUE(o.caps.graceful_restart);
  EXPECT_EQ(o.caps.graceful_restart->restart_time, 120);
  ASSERT_EQ(o.caps.unknown.size(), 3u);  // ADD-PATH (69), FQDN (73), LLGR (71)
  EXPECT_EQ(o.caps.unknown[0].code, cap::add_path);
  EXPECT_EQ(o.caps.unknown[1].code, 73);
  EXPECT_EQ(o.caps.unknown[2].code, 71);

  auto again = decode_message(encode_open(o), {});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(std::get<Open>(*again.message), o);
}

// Text from tcpdump tests/bgp-shutdown-communication.pcapng (RFC 8203 / 9003).
TEST(Notification, ShutdownCommunicationText) {
  std::string text = "This is a test of the shutdown communication system.";
  std::string wire = char(text.size()) + text;
  Notification n{err::cease, 2, {wire.begin(), wire.end()}};
  EXPECT_EQ(shutdown_communication(n), text);
  n.data[0] = uint8_t(text.size() + 1);  // length past the data
  EXPECT_EQ(shutdown_communication(n), std::nullopt);
  EXPECT_EQ(shutdown_communication(Notification{err::cease, 2, {}}), std::nullopt);
  EXPECT_EQ(shutdown_communication(Notification{err::cease, 6, {0}}), std::nullopt);
}

// RFC 8538 5, as in tcpdump tests/bgp-cease-hard-reset.pcap (6/9 wrapping 6/3) and
// bgp-malformed-hard-reset.pcap (6/9 without the inner code and subcode).
TEST(Notification, HardResetCause) {
  auto cause = hard_reset_cause(Notification{err::cease, 9, {6, 3}});
  ASSERT_TRUE(cause);
  EXPECT_EQ(cause->code, err::cease);
  EXPECT_EQ(cause->subcode, 3);
  EXPECT_EQ(hard_reset_cause(Notification{err::cease, 9, {6}}), std::nullopt);
  EXPECT_EQ(hard_reset_cause(Notification{err::cease, 2, {6, 3}}), std::nullopt);
}

}  // namespace
}  // namespace bpfr::bgp
