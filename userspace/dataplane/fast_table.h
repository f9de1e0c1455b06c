// The fast lookup tables of include/bpfrouter/fastfib.h, written by the daemon through mmap.
//
// A MultibitTable is a root array indexed by the first root_bits of the destination, and nodes
// of 256 entries for each further 8 bits, down to root_bits + 8 * levels. It keeps, beside the
// table, the depth (prefix length + 1) of the route that decided each entry, and the routes
// themselves, so that adding or removing one prefix rewrites only the entries it decides.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "bpfrouter/fastfib.h"
#include "bpfrouter/maps.h"
#include "common/ip.h"

struct bpf_map;

namespace bpfr::dp {

// What a route puts into the entries it decides; mirrors struct bpfr_route_value.
struct FibResult {
  uint32_t slot = 0;
  uint32_t nexthop = 0;
  uint8_t action = 0;
  uint8_t route_flags = 0;

  bool operator==(const FibResult&) const = default;
};

struct TableShape {
  Family family;
  unsigned root_bits;  // 24 for IPv4, 16 for IPv6
  unsigned levels;     // 8-bit levels below the root: 1 for IPv4, 4 for IPv6

  unsigned max_bits() const { return root_bits + 8 * levels; }
};

inline constexpr TableShape kFib4Shape{Family::v4, BPFR_FIB4_ROOT_BITS, 1};
inline constexpr TableShape kFib6Shape{Family::v6, BPFR_FIB6_ROOT_BITS, BPFR_FIB6_LEVELS};

class MultibitTable {
 public:
  // root and nodes are the mmapped map values (or plain memory in tests), zeroed.
  // A freed node is reused only after grace, so no lookup still walks it.
  MultibitTable(TableShape shape, std::span<uint64_t> root, std::span<uint64_t> nodes,
                std::chrono::milliseconds grace = std::chrono::milliseconds(1000));

  void set(const Prefix& prefix, const FibResult& result);  // add or replace
  bool remove(const Prefix& prefix);

  // The same walk the BPF program does; for tests and the CLI.
  uint64_t lookup(const Address& addr) const;

  size_t routes() const { return route_count_; }
  size_t nodes_in_use() const { return nodes_used_ - free_nodes_.size(); }
  size_t node_capacity() const { return nodes_.size() / BPFR_FIB_NODE_ENTRIES; }
  size_t overflowed() const { return overflowed_.size(); }
  size_t table_bytes() const { return (root_.size() + nodes_.size()) * sizeof(uint64_t); }

 private:
  // An entry's place: node -1 is the root array.
  struct Pos {
    int32_t node;
    uint32_t index;
  };

  uint64_t& entry(Pos pos) const;
  uint8_t& depth(Pos pos);
  uint64_t key(Pos pos) const;  // a unique number for flag bookkeeping
  unsigned level_bits(unsigned level) const { return shape_.root_bits + 8 * level; }
  uint32_t index_at(const Address& addr, unsigned level) const;
  bool is_child(Pos pos) const { return BPFR_FIB_FLAGS(entry(pos)) & BPFR_FIB_F_CHILD; }

  std::optional<Pos> descend(const Address& addr, unsigned target_level, bool create, int delta);
  std::optional<int32_t> alloc_node();
  void collapse_empty(const Address& addr, unsigned target_level);

  void apply_set(Pos pos, uint8_t new_depth, const FibResult& result);
  void apply_remove(Pos pos, uint8_t old_depth, uint8_t cover_depth,
                    const std::optional<FibResult>& cover);
  void write(Pos pos, const std::optional<FibResult>& result);
  void publish(Pos pos, uint64_t value);

  std::optional<std::pair<unsigned, FibResult>> cover_of(const Prefix& prefix) const;

  TableShape shape_;
  std::span<uint64_t> root_;
  std::span<uint64_t> nodes_;
  std::chrono::milliseconds grace_;

  std::vector<uint8_t> root_depth_;
  std::vector<uint8_t> node_depth_;
  std::vector<uint32_t> node_routes_;  // routes at or below each node, by node
  std::vector<Pos> node_parent_;
  uint32_t nodes_used_ = 0;  // high-water mark
  std::deque<std::pair<int32_t, std::chrono::steady_clock::time_point>> free_nodes_;

  std::vector<std::unordered_map<Prefix, FibResult, PrefixHash>> routes_;  // by length
  size_t route_count_ = 0;
  std::unordered_map<uint64_t, uint32_t> long_routes_;  // entries sending lookups to the trie
  std::unordered_set<uint64_t> overflowed_;             // entries that could get no node
};

// The entry words of a route, from its value in routes_v4/routes_v6.
inline FibResult fib_result(const bpfr_route_value& v) {
  return FibResult{v.slot, v.nexthop, v.action, v.flags};
}
static_assert(BPFR_MAX_NEXTHOPS <= 0x10000, "a table entry holds 16 bits of next hop");

// Sizes one family's root and node maps of an opened, not yet loaded object (bpf/fastfib.h
// declares them with one entry). Returns 0 or a negative errno.
int fastfib_size_family(const TableShape& shape, bpf_map* root, bpf_map* nodes,
                        uint32_t node_count);

// Both families at once.
int fastfib_size_maps(bpf_map* tbl24, bpf_map* tbl8, bpf_map* root6, bpf_map* nodes6,
                      uint32_t v4_groups = BPFR_FIB4_GROUPS, uint32_t v6_nodes = BPFR_FIB6_NODES);

// Maps a sized, loaded fast-table map for writing; an empty span on failure (errno set).
std::span<uint64_t> fastfib_mmap(bpf_map* map);
void fastfib_munmap(std::span<uint64_t> table);

}  // namespace bpfr::dp
