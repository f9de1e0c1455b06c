// Map keys and values exactly as the BPF programs read them (include/bpfrouter/maps.h).
#pragma once

#include <bpfrouter/maps.h>

#include <array>
#include <cstdint>

#include "common/ip.h"

namespace bpfr::dp {

static_assert(sizeof(bpfr_route_key_v4) == 8);
static_assert(sizeof(bpfr_route_key_v6) == 20);
static_assert(sizeof(bpfr_route_value) == 12);
static_assert(sizeof(bpfr_nexthop) == 24);
static_assert(sizeof(bpfr_counter) == 16);
static_assert(sizeof(bpfr_slot_prefix) == 32);
static_assert(sizeof(bpfr_iface_counters) == 48);
static_assert(sizeof(bpfr_iface) == 8);
static_assert(sizeof(bpfr_settings) == 16);

using Mac = std::array<uint8_t, 6>;

bpfr_route_key_v4 encode_key_v4(const Prefix& p);
bpfr_route_key_v6 encode_key_v6(const Prefix& p);
Prefix decode_key_v4(const bpfr_route_key_v4& k);
Prefix decode_key_v6(const bpfr_route_key_v6& k);

bpfr_route_value encode_route(bpfr_route_action action, uint32_t nexthop, uint32_t slot,
                              uint8_t flags);

// What the daemon knows about a next hop; encode_nexthop() turns it into the map entry.
struct NextHopFacts {
  uint32_t ifindex = 0;
  uint16_t mtu = 0;
  bpfr_nexthop_kind kind = BPFR_NH_ETHERNET;
  bool valid = false;
  bool mac_known = false;
  Mac dmac{};
  Mac smac{};
  uint16_t vlan_id = 0;
};

bpfr_nexthop encode_nexthop(const NextHopFacts& f);

bpfr_slot_prefix encode_slot(const Prefix& p, uint8_t state, uint32_t generation,
                             uint64_t since_ns);
bpfr_slot_prefix encode_free_slot();

}  // namespace bpfr::dp
