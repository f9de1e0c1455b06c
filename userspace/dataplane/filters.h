// The prefix filters of the `bpfrouter` block as map contents: the bogon table with its
// categories, our own prefixes (source spoofing on upstreams), the operator's source and
// destination lists with an id (counter row) per entry, and what upstream interfaces check.
// Also what the host's firewall keeps on the kernel path (firewall.h): BPFR_LIST_KERNEL
// entries and device flags. Built without BPF; Dataplane::write_filters() puts them into the
// maps at start-up and on every reload, without reattaching anything.
#pragma once

#include <bpfrouter/maps.h>

#include <cstdint>
#include <map>
#include <set>
#include <tuple>
#include <vector>

#include "common/ip.h"
#include "config/config.h"
#include "dataplane/firewall.h"

namespace bpfr::dp {

struct ListEntry {
  enum class Direction : uint8_t { source, destination };
  Direction direction = Direction::source;
  Prefix prefix;
  uint8_t action = BPFR_LIST_DROP;  // BPFR_LIST_ALLOW, _DROP, or _KERNEL (kpath_*)
  uint32_t id = 0;                  // row in list_stats
  bool fresh = false;               // id newly given: its counters start from zero

  auto key() const { return std::tuple(direction, action, prefix); }
};

struct FilterTables {
  std::map<Prefix, uint32_t> bogons;  // prefix -> BPFR_BOGON_*, enclosing categories included
  std::vector<Prefix> own;
  std::vector<ListEntry> lists;
  uint8_t upstream_flags = 0;      // BPFR_IFACE_F_BOGON_SRC / _SPOOF_OWN as the block says
  uint8_t upstream_bogon_src = 0;  // categories dropped as sources on upstreams
  std::set<uint32_t> kernel_in, kernel_out;  // ifindexes: BPFR_IFACE_F_KERNEL_IN / _OUT
};

// The lists shipped with the daemon, by category (documentation, private, reserved).
std::vector<std::pair<Prefix, uint32_t>> shipped_bogons();

// Prefixes we originate: static routes that are not via a gateway (blackhole, unreachable,
// prohibit, into a device), as the guide's /48 on dummy0 is.
std::vector<Prefix> originated_prefixes(const config::Config& config);

// Keeps the list_stats row of an entry across reloads while the entry stays.
class FilterBuilder {
 public:
  FilterTables build(const config::FastPathConfig& fp, const std::vector<Prefix>& own,
                     const KernelPath& firewall = {});

 private:
  std::map<std::tuple<ListEntry::Direction, uint8_t, Prefix>, uint32_t> ids_;
};

}  // namespace bpfr::dp
