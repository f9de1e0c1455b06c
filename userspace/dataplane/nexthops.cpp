#include "dataplane/nexthops.h"

#include <algorithm>
#include <utility>

namespace bpfr::dp {

NextHopTable::NextHopTable(uint32_t capacity)
    : capacity_(std::clamp<uint32_t>(capacity, 2, BPFR_MAX_NEXTHOPS)) {
  entries_.resize(1);
}

uint32_t NextHopTable::acquire(const NextHopKey& key) {
  if (auto it = by_key_.find(key); it != by_key_.end()) {
    entries_[it->second].refs++;
    return it->second;
  }

  uint32_t id;
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
  } else if (entries_.size() < capacity_) {
    id = uint32_t(entries_.size());
    entries_.emplace_back();
  } else {
    return BPFR_NEXTHOP_NONE;
  }
  entries_[id] = Entry{key, 1};
  by_key_[key] = id;
  dirty_[id] = true;

  auto link = links_.find(key.ifindex);
  bool l3 = link != links_.end() && (!link->second.has_mac || link->second.dummy);
  bool needs_mac = !key.gateway.is_unspecified() && !l3;
  if (needs_mac && !neighbours_.count({key.ifindex, key.gateway}))
    resolve_.push_back(key);
  return id;
}

void NextHopTable::release(uint32_t id) {
  if (id == BPFR_NEXTHOP_NONE || id >= entries_.size() || entries_[id].refs == 0)
    return;
  if (--entries_[id].refs > 0)
    return;
  by_key_.erase(entries_[id].key);
  entries_[id] = Entry{};
  free_.push_back(id);
  dirty_[id] = true;
}

void NextHopTable::mark_device(uint32_t ifindex) {
  for (const auto& [key, id] : by_key_)
    if (key.ifindex == ifindex)
      dirty_[id] = true;
}

void NextHopTable::set_link(const LinkFacts& link) {
  links_[link.ifindex] = link;
  mark_device(link.ifindex);
}

void NextHopTable::remove_link(uint32_t ifindex) {
  links_.erase(ifindex);
  std::erase_if(neighbours_, [&](const auto& n) { return n.first.first == ifindex; });
  mark_device(ifindex);
}

void NextHopTable::set_neighbour(uint32_t ifindex, const Address& addr, std::optional<Mac> mac) {
  NeighKey nk{ifindex, addr};
  auto old = neighbours_.find(nk);
  if (mac) {
    if (old != neighbours_.end() && old->second == *mac)
      return;
    neighbours_[nk] = *mac;
  } else {
    if (old == neighbours_.end())
      return;
    neighbours_.erase(old);
  }
  if (auto it = by_key_.find(NextHopKey{addr, ifindex}); it != by_key_.end())
    dirty_[it->second] = true;
}

NextHopFacts NextHopTable::facts(uint32_t id) const {
  NextHopFacts f;
  if (id == BPFR_NEXTHOP_NONE || id >= entries_.size() || entries_[id].refs == 0)
    return f;
  const NextHopKey& key = entries_[id].key;
  auto link = links_.find(key.ifindex);
  if (link == links_.end() || !link->second.up)
    return f;

  f.ifindex = key.ifindex;
  f.mtu = link->second.mtu;
  f.valid = true;
  if (link->second.dummy) {
    f.kind = BPFR_NH_DUMMY;
  } else if (!link->second.has_mac) {
    f.kind = BPFR_NH_L3;
  } else {
    f.kind = BPFR_NH_ETHERNET;
    f.smac = link->second.mac;
    if (auto n = neighbours_.find({key.ifindex, key.gateway}); n != neighbours_.end()) {
      f.mac_known = true;
      f.dmac = n->second;
    }
  }
  return f;
}

std::optional<NextHopKey> NextHopTable::key_of(uint32_t id) const {
  if (id == BPFR_NEXTHOP_NONE || id >= entries_.size() || entries_[id].refs == 0)
    return std::nullopt;
  return entries_[id].key;
}

uint32_t NextHopTable::refcount(uint32_t id) const {
  return id < entries_.size() ? entries_[id].refs : 0;
}

std::vector<uint32_t> NextHopTable::take_dirty() {
  std::vector<uint32_t> out;
  for (auto [id, _] : dirty_)
    out.push_back(id);
  dirty_.clear();
  return out;
}

std::vector<NextHopKey> NextHopTable::take_resolve_requests() {
  return std::exchange(resolve_, {});
}

}  // namespace bpfr::dp
