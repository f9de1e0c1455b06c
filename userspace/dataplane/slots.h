// Which prefixes get counters of their own (route_stats slots) and what slot_prefixes says.
//
// Per-CPU counters cost 16 bytes per slot per CPU, so a full table cannot have one slot per
// route on a big host. The budget is a number of slots; slot 0 (BPFR_SLOT_AGGREGATE) counts
// every route without one. When the budget is used up, a more important prefix takes the slot
// of the least important live one: configured prefixes first, then the daemon's own (static,
// direct), then learned ones, and within a class the more specific prefix first. A withdrawn
// prefix keeps its slot, state WITHDRAWN, until the slot is needed again (oldest first), and
// gets the same slot back if it returns before that.
#pragma once

#include <bpfrouter/maps.h>

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "common/ip.h"

namespace bpfr::dp {

enum class SlotClass : uint8_t { learned = 0, local = 1, configured = 2 };

struct SlotPolicy {
  uint32_t slots = 65536;      // including the aggregate slot; at most BPFR_MAX_SLOTS
  std::vector<Prefix> always;  // configured prefixes, ranked above all others
  uint8_t min_length_v4 = 0;   // shorter prefixes always share the aggregate slot
  uint8_t min_length_v6 = 0;
};

// A slot_prefixes row to write; `reassigned` means the counters belong to another prefix now
// and must be zeroed.
struct SlotChange {
  uint32_t slot;
  bool reassigned;
};

class SlotAllocator {
 public:
  using Clock = std::function<uint64_t()>;  // CLOCK_REALTIME in ns

  SlotAllocator(SlotPolicy policy, Clock now);

  // The slot for a live prefix (BPFR_SLOT_AGGREGATE when the budget is used up). A prefix
  // already holding a slot keeps it.
  uint32_t acquire(const Prefix& p, SlotClass cls);

  // The prefix is gone: its slot turns WITHDRAWN and stays readable until reused.
  void release(const Prefix& p);

  // A slot row found in the pinned map at start-up: kept as WITHDRAWN so the prefix gets it
  // back, with its counters, once the routes are in again.
  void adopt(uint32_t slot, const bpfr_slot_prefix& row);

  uint32_t slot_of(const Prefix& p) const;
  const bpfr_slot_prefix& row(uint32_t slot) const { return rows_.at(slot); }
  uint32_t capacity() const { return uint32_t(rows_.size()); }
  size_t live() const { return live_.size(); }
  size_t withdrawn() const { return withdrawn_.size(); }
  size_t aggregated() const { return waiting_.size(); }

  // Live prefixes whose slot changed since the last call: their route entries need rewriting.
  std::vector<Prefix> take_moved();
  // slot_prefixes rows changed since the last call.
  std::vector<SlotChange> take_changes();

 private:
  using Rank = std::tuple<uint8_t, uint8_t>;  // class, prefix length: higher is more important
  struct Holder {
    Prefix prefix;
    Rank rank;
    uint64_t withdrawn_seq = 0;  // 0 while live
  };

  Rank rank_of(const Prefix& p, SlotClass cls) const;
  uint32_t take_slot();
  void assign(uint32_t slot, const Prefix& p, Rank rank, bool reassigned);
  void promote_waiting();

  SlotPolicy policy_;
  Clock now_;
  std::vector<bpfr_slot_prefix> rows_;
  std::vector<Holder> holders_;                                 // by slot
  std::unordered_map<Prefix, uint32_t, PrefixHash> by_prefix_;  // live and withdrawn
  std::vector<uint32_t> free_;
  std::set<std::tuple<Rank, uint32_t>> live_;   // least important first
  std::map<uint64_t, uint32_t> withdrawn_;      // oldest first
  std::set<std::tuple<Rank, Prefix>> waiting_;  // live without a slot
  std::unordered_map<Prefix, Rank, PrefixHash> waiting_rank_;
  uint64_t seq_ = 0;
  std::vector<Prefix> moved_;
  std::map<uint32_t, bool> changes_;
};

}  // namespace bpfr::dp
