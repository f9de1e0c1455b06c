// The Prometheus exposition: rendered from values, and scraped over HTTP from pinned maps.
#include "stats/metrics.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <map>
#include <regex>
#include <sstream>

#include "stats/pinned_maps.h"

namespace bpfr::stats {
namespace {

// "name{labels}" -> value, checking every line is a comment or a sample.
std::map<std::string, double> parse(const std::string& text) {
  static const std::regex sample(R"(^([a-z_]+)(\{[^}]*\})? (-?[0-9.e+]+)$)");
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE "))
      continue;
    std::smatch m;
    EXPECT_TRUE(std::regex_match(line, m, sample)) << line;
    if (!m.empty())
      out[m[1].str() + m[2].str()] = std::stod(m[3].str());
  }
  return out;
}

Snapshot snapshot() {
  Snapshot s;
  s.slot_capacity = 64;
  s.counter_bytes = 2048;
  SlotCounter agg;
  agg.packets = 9;
  agg.bytes = 900;
  s.slots.push_back(agg);
  for (uint32_t i = 1; i <= 3; i++) {
    SlotCounter c;
    c.slot = i;
    c.state = BPFR_SLOT_LIVE;
    c.prefix = *Prefix::parse(fmt::format("10.{}.0.0/16", i));
    c.packets = i;
    c.bytes = 100 * i;
    s.slots.push_back(c);
  }
  s.reasons[BPFR_DROP_URPF] = {5, 500};
  s.lists = {{ListKind::destination, *Prefix::parse("2001:db8::/32"), BPFR_LIST_DROP, 1, 3, 30}};
  return s;
}

std::vector<control::ProtocolInfo> protocols() {
  control::ProtocolInfo p{"upstream1", "BGP", "---", "up"};
  p.bgp = control::BgpDetails{"Established", *Address::parse("192.0.2.20"), 64501, 64500};
  control::ChannelInfo ch;
  ch.name = "ipv4";
  ch.imported = 12;
  ch.import_updates.received = 40;
  ch.import_withdraws.received = 3;
  p.channels = {ch};
  control::ProtocolInfo s{"static4", "Static", "master4", "down"};
  return {p, s};
}

TEST(Metrics, RendersEveryFamily) {
  auto snap = snapshot();
  auto m = parse(render_metrics(&snap, protocols(), 10));
  EXPECT_EQ(m["bpfrouter_dataplane_up"], 1);
  EXPECT_EQ(m["bpfrouter_prefix_packets_total{prefix=\"10.3.0.0/16\",state=\"live\"}"], 3);
  EXPECT_EQ(m["bpfrouter_prefix_bytes_total{prefix=\"aggregate\",state=\"live\"}"], 900);
  EXPECT_EQ(m["bpfrouter_reason_packets_total{reason=\"drop_urpf\",action=\"drop\"}"], 5);
  EXPECT_EQ(m["bpfrouter_reason_bytes_total{reason=\"forward_xdp\",action=\"forward\"}"], 0);
  EXPECT_EQ(m["bpfrouter_filter_packets_total{list=\"destination\",prefix=\"2001:db8::/32\","
              "action=\"drop\"}"],
            3);
  EXPECT_EQ(m["bpfrouter_counter_slots_in_use"], 3);
  EXPECT_EQ(m["bpfrouter_counter_memory_bytes"], 2048);
  EXPECT_EQ(m["bpfrouter_protocol_up{protocol=\"upstream1\",proto=\"BGP\"}"], 1);
  EXPECT_EQ(m["bpfrouter_protocol_up{protocol=\"static4\",proto=\"Static\"}"], 0);
  EXPECT_EQ(m["bpfrouter_bgp_session_state{protocol=\"upstream1\",neighbor=\"192.0.2.20\","
              "state=\"Established\"}"],
            1);
  EXPECT_EQ(m["bpfrouter_bgp_session_state{protocol=\"upstream1\",neighbor=\"192.0.2.20\","
              "state=\"Idle\"}"],
            0);
  EXPECT_EQ(m["bpfrouter_routes{protocol=\"upstream1\",channel=\"ipv4\",kind=\"imported\"}"], 12);
  EXPECT_EQ(m["bpfrouter_route_updates_total{protocol=\"upstream1\",channel=\"ipv4\","
              "direction=\"import\",kind=\"withdraws\"}"],
            3);
}

TEST(Metrics, LabelLimitFoldsTheQuietestPrefixes) {
  auto snap = snapshot();
  auto m = parse(render_metrics(&snap, {}, 1));
  EXPECT_EQ(m["bpfrouter_prefix_bytes_total{prefix=\"10.3.0.0/16\",state=\"live\"}"], 300);
  EXPECT_FALSE(m.contains("bpfrouter_prefix_bytes_total{prefix=\"10.2.0.0/16\",state=\"live\"}"));
  EXPECT_EQ(m["bpfrouter_prefix_bytes_total{prefix=\"other\",state=\"live\"}"], 300);
  EXPECT_EQ(m["bpfrouter_prefix_packets_total{prefix=\"other\",state=\"live\"}"], 3);
  EXPECT_EQ(m["bpfrouter_prefix_series_folded"], 2);
}

TEST(Metrics, WithoutTheDataPlaneOnlySessions) {
  auto m = parse(render_metrics(nullptr, protocols(), 10));
  EXPECT_EQ(m["bpfrouter_dataplane_up"], 0);
  EXPECT_FALSE(m.contains("bpfrouter_counter_slots_in_use"));
  EXPECT_EQ(m["bpfrouter_protocol_up{protocol=\"upstream1\",proto=\"BGP\"}"], 1);
}

TEST(Metrics, LabelValuesAreEscaped) {
  auto ps = protocols();
  ps[0].name = "a\"b\\c";
  auto text = render_metrics(nullptr, ps, 10);
  EXPECT_NE(text.find("protocol=\"a\\\"b\\\\c\""), std::string::npos);
}

TEST(MetricsServer, ScrapedOverHttpFromPinnedMaps) {
  testing::PinnedMaps maps("bpfr-test-metrics");
  maps.slot(1, *Prefix::parse("2001:db8:100::/48"), BPFR_SLOT_LIVE, 1, 0);
  maps.route_counters(1, {{11, 1100}});
  maps.reason_counters(BPFR_DROP_BLACKHOLE, {{2, 200}});

  MetricsOptions o;
  o.port = 0;
  o.pin_root = maps.root();
  MetricsServer server(o);
  server.start();
  server.publish(protocols());
  ASSERT_NE(server.port(), 0);

  httplib::Client client("127.0.0.1", server.port());
  auto res = client.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  auto m = parse(res->body);
  EXPECT_EQ(m["bpfrouter_dataplane_up"], 1);
  EXPECT_EQ(m["bpfrouter_prefix_packets_total{prefix=\"2001:db8:100::/48\",state=\"live\"}"], 11);
  EXPECT_EQ(m["bpfrouter_reason_bytes_total{reason=\"drop_blackhole\",action=\"drop\"}"], 200);
  EXPECT_EQ(m["bpfrouter_routes{protocol=\"upstream1\",channel=\"ipv4\",kind=\"imported\"}"], 12);

  EXPECT_EQ(client.Get("/other")->status, 404);
  server.stop();
}

}  // namespace
}  // namespace bpfr::stats
