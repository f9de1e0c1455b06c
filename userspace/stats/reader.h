// Reads the fast path's pinned counter maps directly, so `bpfrouter stats` works whether the
// daemon runs or not. Per-CPU values are summed here.
#pragma once

#include <bpfrouter/maps.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/ip.h"

namespace bpfr::stats {

struct SlotCounter {
  uint32_t slot = 0;
  uint8_t state = BPFR_SLOT_FREE;  // BPFR_SLOT_*; the aggregate slot reads LIVE
  uint32_t generation = 0;
  std::optional<Prefix> prefix;  // none for the aggregate slot
  uint64_t since_ns = 0;         // CLOCK_REALTIME
  uint64_t packets = 0, bytes = 0;
};

struct IfaceCounter {
  uint32_t ifindex = 0;
  uint32_t row = 0;  // bpfr_iface.index
  uint8_t role = BPFR_ROLE_INTERNAL;
  bpfr_iface_counters sum{};
};

enum class ListKind : uint8_t { source, destination };

struct ListCounter {
  ListKind list = ListKind::source;
  Prefix prefix;
  uint8_t action = BPFR_LIST_DROP;  // BPFR_LIST_KERNEL: a firewall rule's kernel-path entry
  uint32_t id = 0;
  uint64_t packets = 0, bytes = 0;
};

struct Snapshot {
  uint64_t mono_ns = 0;      // CLOCK_MONOTONIC when read: rates divide by differences of it
  uint64_t realtime_ns = 0;  // for display
  uint32_t slot_capacity = 0;
  uint32_t cpus = 0;
  std::vector<SlotCounter> slots;  // aggregate first, then every non-free slot by number
  std::array<bpfr_counter, BPFR_REASON_MAX> reasons{};
  std::vector<IfaceCounter> ifaces;  // by ifindex; empty when the maps are not pinned
  std::vector<ListCounter> lists;    // by id
  uint64_t counter_bytes = 0;        // kernel memory of the per-CPU route counters
};

// "<pin root>/<map>_v1", as the daemon pins them (dataplane/pins.h).
std::string map_path(std::string_view pin_root, std::string_view map);

class Reader {
 public:
  Reader() = default;
  ~Reader();
  Reader(Reader&& other) noexcept;
  Reader& operator=(Reader&& other) noexcept;

  // Opens the pinned maps and checks their layouts against maps.h. route_stats, slot_prefixes
  // and reason_stats are needed; interface and filter-list maps are read when present. The
  // error names the map and the path.
  static std::variant<Reader, std::string> open(std::string_view pin_root);

  std::variant<Snapshot, std::string> read() const;

 private:
  enum Map {
    route_stats,
    slot_prefixes,
    reason_stats,
    iface_stats,
    ifaces,
    list_stats,
    src_list_v4,
    dst_list_v4,
    src_list_v6,
    dst_list_v6,
    kpath_src_v4,
    kpath_dst_v4,
    kpath_src_v6,
    kpath_dst_v6,
    map_count
  };
  std::array<int, map_count> fds_{};
  std::array<uint32_t, map_count> max_entries_{};
  std::string pin_root_;
  uint32_t cpus_ = 0;

  std::optional<std::string> read_slots(Snapshot& s) const;
  std::optional<std::string> read_ifaces(Snapshot& s) const;
  std::optional<std::string> read_lists(Snapshot& s) const;
  std::optional<std::string> sum_counter(Map m, uint32_t key, bpfr_counter& out) const;
};

}  // namespace bpfr::stats
