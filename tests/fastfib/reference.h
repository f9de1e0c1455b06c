// A plain longest-prefix match to check the fast tables against: one hash map per length.
#pragma once

#include <optional>
#include <random>
#include <set>
#include <unordered_map>
#include <vector>

#include "common/ip.h"
#include "dataplane/fast_table.h"

namespace bpfr::testing {

class ReferenceLpm {
 public:
  explicit ReferenceLpm(Family family) : by_len_(Address{family}.bits() + 1) {}

  void set(const Prefix& p, const dataplane::FibResult& r) {
    if (by_len_[p.len].insert_or_assign(p, r).second && p.len > kTableBits)
      long_under_[Prefix::make(p.addr, kTableBits)]++;
    lengths_.insert(p.len);
  }
  void remove(const Prefix& p) {
    if (by_len_[p.len].erase(p) && p.len > kTableBits)
      if (--long_under_[Prefix::make(p.addr, kTableBits)] == 0)
        long_under_.erase(Prefix::make(p.addr, kTableBits));
  }

  std::optional<dataplane::FibResult> lookup(const Address& a) const {
    for (auto it = lengths_.rbegin(); it != lengths_.rend(); ++it) {
      auto found = by_len_[*it].find(Prefix::make(a, *it));
      if (found != by_len_[*it].end())
        return found->second;
    }
    return std::nullopt;
  }

  // Some prefix longer than the IPv6 table resolves (/48) lies in a's /48: the table sends
  // the whole /48 to the trie.
  bool has_longer_in_table_entry(const Address& a) const {
    return long_under_.contains(Prefix::make(a, kTableBits));
  }

 private:
  static constexpr unsigned kTableBits = BPFR_FIB6_ROOT_BITS + 8 * BPFR_FIB6_LEVELS;
  std::unordered_map<Prefix, unsigned, PrefixHash> long_under_;
  std::vector<std::unordered_map<Prefix, dataplane::FibResult, PrefixHash>> by_len_;
  std::set<unsigned> lengths_;
};

// An address inside p with random host bits.
inline Address random_inside(const Prefix& p, std::mt19937_64& rng) {
  Address a = p.addr;
  for (unsigned i = p.len; i < a.bits(); i++)
    if (rng() & 1)
      a.bytes[i / 8] |= 0x80 >> (i % 8);
  return a;
}

// What the table entry says about the route, in the reference's terms (nullopt: no route).
inline std::optional<dataplane::FibResult> decode_entry(uint64_t e) {
  if (!(BPFR_FIB_FLAGS(e) & BPFR_FIB_F_ROUTE))
    return std::nullopt;
  return dataplane::FibResult{BPFR_FIB_REF(e), BPFR_FIB_NEXTHOP(e), BPFR_FIB_ACTION(e),
                              uint8_t(BPFR_FIB_FLAGS(e) >> BPFR_FIB_F_ROUTE_FLAGS_SHIFT)};
}

}  // namespace bpfr::testing
