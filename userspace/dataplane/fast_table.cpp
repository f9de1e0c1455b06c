#include "dataplane/fast_table.h"

#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>

#include <atomic>

namespace bpfr::dp {

MultibitTable::MultibitTable(TableShape shape, std::span<uint64_t> root, std::span<uint64_t> nodes,
                             std::chrono::milliseconds grace)
    : shape_(shape),
      root_(root),
      nodes_(nodes),
      grace_(grace),
      root_depth_(root.size()),
      node_depth_(nodes.size()),
      node_routes_(nodes.size() / BPFR_FIB_NODE_ENTRIES),
      node_parent_(nodes.size() / BPFR_FIB_NODE_ENTRIES),
      routes_(Address{shape.family}.bits() + 1) {}

uint64_t& MultibitTable::entry(Pos pos) const {
  if (pos.node < 0)
    return root_[pos.index];
  return nodes_[size_t(pos.node) * BPFR_FIB_NODE_ENTRIES + pos.index];
}

uint8_t& MultibitTable::depth(Pos pos) {
  if (pos.node < 0)
    return root_depth_[pos.index];
  return node_depth_[size_t(pos.node) * BPFR_FIB_NODE_ENTRIES + pos.index];
}

uint64_t MultibitTable::key(Pos pos) const {
  return uint64_t(uint32_t(pos.node + 1)) << 32 | pos.index;
}

uint32_t MultibitTable::index_at(const Address& addr, unsigned level) const {
  if (level > 0)
    return addr.bytes[shape_.root_bits / 8 + level - 1];

  uint32_t index = 0;
  for (unsigned i = 0; i < shape_.root_bits / 8; i++)
    index = index << 8 | addr.bytes[i];
  return index;
}

// One store per entry, so a concurrent lookup sees the old or the new word, never a mix.
void MultibitTable::publish(Pos pos, uint64_t value) {
  std::atomic_ref<uint64_t>(entry(pos)).store(value, std::memory_order_release);
}

void MultibitTable::write(Pos pos, const std::optional<FibResult>& result) {
  uint8_t flags = 0;
  uint64_t value = 0;
  if (result) {
    flags = BPFR_FIB_F_ROUTE | uint8_t(result->route_flags << BPFR_FIB_F_ROUTE_FLAGS_SHIFT);
    value = BPFR_FIB_ENTRY(result->slot, result->nexthop, result->action, 0);
  }
  if (long_routes_.contains(key(pos)) || overflowed_.contains(key(pos)))
    flags |= BPFR_FIB_F_TRIE;

  publish(pos, value | uint64_t(flags) << 56);
}

std::optional<int32_t> MultibitTable::alloc_node() {
  auto now = std::chrono::steady_clock::now();
  if (!free_nodes_.empty() && free_nodes_.front().second + grace_ <= now) {
    int32_t node = free_nodes_.front().first;
    free_nodes_.pop_front();
    return node;
  }
  if (nodes_used_ < node_capacity())
    return int32_t(nodes_used_++);
  return std::nullopt;
}

// Walks from the root to target_level for addr, adding delta to the route count of every node
// on the way. With create, a missing node is made from the entry it replaces; when none can be
// had the entry is marked to send its lookups to the trie, which holds every route.
std::optional<MultibitTable::Pos> MultibitTable::descend(const Address& addr, unsigned target_level,
                                                         bool create, int delta) {
  Pos pos{-1, index_at(addr, 0)};
  for (unsigned level = 1; level <= target_level; level++) {
    if (!is_child(pos)) {
      // An overflowed entry never gets a node: routes placed only in the trie would be missed.
      if (!create || overflowed_.contains(key(pos)))
        return std::nullopt;

      auto node = alloc_node();
      if (!node) {
        if (overflowed_.empty())
          spdlog::error(
              "fastfib: {} table full ({} nodes): {} and others like it fall back "
              "to the LPM trie",
              shape_.family == Family::v4 ? "IPv4" : "IPv6", node_capacity(),
              Prefix::make(addr, level_bits(level - 1)));
        overflowed_.insert(key(pos));
        publish(pos, entry(pos) | uint64_t(BPFR_FIB_F_TRIE) << 56);
        return std::nullopt;
      }

      // Lookups run concurrently: fill the node before the entry points to it.
      for (uint32_t i = 0; i < BPFR_FIB_NODE_ENTRIES; i++) {
        Pos child{*node, i};
        entry(child) = entry(pos);
        depth(child) = depth(pos);
      }
      node_routes_[*node] = 0;
      node_parent_[*node] = pos;
      std::atomic_thread_fence(std::memory_order_release);
      publish(pos, BPFR_FIB_ENTRY(*node, 0, 0, BPFR_FIB_F_CHILD));
    }

    int32_t node = int32_t(BPFR_FIB_REF(entry(pos)));
    node_routes_[node] += delta;
    pos = Pos{node, index_at(addr, level)};
  }
  return pos;
}

// Frees the nodes on addr's path that no longer hold any route, deepest first. Their entries
// are then all alike, so the parent takes the first one's word back.
void MultibitTable::collapse_empty(const Address& addr, unsigned target_level) {
  std::vector<int32_t> path;
  Pos pos{-1, index_at(addr, 0)};
  for (unsigned level = 1; level <= target_level && is_child(pos); level++) {
    int32_t node = int32_t(BPFR_FIB_REF(entry(pos)));
    path.push_back(node);
    pos = Pos{node, index_at(addr, level)};
  }

  auto now = std::chrono::steady_clock::now();
  for (auto it = path.rbegin(); it != path.rend(); ++it) {
    if (node_routes_[*it] != 0)
      break;
    Pos parent = node_parent_[*it];
    publish(parent, entry(Pos{*it, 0}));
    for (uint32_t i = 0; i < BPFR_FIB_NODE_ENTRIES; i++)
      overflowed_.erase(key(Pos{*it, i}));
    free_nodes_.emplace_back(*it, now);
  }
}

std::optional<std::pair<unsigned, FibResult>> MultibitTable::cover_of(const Prefix& prefix) const {
  for (int len = int(prefix.len) - 1; len >= 0; len--) {
    auto it = routes_[len].find(Prefix::make(prefix.addr, len));
    if (it != routes_[len].end())
      return std::pair{unsigned(len), it->second};
  }
  return std::nullopt;
}

void MultibitTable::apply_set(Pos pos, uint8_t new_depth, const FibResult& result) {
  // A longer prefix decides this entry and everything below it.
  if (depth(pos) > new_depth)
    return;
  depth(pos) = new_depth;

  if (!is_child(pos)) {
    write(pos, result);
    return;
  }
  int32_t node = int32_t(BPFR_FIB_REF(entry(pos)));
  for (uint32_t i = 0; i < BPFR_FIB_NODE_ENTRIES; i++)
    apply_set(Pos{node, i}, new_depth, result);
}

void MultibitTable::apply_remove(Pos pos, uint8_t old_depth, uint8_t cover_depth,
                                 const std::optional<FibResult>& cover) {
  if (depth(pos) != old_depth)
    return;
  depth(pos) = cover_depth;

  if (!is_child(pos)) {
    write(pos, cover);
    return;
  }
  int32_t node = int32_t(BPFR_FIB_REF(entry(pos)));
  for (uint32_t i = 0; i < BPFR_FIB_NODE_ENTRIES; i++)
    apply_remove(Pos{node, i}, old_depth, cover_depth, cover);
}

void MultibitTable::set(const Prefix& prefix, const FibResult& result) {
  if (prefix.family() != shape_.family)
    return;

  auto [it, added] = routes_[prefix.len].insert_or_assign(prefix, result);
  route_count_ += added;

  // Longer than the table resolves: mark the deepest entry, the trie answers for it.
  if (prefix.len > shape_.max_bits()) {
    auto pos = descend(prefix.addr, shape_.levels, true, added ? 1 : 0);
    if (pos && added && long_routes_[key(*pos)]++ == 0)
      publish(*pos, entry(*pos) | uint64_t(BPFR_FIB_F_TRIE) << 56);
    return;
  }

  unsigned level = 0;
  while (level_bits(level) < prefix.len)
    level++;
  auto pos = descend(prefix.addr, level, true, added ? 1 : 0);
  if (!pos)
    return;

  uint32_t count = 1u << (level_bits(level) - prefix.len);
  for (uint32_t i = 0; i < count; i++)
    apply_set(Pos{pos->node, pos->index + i}, uint8_t(prefix.len + 1), result);
}

bool MultibitTable::remove(const Prefix& prefix) {
  if (prefix.family() != shape_.family || !routes_[prefix.len].erase(prefix))
    return false;
  route_count_--;

  if (prefix.len > shape_.max_bits()) {
    auto pos = descend(prefix.addr, shape_.levels, false, -1);
    if (pos && --long_routes_[key(*pos)] == 0) {
      long_routes_.erase(key(*pos));
      if (!overflowed_.contains(key(*pos)))
        publish(*pos, entry(*pos) & ~(uint64_t(BPFR_FIB_F_TRIE) << 56));
    }
    collapse_empty(prefix.addr, shape_.levels);
    return true;
  }

  unsigned level = 0;
  while (level_bits(level) < prefix.len)
    level++;
  auto pos = descend(prefix.addr, level, false, -1);
  if (!pos)
    return true;  // it lived below an overflowed entry: only the trie had it

  auto cover = cover_of(prefix);
  uint8_t cover_depth = cover ? uint8_t(cover->first + 1) : 0;
  std::optional<FibResult> cover_result;
  if (cover)
    cover_result = cover->second;

  uint32_t count = 1u << (level_bits(level) - prefix.len);
  for (uint32_t i = 0; i < count; i++)
    apply_remove(Pos{pos->node, pos->index + i}, uint8_t(prefix.len + 1), cover_depth,
                 cover_result);
  collapse_empty(prefix.addr, level);
  return true;
}

uint64_t MultibitTable::lookup(const Address& addr) const {
  Pos pos{-1, index_at(addr, 0)};
  for (unsigned level = 1; level <= shape_.levels && is_child(pos); level++)
    pos = Pos{int32_t(BPFR_FIB_REF(entry(pos))), index_at(addr, level)};
  return entry(pos);
}

int fastfib_size_family(const TableShape& shape, bpf_map* root, bpf_map* nodes,
                        uint32_t node_count) {
  if (int err = bpf_map__set_max_entries(root, 1u << shape.root_bits))
    return err;
  return bpf_map__set_max_entries(nodes, node_count * BPFR_FIB_NODE_ENTRIES);
}

int fastfib_size_maps(bpf_map* tbl24, bpf_map* tbl8, bpf_map* root6, bpf_map* nodes6,
                      uint32_t v4_groups, uint32_t v6_nodes) {
  if (int err = fastfib_size_family(kFib4Shape, tbl24, tbl8, v4_groups))
    return err;
  return fastfib_size_family(kFib6Shape, root6, nodes6, v6_nodes);
}

std::span<uint64_t> fastfib_mmap(bpf_map* map) {
  size_t bytes = size_t(bpf_map__max_entries(map)) * sizeof(uint64_t);
  void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(map), 0);
  if (mem == MAP_FAILED)
    return {};
  return {static_cast<uint64_t*>(mem), bytes / sizeof(uint64_t)};
}

void fastfib_munmap(std::span<uint64_t> table) {
  if (!table.empty())
    munmap(table.data(), table.size_bytes());
}

}  // namespace bpfr::dp
