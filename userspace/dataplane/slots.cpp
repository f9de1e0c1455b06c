#include "dataplane/slots.h"

#include <algorithm>
#include <utility>

#include "dataplane/encode.h"

namespace bpfr::dp {

SlotAllocator::SlotAllocator(SlotPolicy policy, Clock now)
    : policy_(std::move(policy)), now_(std::move(now)) {
  uint32_t n = std::clamp<uint32_t>(policy_.slots, 1, BPFR_MAX_SLOTS);
  rows_.assign(n, encode_free_slot());
  holders_.resize(n);
  for (uint32_t slot = n - 1; slot > BPFR_SLOT_AGGREGATE; slot--)
    free_.push_back(slot);
}

SlotAllocator::Rank SlotAllocator::rank_of(const Prefix& p, SlotClass cls) const {
  for (const auto& c : policy_.always)
    if (c == p)
      cls = SlotClass::configured;
  return {uint8_t(cls), p.len};
}

uint32_t SlotAllocator::slot_of(const Prefix& p) const {
  auto it = by_prefix_.find(p);
  if (it == by_prefix_.end() || holders_[it->second].withdrawn_seq != 0)
    return BPFR_SLOT_AGGREGATE;
  return it->second;
}

void SlotAllocator::assign(uint32_t slot, const Prefix& p, Rank rank, bool reassigned) {
  holders_[slot] = Holder{p, rank, 0};
  if (reassigned)
    rows_[slot].generation++;
  rows_[slot] = encode_slot(p, BPFR_SLOT_LIVE, rows_[slot].generation, now_());
  by_prefix_[p] = slot;
  live_.emplace(rank, slot);
  changes_[slot] = changes_[slot] || reassigned;
}

// A free slot, else the oldest withdrawn one; BPFR_SLOT_AGGREGATE when neither is left.
uint32_t SlotAllocator::take_slot() {
  if (!free_.empty()) {
    uint32_t slot = free_.back();
    free_.pop_back();
    return slot;
  }
  if (withdrawn_.empty())
    return BPFR_SLOT_AGGREGATE;
  auto oldest = withdrawn_.begin();
  uint32_t slot = oldest->second;
  withdrawn_.erase(oldest);
  by_prefix_.erase(holders_[slot].prefix);
  return slot;
}

uint32_t SlotAllocator::acquire(const Prefix& p, SlotClass cls) {
  Rank rank = rank_of(p, cls);

  // Already live, or coming back before its withdrawn slot was reused.
  if (auto it = by_prefix_.find(p); it != by_prefix_.end()) {
    uint32_t slot = it->second;
    Holder& h = holders_[slot];
    if (h.withdrawn_seq == 0)
      return slot;
    withdrawn_.erase(h.withdrawn_seq);
    assign(slot, p, rank, false);
    return slot;
  }
  if (waiting_rank_.count(p))
    return BPFR_SLOT_AGGREGATE;
  uint8_t min_length = p.addr.is_v4() ? policy_.min_length_v4 : policy_.min_length_v6;
  if (p.len < min_length && std::get<0>(rank) != uint8_t(SlotClass::configured))
    return BPFR_SLOT_AGGREGATE;

  if (uint32_t slot = take_slot(); slot != BPFR_SLOT_AGGREGATE) {
    bool reused = rows_[slot].family != 0;
    assign(slot, p, rank, reused);
    return slot;
  }

  // Budget used up: take the least important live prefix's slot if this one ranks higher.
  if (!live_.empty() && std::get<0>(*live_.begin()) < rank) {
    auto [low_rank, slot] = *live_.begin();
    live_.erase(live_.begin());
    Prefix loser = holders_[slot].prefix;
    by_prefix_.erase(loser);
    waiting_.emplace(low_rank, loser);
    waiting_rank_[loser] = low_rank;
    moved_.push_back(loser);
    assign(slot, p, rank, true);
    return slot;
  }

  waiting_.emplace(rank, p);
  waiting_rank_[p] = rank;
  return BPFR_SLOT_AGGREGATE;
}

void SlotAllocator::release(const Prefix& p) {
  if (auto w = waiting_rank_.find(p); w != waiting_rank_.end()) {
    waiting_.erase({w->second, p});
    waiting_rank_.erase(w);
    return;
  }
  auto it = by_prefix_.find(p);
  if (it == by_prefix_.end() || holders_[it->second].withdrawn_seq != 0)
    return;

  uint32_t slot = it->second;
  Holder& h = holders_[slot];
  live_.erase({h.rank, slot});
  h.withdrawn_seq = ++seq_;
  withdrawn_.emplace(h.withdrawn_seq, slot);
  rows_[slot].state = BPFR_SLOT_WITHDRAWN;
  rows_[slot].since_ns = now_();
  changes_.try_emplace(slot, false);
  promote_waiting();
}

// A slot came free (or withdrawn): the most important prefix without one gets it.
void SlotAllocator::promote_waiting() {
  if (waiting_.empty())
    return;
  uint32_t slot = take_slot();
  if (slot == BPFR_SLOT_AGGREGATE)
    return;
  auto best = std::prev(waiting_.end());
  auto [rank, p] = *best;
  waiting_.erase(best);
  waiting_rank_.erase(p);
  assign(slot, p, rank, rows_[slot].family != 0);
  moved_.push_back(p);
}

void SlotAllocator::adopt(uint32_t slot, const bpfr_slot_prefix& row) {
  if (slot == BPFR_SLOT_AGGREGATE || slot >= rows_.size() || row.state == BPFR_SLOT_FREE)
    return;
  if (row.family != 4 && row.family != 6)
    return;
  auto family = row.family == 4 ? Family::v4 : Family::v6;
  Prefix p = Prefix::make(Address::from_bytes(family, row.addr), row.prefixlen);
  if (by_prefix_.count(p))
    return;
  auto f = std::find(free_.begin(), free_.end(), slot);
  if (f == free_.end())
    return;
  free_.erase(f);

  holders_[slot] = Holder{p, {}, ++seq_};
  rows_[slot] = row;
  rows_[slot].state = BPFR_SLOT_WITHDRAWN;
  by_prefix_[p] = slot;
  withdrawn_.emplace(seq_, slot);
  changes_[slot] = false;
}

std::vector<Prefix> SlotAllocator::take_moved() {
  return std::exchange(moved_, {});
}

std::vector<SlotChange> SlotAllocator::take_changes() {
  std::vector<SlotChange> out;
  for (auto [slot, reassigned] : changes_)
    out.push_back({slot, reassigned});
  changes_.clear();
  return out;
}

}  // namespace bpfr::dp
