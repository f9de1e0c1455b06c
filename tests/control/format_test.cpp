// Formatter output against replies captured from BIRD 2.0.12 (golden/*.wire, made by
// capture-golden.sh) for the same protocols, routes and interfaces.
#include "control/format.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "control/lab.h"

namespace bpfr::control {
namespace {

class Golden : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
  }
};

std::vector<RouteTable> only(std::vector<RouteTable> tables, const char* net) {
  for (auto& t : tables)
    std::erase_if(t.routes, [&](const RouteInfo& r) { return r.net.str() != net; });
  return tables;
}

TEST_F(Golden, MatchesBirdCaptures) {
  auto now = lab::now();
  auto protocols = lab::protocols();
  std::vector<ProtocolInfo> upstream1 = {protocols.back()};
  auto tables = lab::tables();
  std::vector<RouteCount> counts = {{"master4", 6, 6, 6}, {"master6", 3, 3, 3}};
  std::vector<RouteCount> static6 = {{"master6", 2, 3, 3}};
  auto ifaces = lab::interfaces();

  struct Row {
    const char* golden;
    Reply reply;
  };
  const Row rows[] = {
      {"show_status", format_status(lab::status())},
      {"show_protocols", format_protocols(protocols, false, now)},
      {"show_protocols_all", format_protocols(protocols, true, now)},
      {"show_protocols_all_upstream1", format_protocols(upstream1, true, now)},
      {"show_route", format_routes(tables, false, now)},
      {"show_route_all", format_routes(tables, true, now)},
      {"show_route_for_all", format_routes(only(tables, "100.64.0.0/16"), true, now)},
      {"show_route_count", format_route_counts(counts)},
      {"show_route_protocol_static6_count", format_route_counts(static6)},
      {"show_interfaces", format_interfaces(ifaces)},
      {"show_interfaces_summary", format_interfaces_summary(ifaces)},
  };
  for (const auto& row : rows)
    EXPECT_EQ(row.reply.wire(), lab::golden(row.golden)) << row.golden;
}

TEST_F(Golden, OldTimesPrintAsDates) {
  auto now = lab::now();
  EXPECT_EQ(short_time(lab::at("14:08:48.903"), now), "14:08:48.903");
  EXPECT_EQ(short_time(now - std::chrono::hours(21), now), "2026-12-02");
  EXPECT_EQ(long_time(lab::at("01:02:03.004")), "2026-12-03 01:02:03.004");
  EXPECT_EQ(iso_time(lab::at("01:02:03.004")), "2026-12-03T01:02:03.004Z");
}

TEST_F(Golden, SecondRouteOfANetworkLeavesThePrefixBlank) {
  auto tables = only(lab::tables(), "198.51.100.0/24");
  auto second = tables[0].routes[0];
  second.primary = false;
  second.preference = 100;
  tables[0].routes.push_back(second);
  auto lines = format_routes(tables, false, lab::now()).lines();
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[3].text, "                     unicast [static4 14:08:48.903] (100)");
}

TEST_F(Golden, MultipathNextHopsCarryWeights) {
  auto tables = only(lab::tables(), "198.51.100.0/24");
  tables[0].routes[0].nexthops.push_back({*Address::parse("192.0.2.11"), "dummy0", 2});
  auto lines = format_routes(tables, false, lab::now()).lines();
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[2].text, "\tvia 192.0.2.10 on dummy0 weight 1");
  EXPECT_EQ(lines[3].text, "\tvia 192.0.2.11 on dummy0 weight 2");
}

TEST_F(Golden, JsonCarriesTheSameFacts) {
  auto j = protocols_json(lab::protocols());
  const auto& up = j["protocols"][5];
  EXPECT_EQ(up["name"], "upstream1");
  EXPECT_EQ(up["state"], "up");
  EXPECT_EQ(up["since"], "2026-12-03T14:08:53.006Z");
  EXPECT_EQ(up["bgp"]["state"], "Established");
  EXPECT_EQ(up["bgp"]["neighbor_address"], "192.0.2.20");
  EXPECT_EQ(up["bgp"]["neighbor_as"], 64501);
  EXPECT_EQ(up["bgp"]["hold_timer"]["configured"], 240);
  EXPECT_EQ(up["channels"][0]["routes"]["imported"], 2);
  EXPECT_EQ(up["channels"][0]["export_updates"]["filtered"], 4);
  EXPECT_TRUE(up["channels"][0]["export_updates"]["ignored"].is_null());

  auto r = routes_json(lab::tables());
  const auto& route = r["tables"][0]["routes"][4];
  EXPECT_EQ(route["network"], "100.64.0.0/16");
  EXPECT_EQ(route["nexthops"][0]["gateway"], "192.0.2.20");
  EXPECT_EQ(route["attributes"]["BGP.community"], "(64501,100)");
  EXPECT_EQ(r["tables"][1]["routes"][2]["nexthops"][0]["gateway"], nullptr);

  auto c = route_counts_json(std::vector<RouteCount>{{"master4", 6, 6, 6}, {"master6", 2, 3, 3}});
  EXPECT_EQ(c["total"]["matched"], 8);
  EXPECT_EQ(c["total"]["routes"], 9);

  auto s = status_json(lab::status());
  EXPECT_EQ(s["router_id"], "192.0.2.1");
  EXPECT_EQ(s["last_reboot"], "2026-12-03T14:08:48.903Z");

  auto i = interfaces_json(lab::interfaces());
  EXPECT_EQ(i["interfaces"][1]["addresses"][0]["address"], "192.0.2.1");
  EXPECT_EQ(i["interfaces"][1]["addresses"][0]["prefixlen"], 24);
}

TEST_F(Golden, JsonReplyParsesBack) {
  auto doc = status_json(lab::status());
  Reply r = json_reply(doc);
  ReplyDecoder d;
  d.feed(r.wire());
  std::string text;
  while (auto l = d.next()) {
    if (l->code == code::json)
      text += l->text + "\n";
  }
  EXPECT_EQ(nlohmann::json::parse(text), doc);
}

}  // namespace
}  // namespace bpfr::control
