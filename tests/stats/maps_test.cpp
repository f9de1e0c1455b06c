// Reading the pinned counter maps: per-CPU sums, slot states, interfaces, filter entries, and
// errors that name the map. Needs CAP_BPF (label bpf).
#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "stats/pinned_maps.h"
#include "stats/reader.h"
#include "stats/report.h"

namespace bpfr::stats {
namespace {

using testing::PinnedMaps;

Prefix net(const char* t) {
  return *Prefix::parse(t);
}

class MapsTest : public ::testing::Test {
 protected:
  PinnedMaps maps{"bpfr-test-stats"};

  Snapshot read() {
    auto reader = Reader::open(maps.root());
    EXPECT_TRUE(std::holds_alternative<Reader>(reader)) << std::get<std::string>(reader);
    auto snap = std::get<Reader>(reader).read();
    EXPECT_TRUE(std::holds_alternative<Snapshot>(snap)) << std::get<std::string>(snap);
    return std::get<Snapshot>(snap);
  }
};

TEST_F(MapsTest, SumsPerCpuCountersOfSlotsInUse) {
  int n = maps.cpus();
  std::vector<bpfr_counter> per_cpu;
  for (int c = 0; c < n; c++)
    per_cpu.push_back({uint64_t(c + 1), uint64_t(100 * (c + 1))});
  uint64_t sum_p = uint64_t(n) * (n + 1) / 2, sum_b = 100 * sum_p;

  maps.slot(1, net("2001:db8:100::/48"), BPFR_SLOT_LIVE, 3, 1000);
  maps.slot(2, net("198.51.100.0/24"), BPFR_SLOT_WITHDRAWN, 1, 2000);
  maps.route_counters(0, {{7, 700}});
  maps.route_counters(1, per_cpu);
  maps.route_counters(2, {{5, 500}});
  maps.route_counters(3, {{9, 900}});  // a free slot: never shown

  auto s = read();
  EXPECT_EQ(s.slot_capacity, PinnedMaps::kSlots);
  EXPECT_EQ(s.counter_bytes, uint64_t(PinnedMaps::kSlots) * n * sizeof(bpfr_counter));
  ASSERT_EQ(s.slots.size(), 3u);
  EXPECT_EQ(s.slots[0].slot, 0u);
  EXPECT_FALSE(s.slots[0].prefix);
  EXPECT_EQ(s.slots[0].packets, 7u);
  EXPECT_EQ(s.slots[1].prefix, net("2001:db8:100::/48"));
  EXPECT_EQ(s.slots[1].state, BPFR_SLOT_LIVE);
  EXPECT_EQ(s.slots[1].generation, 3u);
  EXPECT_EQ(s.slots[1].packets, sum_p);
  EXPECT_EQ(s.slots[1].bytes, sum_b);
  EXPECT_EQ(s.slots[2].prefix, net("198.51.100.0/24"));
  EXPECT_EQ(s.slots[2].state, BPFR_SLOT_WITHDRAWN);
  EXPECT_EQ(s.slots[2].since_ns, 2000u);
}

TEST_F(MapsTest, ReadsReasonsInterfacesAndFilterEntries) {
  maps.reason_counters(BPFR_DROP_BLACKHOLE, {{4, 400}, {6, 600}});
  maps.reason_counters(BPFR_FORWARD_XDP, {{10, 1000}});
  bpfr_iface_counters ic{1, 2, 3, 4, 5, 6};
  maps.iface(7, 2, BPFR_ROLE_UPSTREAM, {ic, ic});
  maps.list_entry(true, net("192.0.2.0/24"), 4, BPFR_LIST_DROP, {{3, 300}});
  maps.list_entry(false, net("2001:db8:bad::/48"), 2, BPFR_LIST_ALLOW, {{1, 100}});

  auto s = read();
  bool two = maps.cpus() > 1;
  EXPECT_EQ(s.reasons[BPFR_DROP_BLACKHOLE].packets, two ? 10u : 4u);
  EXPECT_EQ(s.reasons[BPFR_FORWARD_XDP].bytes, 1000u);
  ASSERT_EQ(s.ifaces.size(), 1u);
  EXPECT_EQ(s.ifaces[0].ifindex, 7u);
  EXPECT_EQ(s.ifaces[0].row, 2u);
  EXPECT_EQ(s.ifaces[0].role, BPFR_ROLE_UPSTREAM);
  EXPECT_EQ(s.ifaces[0].sum.rx_packets, two ? 2u : 1u);
  EXPECT_EQ(s.ifaces[0].sum.drop_packets, two ? 12u : 6u);
  ASSERT_EQ(s.lists.size(), 2u);
  EXPECT_EQ(s.lists[0].id, 2u);
  EXPECT_EQ(s.lists[0].list, ListKind::destination);
  EXPECT_EQ(s.lists[0].prefix, net("2001:db8:bad::/48"));
  EXPECT_EQ(s.lists[0].action, BPFR_LIST_ALLOW);
  EXPECT_EQ(s.lists[1].prefix, net("192.0.2.0/24"));
  EXPECT_EQ(s.lists[1].packets, 3u);
}

TEST_F(MapsTest, RatesAreExactDeltasOfTheSums) {
  maps.slot(1, net("10.1.0.0/16"), BPFR_SLOT_LIVE, 1, 0);
  maps.route_counters(1, {{100, 10000}});
  auto before = read();
  maps.route_counters(1, {{300, 50000}});
  auto after = read();
  after.mono_ns = before.mono_ns + 2'000'000'000;  // exactly two seconds

  auto r = make_report(&before, after, {});
  ASSERT_EQ(r.prefixes[0].counter.prefix, net("10.1.0.0/16"));
  ASSERT_TRUE(r.prefixes[0].rate);
  EXPECT_DOUBLE_EQ(r.prefixes[0].rate->pps, 100.0);
  EXPECT_DOUBLE_EQ(r.prefixes[0].rate->bps, 160000.0);
}

TEST_F(MapsTest, MissingPinRootIsNamed) {
  auto reader = Reader::open(maps.root() + "/nothing");
  ASSERT_TRUE(std::holds_alternative<std::string>(reader));
  EXPECT_EQ(std::get<std::string>(reader),
            "cannot open pinned map " + maps.root() +
                "/nothing/route_stats_v1: No such file or directory (is the data plane loaded, "
                "and the pin root right?)");
}

TEST(MapsLayout, AnotherLayoutIsRefused) {
  std::string root = "/sys/fs/bpf/bpfr-test-stats-layout-" + std::to_string(getpid());
  std::filesystem::create_directories(root);
  int fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "route_stats", 4, 24, 4, nullptr);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(bpf_obj_pin(fd, map_path(root, "route_stats").c_str()), 0);
  auto reader = Reader::open(root);
  close(fd);
  std::filesystem::remove_all(root);
  ASSERT_TRUE(std::holds_alternative<std::string>(reader));
  EXPECT_EQ(std::get<std::string>(reader),
            "pinned map " + root +
                "/route_stats_v1 has type 6, key 4 and value 24 bytes; this bpfrouter expects "
                "type 6, key 4 and value 16 (a different layout version)");
}

}  // namespace
}  // namespace bpfr::stats
