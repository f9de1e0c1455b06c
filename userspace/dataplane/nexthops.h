// The next-hop table: one entry per (gateway, egress device), shared by every route through it
// and counted by reference, so a withdrawn route frees nothing another route still uses and an
// id is reused only after its last route is gone. Entries take their MACs from the kernel's
// neighbour table; a gateway without a known MAC is asked to be resolved, and its entry
// forwards only once the MAC arrives (until then the fast path hands packets to the kernel).
#pragma once

#include <bpfrouter/maps.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/ip.h"
#include "dataplane/encode.h"

namespace bpfr::dp {

// The gateway is unspecified for a next hop that is the device itself (`via "wg0"`).
struct NextHopKey {
  Address gateway;
  uint32_t ifindex = 0;
  auto operator<=>(const NextHopKey&) const = default;
};

// What the dataplane needs to know about a device.
struct LinkFacts {
  uint32_t ifindex = 0;
  std::string name;
  bool up = true;
  bool has_mac = false;  // false: an L3 device (WireGuard, TUN)
  Mac mac{};
  uint16_t mtu = 1500;
  bool dummy = false;
};

class NextHopTable {
 public:
  explicit NextHopTable(uint32_t capacity = BPFR_MAX_NEXTHOPS);

  // An id for the next hop, shared with every other route through it; 0 when the table is full.
  uint32_t acquire(const NextHopKey& key);
  void release(uint32_t id);

  void set_link(const LinkFacts& link);
  void remove_link(uint32_t ifindex);
  // A neighbour entry from the kernel; no MAC means it is unresolved or failed.
  void set_neighbour(uint32_t ifindex, const Address& addr, std::optional<Mac> mac);

  NextHopFacts facts(uint32_t id) const;
  std::optional<NextHopKey> key_of(uint32_t id) const;
  uint32_t refcount(uint32_t id) const;
  size_t size() const { return by_key_.size(); }

  // Entries to (re)write into the nexthops map since the last call.
  std::vector<uint32_t> take_dirty();
  // Gateways whose MAC the kernel should resolve.
  std::vector<NextHopKey> take_resolve_requests();

 private:
  struct Entry {
    NextHopKey key;
    uint32_t refs = 0;
  };
  using NeighKey = std::pair<uint32_t, Address>;

  void mark_device(uint32_t ifindex);

  uint32_t capacity_;
  std::vector<Entry> entries_;  // by id; index 0 unused
  std::vector<uint32_t> free_;
  std::map<NextHopKey, uint32_t> by_key_;
  std::unordered_map<uint32_t, LinkFacts> links_;
  std::map<NeighKey, Mac> neighbours_;
  std::map<uint32_t, bool> dirty_;
  std::vector<NextHopKey> resolve_;
};

}  // namespace bpfr::dp
