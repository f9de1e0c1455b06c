// Stats reports from snapshots built as values: rates, ordering, --top, --prefix, the text
// layout (golden/report.txt) and the JSON schema field by field.
#include "stats/report.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace bpfr::stats {
namespace {

Prefix net(const char* t) {
  return *Prefix::parse(t);
}

constexpr uint64_t kSecond = 1'000'000'000;
constexpr uint64_t kRealtime = 1796306928ull * kSecond;  // 2026-12-03 14:08:48 UTC

SlotCounter slot(uint32_t n, const char* prefix, uint8_t state, uint64_t packets, uint64_t bytes,
                 uint32_t generation = 1) {
  SlotCounter c;
  c.slot = n;
  c.state = state;
  c.generation = generation;
  if (prefix)
    c.prefix = net(prefix);
  c.packets = packets;
  c.bytes = bytes;
  c.since_ns = prefix ? kRealtime - 60 * kSecond : 0;
  return c;
}

// Two snapshots two seconds apart.
std::pair<Snapshot, Snapshot> lab() {
  Snapshot a;
  a.mono_ns = 5 * kSecond;
  a.realtime_ns = kRealtime - 2 * kSecond;
  a.slot_capacity = 65536;
  a.cpus = 2;
  a.counter_bytes = 65536ull * 2 * 16;
  a.slots = {slot(0, nullptr, BPFR_SLOT_LIVE, 1000, 100000),
             slot(1, "2001:db8:100::/48", BPFR_SLOT_LIVE, 500, 750000),
             slot(2, "198.51.100.0/24", BPFR_SLOT_LIVE, 100, 10000),
             slot(3, "203.0.113.0/24", BPFR_SLOT_WITHDRAWN, 40, 4000),
             slot(4, "100.64.0.0/16", BPFR_SLOT_LIVE, 7, 700, 1)};
  a.reasons[BPFR_FORWARD_XDP] = {1500, 850000};
  a.reasons[BPFR_PASS_NO_NEIGH] = {10, 1000};
  a.reasons[BPFR_DROP_BLACKHOLE] = {40, 4000};
  a.ifaces = {{2, 0, BPFR_ROLE_UPSTREAM, {1000, 100000, 900, 90000, 10, 40}},
              {9, 1, BPFR_ROLE_INTERNAL, {50, 5000, 60, 6000, 0, 0}}};
  a.lists = {{ListKind::source, net("192.0.2.0/24"), BPFR_LIST_DROP, 0, 4, 400}};

  Snapshot b = a;
  b.mono_ns += 2 * kSecond;
  b.realtime_ns = kRealtime;
  b.slots[0].packets += 200, b.slots[0].bytes += 20000;
  b.slots[1].packets += 1000, b.slots[1].bytes += 1500000;  // 500 pps, 6 Mbit/s
  b.slots[2].packets += 20, b.slots[2].bytes += 2000;
  b.slots[4] = slot(4, "100.65.0.0/24", BPFR_SLOT_LIVE, 3, 300, 2);  // handed to another prefix
  b.reasons[BPFR_FORWARD_XDP].packets += 1220, b.reasons[BPFR_FORWARD_XDP].bytes += 1522000;
  b.reasons[BPFR_DROP_BLACKHOLE].packets += 2, b.reasons[BPFR_DROP_BLACKHOLE].bytes += 200;
  b.ifaces[0].sum.rx_packets += 1222, b.ifaces[0].sum.rx_bytes += 1522200;
  b.lists[0].packets += 2, b.lists[0].bytes += 200;
  return {a, b};
}

ReportOptions options() {
  ReportOptions o;
  o.ifname = [](uint32_t ifindex) { return ifindex == 2 ? std::string("eth0") : std::string(); };
  return o;
}

TEST(Report, RatesAreDeltasOverTheInterval) {
  auto [a, b] = lab();
  auto r = make_report(&a, b, options());
  EXPECT_DOUBLE_EQ(r.interval_s, 2.0);
  ASSERT_EQ(r.prefixes.size(), 5u);
  EXPECT_EQ(r.prefixes[0].counter.prefix, net("2001:db8:100::/48"));
  EXPECT_DOUBLE_EQ(r.prefixes[0].rate->pps, 500);
  EXPECT_DOUBLE_EQ(r.prefixes[0].rate->bps, 6e6);
  EXPECT_EQ(r.prefixes[1].counter.slot, 0u);  // the aggregate: 80 kbit/s
  EXPECT_EQ(r.prefixes[2].counter.prefix, net("198.51.100.0/24"));
  EXPECT_DOUBLE_EQ(r.prefixes[3].rate->bps, 0);  // withdrawn, still readable
  EXPECT_EQ(r.prefixes[3].counter.state, BPFR_SLOT_WITHDRAWN);
  EXPECT_FALSE(r.prefixes[4].rate);  // new owner of slot 4: no rate yet
  EXPECT_EQ(r.slots_in_use, 4u);
}

TEST(Report, CountersThatWentBackHaveNoRate) {
  auto [a, b] = lab();
  b.slots[2].packets = 1;
  auto r = make_report(&a, b, options());
  for (const auto& p : r.prefixes) {
    if (p.counter.slot == 2) {
      EXPECT_FALSE(p.rate);
    }
  }
}

TEST(Report, TopAndPrefixNarrow) {
  auto [a, b] = lab();
  auto o = options();
  o.top = 2;
  auto r = make_report(&a, b, o);
  EXPECT_EQ(r.prefixes.size(), 2u);
  EXPECT_EQ(r.prefixes_matched, 5u);

  struct Row {
    const char* filter;
    std::vector<uint32_t> slots;
  };
  const Row rows[] = {
      {"2001:db8::/32", {1}},      // covers a prefix
      {"198.51.100.128/25", {2}},  // inside a prefix
      {"100.64.0.0/10", {4}},      // covers the new owner of slot 4
      {"10.0.0.0/8", {}},          // nothing; the aggregate is never matched
  };
  for (const auto& row : rows) {
    auto o2 = options();
    o2.prefix = net(row.filter);
    std::vector<uint32_t> got;
    for (const auto& p : make_report(&a, b, o2).prefixes)
      got.push_back(p.counter.slot);
    EXPECT_EQ(got, row.slots) << row.filter;
  }
}

TEST(Report, ActionsSumTheirReasons) {
  auto [a, b] = lab();
  auto r = make_report(&a, b, options());
  ASSERT_EQ(r.actions.size(), 3u);
  EXPECT_EQ(r.actions[0].name, "forward");
  EXPECT_EQ(r.actions[0].packets, 2720u);
  EXPECT_EQ(r.actions[1].packets, 10u);
  EXPECT_EQ(r.actions[2].packets, 42u);
  EXPECT_DOUBLE_EQ(r.actions[2].rate->pps, 1.0);
}

std::string read_golden(const std::string& name) {
  std::ifstream in(std::string(BPFR_SOURCE_DIR) + "/tests/stats/golden/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Report, TextLayout) {
  auto [a, b] = lab();
  EXPECT_EQ(format_text(make_report(&a, b, options())), read_golden("report.txt"));
}

TEST(Report, JsonFieldByField) {
  auto [a, b] = lab();
  auto j = to_json(make_report(&a, b, options()), "/sys/fs/bpf/bpfrouter");
  EXPECT_EQ(j["schema"], "bpfrouter-stats/1");
  EXPECT_EQ(j["time"], "2026-12-03T14:08:48.000Z");
  EXPECT_EQ(j["interval_s"], 2.0);
  EXPECT_EQ(j["pin_root"], "/sys/fs/bpf/bpfrouter");
  EXPECT_EQ(j["slots"]["capacity"], 65536);
  EXPECT_EQ(j["slots"]["in_use"], 4);
  EXPECT_EQ(j["slots"]["counter_bytes"], 2097152);
  EXPECT_EQ(j["slots"]["cpus"], 2);

  const auto& p0 = j["prefixes"][0];
  EXPECT_EQ(p0["slot"], 1);
  EXPECT_EQ(p0["prefix"], "2001:db8:100::/48");
  EXPECT_EQ(p0["state"], "live");
  EXPECT_EQ(p0["generation"], 1);
  EXPECT_EQ(p0["since"], "2026-12-03T14:07:48.000Z");
  EXPECT_EQ(p0["packets"], 1500);
  EXPECT_EQ(p0["bytes"], 2250000);
  EXPECT_EQ(p0["pps"], 500.0);
  EXPECT_EQ(p0["bps"], 6e6);
  EXPECT_EQ(j["prefixes"][1]["prefix"], nullptr);
  EXPECT_EQ(j["prefixes"][1]["state"], "aggregate");
  EXPECT_EQ(j["prefixes"][3]["state"], "withdrawn");
  EXPECT_EQ(j["prefixes"][4]["pps"], nullptr);
  EXPECT_EQ(j["prefixes_matched"], 5);

  EXPECT_EQ(j["actions"][2]["action"], "drop");
  EXPECT_EQ(j["actions"][2]["packets"], 42);
  EXPECT_EQ(j["reasons"].size(), 28u);  // every named reason
  EXPECT_EQ(j["reasons"][16]["reason"], "drop_blackhole");
  EXPECT_EQ(j["reasons"][16]["id"], BPFR_DROP_BLACKHOLE);
  EXPECT_EQ(j["reasons"][16]["action"], "drop");
  EXPECT_EQ(j["reasons"][16]["bytes"], 4200);
  EXPECT_EQ(j["reasons"][16]["bps"], 800.0);

  const auto& eth0 = j["interfaces"][0];
  EXPECT_EQ(eth0["ifindex"], 2);
  EXPECT_EQ(eth0["name"], "eth0");
  EXPECT_EQ(eth0["role"], "upstream");
  EXPECT_EQ(eth0["rx_packets"], 2222);
  EXPECT_EQ(eth0["drop_packets"], 40);
  EXPECT_EQ(eth0["rx_pps"], 611.0);
  EXPECT_EQ(eth0["tx_bps"], 0.0);
  EXPECT_EQ(j["interfaces"][1]["name"], nullptr);  // not in this namespace

  const auto& f = j["filters"][0];
  EXPECT_EQ(f["list"], "source");
  EXPECT_EQ(f["prefix"], "192.0.2.0/24");
  EXPECT_EQ(f["action"], "drop");
  EXPECT_EQ(f["packets"], 6);
  EXPECT_EQ(f["pps"], 1.0);
}

TEST(Report, CountersOnlyWithoutAnEarlierSnapshot) {
  auto [a, b] = lab();
  auto r = make_report(nullptr, b, options());
  EXPECT_EQ(r.interval_s, 0);
  for (const auto& p : r.prefixes) {
    EXPECT_FALSE(p.rate);
  }
  EXPECT_EQ(r.prefixes[0].counter.prefix, net("2001:db8:100::/48"));  // by bytes
}

TEST(Report, SiUnits) {
  struct Row {
    double v;
    const char* text;
  };
  for (auto [v, text] : {Row{0, "0.0"}, Row{999, "999.0"}, Row{1000, "1.00k"}, Row{6e6, "6.00M"},
                         Row{1.5e9, "1.50G"}})
    EXPECT_EQ(si(v), text);
}

}  // namespace
}  // namespace bpfr::stats

namespace bpfr::stats {
namespace {

TEST(Reasons, EveryReasonHasANameAndTheActionItsPrefixSays) {
  for (uint32_t r = 0; r < BPFR_REASON_MAX; r++) {
    auto name = reason_name(r);
    if (!name)
      continue;
    auto action = std::string(action_name(reason_action(r)));
    EXPECT_TRUE(name->starts_with(action + "_")) << *name;
  }
  EXPECT_EQ(reason_name(BPFR_PASS_NO_IFACE), "pass_no_iface");
  EXPECT_EQ(reason_action(BPFR_PASS_DISABLED), Action::pass);
  EXPECT_FALSE(reason_name(BPFR_REASON_MAX - 1));
}

}  // namespace
}  // namespace bpfr::stats
