// A plain longest-prefix match to check the fast tables against: one hash map per length.
#pragma once

#include <cstdlib>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/ip.h"
#include "dataplane/fast_table.h"

namespace bpfr::testing {

class ReferenceLpm {
 public:
  explicit ReferenceLpm(Family family) : bits_(Address{family}.bits()), by_len_(bits_ + 1) {}

  void set(const Prefix& p, const dp::FibResult& r) {
    bool added = by_len_[p.len].insert_or_assign(key(p.addr, p.len), r).second;
    if (added && by_len_[p.len].size() == 1)
      update_lengths();
    if (added && p.len > kTableBits)
      long_under_[key(p.addr, kTableBits)]++;
  }
  void remove(const Prefix& p) {
    if (!by_len_[p.len].erase(key(p.addr, p.len)))
      return;
    if (by_len_[p.len].empty())
      update_lengths();
    if (p.len > kTableBits && --long_under_[key(p.addr, kTableBits)] == 0)
      long_under_.erase(key(p.addr, kTableBits));
  }

  bool has(const Prefix& p) const { return by_len_[p.len].contains(key(p.addr, p.len)); }

  std::optional<dp::FibResult> lookup(const Address& a) const {
    for (unsigned len : lengths_) {
      auto found = by_len_[len].find(key(a, len));
      if (found != by_len_[len].end())
        return found->second;
    }
    return std::nullopt;
  }

  // Some prefix longer than the IPv6 table resolves (/48) lies in a's /48: the table sends
  // the whole /48 to the trie.
  bool has_longer_in_table_entry(const Address& a) const {
    return long_under_.contains(key(a, kTableBits));
  }

 private:
  using Key = unsigned __int128;
  struct KeyHash {
    size_t operator()(Key k) const noexcept {
      return std::hash<uint64_t>()(uint64_t(k) * 0x9e3779b97f4a7c15ull ^ uint64_t(k >> 64));
    }
  };

  // The first len bits of a, as a number; the length is implied by the map it is kept in.
  Key key(const Address& a, unsigned len) const {
    Key k = 0;
    for (unsigned i = 0; i < bits_ / 8; i++)
      k = k << 8 | a.bytes[i];
    return len == 0 ? 0 : k >> (bits_ - len) << (bits_ - len);
  }

  void update_lengths() {
    lengths_.clear();
    for (unsigned len = bits_ + 1; len-- > 0;)
      if (!by_len_[len].empty())
        lengths_.push_back(len);
  }

  static constexpr unsigned kTableBits = BPFR_FIB6_ROOT_BITS + 8 * BPFR_FIB6_LEVELS;
  unsigned bits_;
  std::vector<std::unordered_map<Key, dp::FibResult, KeyHash>> by_len_;
  std::vector<unsigned> lengths_;  // those holding a prefix, longest first
  std::unordered_map<Key, unsigned, KeyHash> long_under_;
};

// The ISP table in shared/, which stands beside the checkout; BPFR_SHARED_DIR overrides.
inline std::string isp_table_path() {
  const char* dir = getenv("BPFR_SHARED_DIR");
  return std::string(dir ? dir : BPFR_SOURCE_DIR "/../shared") +
         "/data/prefixlists/isp-full-table-v4-v6.txt.gz";
}

// An address inside p with random host bits.
inline Address random_inside(const Prefix& p, std::mt19937_64& rng) {
  Address a = p.addr;
  for (unsigned i = p.len; i < a.bits(); i++)
    if (rng() & 1)
      a.bytes[i / 8] |= 0x80 >> (i % 8);
  return a;
}

// What the table entry says about the route, in the reference's terms (nullopt: no route).
inline std::optional<dp::FibResult> decode_entry(uint64_t e) {
  if (!(BPFR_FIB_FLAGS(e) & BPFR_FIB_F_ROUTE))
    return std::nullopt;
  return dp::FibResult{BPFR_FIB_REF(e), BPFR_FIB_NEXTHOP(e), BPFR_FIB_ACTION(e),
                       uint8_t(BPFR_FIB_FLAGS(e) >> BPFR_FIB_F_ROUTE_FLAGS_SHIFT)};
}

}  // namespace bpfr::testing
