#include "dataplane/filters.h"

#include <set>

namespace bpfr::dp {

namespace {

Prefix P(const char* s) {
  return *Prefix::parse(s);
}

}  // namespace

std::vector<std::pair<Prefix, uint32_t>> shipped_bogons() {
  return {
      // RFC 5737, RFC 3849, RFC 9637
      {P("192.0.2.0/24"), BPFR_BOGON_DOC},
      {P("198.51.100.0/24"), BPFR_BOGON_DOC},
      {P("203.0.113.0/24"), BPFR_BOGON_DOC},
      {P("2001:db8::/32"), BPFR_BOGON_DOC},
      {P("3fff::/20"), BPFR_BOGON_DOC},
      // RFC 1918, RFC 6598, RFC 4193
      {P("10.0.0.0/8"), BPFR_BOGON_PRIVATE},
      {P("172.16.0.0/12"), BPFR_BOGON_PRIVATE},
      {P("192.168.0.0/16"), BPFR_BOGON_PRIVATE},
      {P("100.64.0.0/10"), BPFR_BOGON_PRIVATE},
      {P("fc00::/7"), BPFR_BOGON_PRIVATE},
      // special-purpose registries (RFC 6890): benchmarking, IETF protocol assignments,
      // discard-only
      {P("198.18.0.0/15"), BPFR_BOGON_RESERVED},
      {P("192.0.0.0/24"), BPFR_BOGON_RESERVED},
      {P("169.254.0.0/16"), BPFR_BOGON_RESERVED},
      {P("100::/64"), BPFR_BOGON_RESERVED},
      {P("2001:2::/48"), BPFR_BOGON_RESERVED},
  };
}

std::vector<Prefix> originated_prefixes(const config::Config& config) {
  std::set<Prefix> out;
  for (const auto& proto : config.statics)
    for (const auto& r : proto.routes)
      if (r.kind != config::StaticRoute::Kind::via)
        out.insert(r.prefix);
  return {out.begin(), out.end()};
}

FilterTables FilterBuilder::build(const config::FastPathConfig& fp, const std::vector<Prefix>& own,
                                  const KernelPath& firewall) {
  FilterTables t;
  const auto& b = fp.bogons;
  if (b.invalid)
    t.upstream_flags |= BPFR_IFACE_F_BOGON_SRC;
  if (b.own)
    t.upstream_flags |= BPFR_IFACE_F_SPOOF_OWN;
  if (b.documentation)
    t.upstream_bogon_src |= BPFR_BOGON_DOC;
  if (b.private_)
    t.upstream_bogon_src |= BPFR_BOGON_PRIVATE | BPFR_BOGON_RESERVED;
  if (b.unallocated)
    t.upstream_bogon_src |= BPFR_BOGON_UNALLOCATED;

  // Only the longest match is read: each entry carries the categories enclosing it.
  auto shipped = shipped_bogons();
  for (const auto& [p, cat] : shipped) {
    uint32_t all = 0;
    for (const auto& [q, c] : shipped)
      if (q.family() == p.family() && q.contains(p))
        all |= c;
    t.bogons[p] = all;
  }
  t.own = own;

  using D = ListEntry::Direction;
  auto add = [&](D d, uint8_t action, const std::vector<Prefix>& prefixes) {
    for (const auto& p : prefixes)
      t.lists.push_back(ListEntry{d, p, action, 0, false});
  };
  add(D::source, BPFR_LIST_ALLOW, fp.lists.source_allow);
  add(D::source, BPFR_LIST_DROP, fp.lists.source_drop);
  add(D::destination, BPFR_LIST_ALLOW, fp.lists.destination_allow);
  add(D::destination, BPFR_LIST_DROP, fp.lists.destination_drop);
  for (const auto& [p, rule] : firewall.sources)
    t.lists.push_back(ListEntry{D::source, p, BPFR_LIST_KERNEL, 0, false});
  for (const auto& [p, rule] : firewall.destinations)
    t.lists.push_back(ListEntry{D::destination, p, BPFR_LIST_KERNEL, 0, false});
  t.kernel_in = firewall.in_ifindexes;
  t.kernel_out = firewall.out_ifindexes;

  // Stable ids: kept entries keep their row, new ones take the lowest free row.
  decltype(ids_) next;
  std::set<uint32_t> used;
  for (auto& e : t.lists)
    if (auto it = ids_.find(e.key()); it != ids_.end() && !next.count(e.key())) {
      e.id = it->second;
      next[e.key()] = e.id;
      used.insert(e.id);
    }
  uint32_t row = 1;
  for (auto& e : t.lists) {
    if (next.count(e.key()) && e.id)
      continue;
    if (auto it = next.find(e.key()); it != next.end()) {
      e.id = it->second;  // the same prefix twice in one list shares its row
      continue;
    }
    while (used.count(row))
      row++;
    e.id = row;
    e.fresh = true;
    used.insert(row);
    next[e.key()] = row;
  }
  ids_ = std::move(next);
  return t;
}

}  // namespace bpfr::dp
