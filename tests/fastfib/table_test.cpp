// The fast tables against a plain longest-prefix match, in plain memory (no BPF here).
#include <gtest/gtest.h>

#include <random>

#include "dataplane/fast_table.h"
#include "fastfib/reference.h"

namespace bpfr::dp {
namespace {

using testing::decode_entry;
using testing::random_inside;
using testing::ReferenceLpm;

// A table in plain memory with its own backing store.
struct Table {
  explicit Table(TableShape shape, size_t nodes = 4096)
      : root(size_t(1) << shape.root_bits),
        node_mem(nodes * BPFR_FIB_NODE_ENTRIES),
        table(shape, root, node_mem, std::chrono::milliseconds(0)) {}

  std::vector<uint64_t> root;
  std::vector<uint64_t> node_mem;
  MultibitTable table;
};

Prefix P(const char* text) { return *Prefix::parse(text); }
Address A(const char* text) { return *Address::parse(text); }
FibResult R(uint32_t slot, uint32_t nexthop = 1) { return FibResult{slot, nexthop, 0, 0}; }

std::optional<uint32_t> slot_for(const MultibitTable& t, const char* addr) {
  auto r = decode_entry(t.lookup(A(addr)));
  return r ? std::optional(r->slot) : std::nullopt;
}

TEST(Fib4, LongestPrefixWinsWhateverTheOrder) {
  Table t(kFib4Shape);
  t.table.set(P("10.1.2.128/25"), R(25));
  t.table.set(P("10.0.0.0/8"), R(8));
  t.table.set(P("10.1.2.3/32"), R(32));
  t.table.set(P("10.1.0.0/16"), R(16));
  t.table.set(P("0.0.0.0/0"), R(0xf0));

  EXPECT_EQ(slot_for(t.table, "10.1.2.3"), 32u);
  EXPECT_EQ(slot_for(t.table, "10.1.2.200"), 25u);
  EXPECT_EQ(slot_for(t.table, "10.1.2.4"), 16u);
  EXPECT_EQ(slot_for(t.table, "10.9.0.1"), 8u);
  EXPECT_EQ(slot_for(t.table, "192.0.2.1"), 0xf0u);
}

TEST(Fib4, RemovingAPrefixHandsItsAddressesToTheCover) {
  Table t(kFib4Shape);
  t.table.set(P("10.0.0.0/8"), R(8));
  t.table.set(P("10.1.0.0/16"), R(16));
  t.table.set(P("10.1.2.0/26"), R(26));

  ASSERT_TRUE(t.table.remove(P("10.1.0.0/16")));
  EXPECT_EQ(slot_for(t.table, "10.1.9.9"), 8u);
  EXPECT_EQ(slot_for(t.table, "10.1.2.1"), 26u);

  ASSERT_TRUE(t.table.remove(P("10.1.2.0/26")));
  EXPECT_EQ(slot_for(t.table, "10.1.2.1"), 8u);
  EXPECT_EQ(t.table.nodes_in_use(), 0u) << "the group must be freed with its last route";

  ASSERT_TRUE(t.table.remove(P("10.0.0.0/8")));
  EXPECT_EQ(slot_for(t.table, "10.1.2.1"), std::nullopt);
  EXPECT_FALSE(t.table.remove(P("10.0.0.0/8")));
}

TEST(Fib4, ReplacingANextHopKeepsTheSlot) {
  Table t(kFib4Shape);
  t.table.set(P("192.0.2.0/24"), R(7, 1));
  t.table.set(P("192.0.2.0/24"), R(7, 2));
  auto r = decode_entry(t.table.lookup(A("192.0.2.9")));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->nexthop, 2u);
  EXPECT_EQ(t.table.routes(), 1u);
}

TEST(Fib4, HostRoutesAndDefaultCoexist) {
  Table t(kFib4Shape);
  t.table.set(P("0.0.0.0/0"), R(1));
  t.table.set(P("255.255.255.255/32"), R(2));
  t.table.set(P("0.0.0.0/32"), R(3));
  EXPECT_EQ(slot_for(t.table, "255.255.255.255"), 2u);
  EXPECT_EQ(slot_for(t.table, "255.255.255.254"), 1u);
  EXPECT_EQ(slot_for(t.table, "0.0.0.0"), 3u);
}

TEST(Fib4, RouteFlagsAndActionTravelInTheEntry) {
  Table t(kFib4Shape);
  t.table.set(P("198.51.100.0/24"), FibResult{9, 300, 2, 0x3});
  auto r = decode_entry(t.table.lookup(A("198.51.100.1")));
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (FibResult{9, 300, 2, 0x3}));
}

TEST(Fib4, FullNodeStoreFallsBackToTheTrie) {
  Table t(kFib4Shape, 1);
  t.table.set(P("10.0.0.0/25"), R(1));
  t.table.set(P("10.0.1.0/25"), R(2));  // needs a second group: none left
  EXPECT_EQ(slot_for(t.table, "10.0.0.1"), 1u);
  EXPECT_TRUE(BPFR_FIB_FLAGS(t.table.lookup(A("10.0.1.1"))) & BPFR_FIB_F_TRIE);
  EXPECT_EQ(t.table.overflowed(), 1u);
}

