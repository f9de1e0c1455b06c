// The block's filter settings as map contents: bogon categories with their enclosing ones,
// upstream checks as `bogons { }` says, originated prefixes, list entries with stable rows, and
// the host firewall's kernel-path entries.
#include "dataplane/filters.h"

#include <gtest/gtest.h>

namespace bpfr::dp {
namespace {

Prefix P(const char* s) {
  return *Prefix::parse(s);
}

TEST(Filters, DefaultsCheckInvalidAndOwnSourcesAndNoBogonCategory) {
  FilterBuilder b;
  auto t = b.build(config::FastPathConfig{}, {});
  EXPECT_EQ(t.upstream_flags, BPFR_IFACE_F_BOGON_SRC | BPFR_IFACE_F_SPOOF_OWN);
  EXPECT_EQ(t.upstream_bogon_src, 0);
  EXPECT_TRUE(t.lists.empty());
  EXPECT_EQ(t.bogons.at(P("2001:db8::/32")), uint32_t(BPFR_BOGON_DOC));
}

TEST(Filters, SwitchingOffInvalidAndOwnClearsTheirFlags) {
  config::FastPathConfig fp;
  fp.bogons.invalid = false;
  fp.bogons.own = false;
  fp.bogons.documentation = true;
  fp.bogons.private_ = true;
  auto t = FilterBuilder().build(fp, {});
  EXPECT_EQ(t.upstream_flags, 0);
  EXPECT_EQ(t.upstream_bogon_src, BPFR_BOGON_DOC | BPFR_BOGON_PRIVATE | BPFR_BOGON_RESERVED);
}

TEST(Filters, EveryShippedEntryCarriesTheCategoriesEnclosingIt) {
  auto t = FilterBuilder().build(config::FastPathConfig{}, {});
  for (const auto& [p, categories] : shipped_bogons())
    EXPECT_EQ(t.bogons.at(p) & categories, categories) << p.str();
  // 2001:2::/48 (benchmarking) lies inside no other shipped entry.
  EXPECT_EQ(t.bogons.at(P("2001:2::/48")), uint32_t(BPFR_BOGON_RESERVED));
}

TEST(Filters, OriginatedPrefixesAreStaticRoutesNotViaAGateway) {
  config::Config c;
  config::StaticProtocol s;
  config::StaticRoute own, via;
  own.prefix = P("2001:db8:1234::/48");
  own.kind = config::StaticRoute::Kind::interface;
  own.interface = "dummy0";
  via.prefix = P("2001:db8:beef::/64");
  via.kind = config::StaticRoute::Kind::via;
  s.routes = {own, via};
  c.statics.push_back(s);
  EXPECT_EQ(originated_prefixes(c), std::vector<Prefix>{P("2001:db8:1234::/48")});
}

TEST(Filters, ListEntriesKeepTheirRowAcrossReloads) {
  config::FastPathConfig fp;
  fp.lists.source_drop = {P("192.0.2.0/24"), P("2001:db8:bad::/48")};
  fp.lists.destination_allow = {P("10.0.0.0/8")};
  FilterBuilder b;
  auto first = b.build(fp, {});
  ASSERT_EQ(first.lists.size(), 3u);
  for (const auto& e : first.lists)
    EXPECT_TRUE(e.fresh);
  uint32_t bad = first.lists[1].id;

  // One entry removed, one added: the kept entry keeps its row, the new one is fresh.
  fp.lists.source_drop = {P("2001:db8:bad::/48"), P("198.51.100.0/24")};
  auto second = b.build(fp, {});
  ASSERT_EQ(second.lists.size(), 3u);
  EXPECT_EQ(second.lists[0].id, bad);
  EXPECT_FALSE(second.lists[0].fresh);
  EXPECT_TRUE(second.lists[1].fresh);
  EXPECT_NE(second.lists[1].id, bad);
  EXPECT_NE(second.lists[1].id, second.lists[2].id);
  EXPECT_EQ(second.lists[1].action, BPFR_LIST_DROP);
  EXPECT_EQ(second.lists[2].action, BPFR_LIST_ALLOW);
}

TEST(Filters, FirewallPrefixesAreKernelEntriesWithRowsOfTheirOwn) {
  config::FastPathConfig fp;
  fp.lists.source_drop = {P("192.0.2.0/24")};
  KernelPath firewall;
  firewall.sources = {{P("192.0.2.0/24"), "inet fw fwd handle 4"}};
  firewall.destinations = {{P("10.99.0.0/24"), "inet fw fwd handle 5"}};
  firewall.in_ifindexes = {7};
  firewall.out_ifindexes = {2};
  FilterBuilder b;
  auto t = b.build(fp, {}, firewall);
  ASSERT_EQ(t.lists.size(), 3u);
  // The same prefix as a drop entry and as a rule's entry: two rows, two maps.
  EXPECT_EQ(t.lists[1].action, BPFR_LIST_KERNEL);
  EXPECT_EQ(t.lists[1].prefix, P("192.0.2.0/24"));
  EXPECT_NE(t.lists[1].id, t.lists[0].id);
  EXPECT_EQ(t.lists[2].direction, ListEntry::Direction::destination);
  EXPECT_EQ(t.kernel_in, std::set<uint32_t>{7});
  EXPECT_EQ(t.kernel_out, std::set<uint32_t>{2});

  // The rule goes away at the next reload: its entry and its device flags with it.
  auto later = b.build(fp, {});
  ASSERT_EQ(later.lists.size(), 1u);
  EXPECT_EQ(later.lists[0].id, t.lists[0].id);
  EXPECT_TRUE(later.kernel_in.empty() && later.kernel_out.empty());
}

}  // namespace
}  // namespace bpfr::dp