TEST(Fib6, PrefixesBeyondSlash48SendLookupsToTheTrie) {
  Table t(kFib6Shape);
  t.table.set(P("2001:db8::/32"), R(32));
  t.table.set(P("2001:db8:1234::/48"), R(48));
  t.table.set(P("2001:db8:1234:a::/64"), R(64));

  EXPECT_TRUE(BPFR_FIB_FLAGS(t.table.lookup(A("2001:db8:1234:a::1"))) & BPFR_FIB_F_TRIE);
  EXPECT_TRUE(BPFR_FIB_FLAGS(t.table.lookup(A("2001:db8:1234:b::1"))) & BPFR_FIB_F_TRIE)
      << "the whole /48 entry is marked";
  EXPECT_EQ(slot_for(t.table, "2001:db8:1235::1"), 32u);

  t.table.remove(P("2001:db8:1234:a::/64"));
  EXPECT_FALSE(BPFR_FIB_FLAGS(t.table.lookup(A("2001:db8:1234:a::1"))) & BPFR_FIB_F_TRIE);
  EXPECT_EQ(slot_for(t.table, "2001:db8:1234:a::1"), 48u);
}

TEST(Fib6, EveryLevelResolves) {
  Table t(kFib6Shape);
  const char* prefixes[] = {"::/0", "2000::/3", "2001::/16", "2001:d00::/24", "2001:db8::/32",
                            "2001:db8:100::/40", "2001:db8:1ff::/48", "2001:db8:1ff::/47"};
  for (uint32_t i = 0; i < std::size(prefixes); i++)
    t.table.set(P(prefixes[i]), R(i));
  EXPECT_EQ(slot_for(t.table, "2001:db8:1ff::1"), 6u);
  EXPECT_EQ(slot_for(t.table, "2001:db8:1fe::1"), 7u);
  EXPECT_EQ(slot_for(t.table, "2001:db8:101::1"), 5u);
  EXPECT_EQ(slot_for(t.table, "2001:db8:201::1"), 4u);
  EXPECT_EQ(slot_for(t.table, "2001:d01::1"), 3u);
  EXPECT_EQ(slot_for(t.table, "2001:e00::1"), 2u);
  EXPECT_EQ(slot_for(t.table, "2a00::1"), 1u);
  EXPECT_EQ(slot_for(t.table, "fe80::1"), 0u);

  for (auto p : prefixes)
    t.table.remove(P(p));
  EXPECT_EQ(t.table.nodes_in_use(), 0u);
  EXPECT_EQ(t.table.lookup(A("2001:db8:1ff::1")), 0u);
}

// Random prefixes with the length mix of real tables, then heavy churn; every lookup must
// agree with the reference.
void churn_against_reference(TableShape shape, std::vector<unsigned> lengths, unsigned seed) {
  Table t(shape, 65536);
  ReferenceLpm ref(shape.family);
  std::mt19937_64 rng(seed);
  std::vector<Prefix> live;

  auto random_prefix = [&] {
    Address a{shape.family};
    for (auto& b : a.bytes)
      b = uint8_t(rng());
    if (shape.family == Family::v6)
      a.bytes[0] = 0x20, a.bytes[1] = uint8_t(rng() % 4), a.bytes[2] &= 0x0f;  // clustered
    else
      a.bytes[0] = uint8_t(rng() % 8);
    return Prefix::make(a, lengths[rng() % lengths.size()]);
  };

  auto check = [&](int probes) {
    for (int i = 0; i < probes; i++) {
      Address a = live.empty() || rng() % 4 == 0 ? random_inside(random_prefix(), rng)
                                                 : random_inside(live[rng() % live.size()], rng);
      uint64_t e = t.table.lookup(a);
      if (BPFR_FIB_FLAGS(e) & BPFR_FIB_F_TRIE)
        continue;  // the trie answers there; ReferenceLpm stands in for it elsewhere
      ASSERT_EQ(decode_entry(e), ref.lookup(a)) << a;
    }
  };

  for (const char* text : {"0.0.0.0/0", "::/0", "2000::/3", "4.0.0.0/6", "2002::/16"}) {
    Prefix p = *Prefix::parse(text);
    if (p.family() != shape.family)
      continue;
    t.table.set(p, R(1));
    ref.set(p, R(1));
  }
  for (int i = 0; i < 20000; i++) {
    Prefix p = random_prefix();
    FibResult r = R(uint32_t(rng() % 100000), uint32_t(rng() % 65536));
    t.table.set(p, r);
    ref.set(p, r);
    live.push_back(p);
  }
  check(100000);

  for (int i = 0; i < 60000; i++) {
    size_t k = rng() % live.size();
    switch (rng() % 3) {
      case 0:  // withdraw
        t.table.remove(live[k]);
        ref.remove(live[k]);
        live[k] = live.back();
        live.pop_back();
        break;
      case 1: {  // next-hop change
        FibResult r = R(uint32_t(rng() % 100000), uint32_t(rng() % 65536));
        t.table.set(live[k], r);
        ref.set(live[k], r);
        break;
      }
      default: {  // a new, possibly overlapping prefix
        Prefix p = Prefix::make(live[k].addr, std::min(live[k].addr.bits(),
                                                       unsigned(live[k].len + rng() % 9)));
        FibResult r = R(uint32_t(rng() % 100000), 5);
        t.table.set(p, r);
        ref.set(p, r);
        live.push_back(p);
      }
    }
  }
  check(100000);
}

TEST(Fib4, ChurnAgreesWithReference) {
  churn_against_reference(kFib4Shape, {8, 12, 16, 19, 20, 22, 23, 24, 24, 24, 24, 25, 28, 32},
                          1);
}

TEST(Fib6, ChurnAgreesWithReference) {
  churn_against_reference(kFib6Shape, {29, 32, 32, 36, 40, 44, 48, 48, 48, 56, 64,
                                       128},
                          2);
}

}  // namespace
}  // namespace bpfr::dp
